//! The in-process cache of public responses.
//!
//! Every change to public data bumps one generation number in the database, in the same
//! transaction as the change. Each process re-reads that number every `refresh` (250 ms) on
//! a thread of its own, so a change made through any process shows everywhere well within
//! one second. Cached bodies are keyed by request and tagged with the generation they were made
//! at; a new generation makes them stale without any message between processes.

use crate::db;
use crate::error::ApiResult;
use actix_web::web::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// A serialized public response.
#[derive(Debug)]
pub struct Cached {
    pub generation: i64,
    pub etag: String,
    pub body: Bytes,
}

/// The first page of one filter: up to 100 items, each already serialized, so that any
/// `limit` is answered by slicing.
#[derive(Debug)]
pub struct FirstPage {
    pub generation: i64,
    /// Each item's JSON with the cursor that points after it.
    pub items: Vec<(Bytes, String)>,
    /// Whether more items follow the last one held.
    pub more: bool,
    pub total: i64,
}

/// Something cached at a generation, with its size in memory.
pub trait Weighed {
    fn generation(&self) -> i64;
    fn bytes(&self) -> usize;
}

impl Weighed for Cached {
    fn generation(&self) -> i64 {
        self.generation
    }
    fn bytes(&self) -> usize {
        self.body.len() + self.etag.len()
    }
}

impl Weighed for FirstPage {
    fn generation(&self) -> i64 {
        self.generation
    }
    fn bytes(&self) -> usize {
        self.items.iter().map(|(b, c)| b.len() + c.len() + 48).sum()
    }
}

/// A map kept under a memory budget: past it, entries of older generations go first, then
/// everything.
#[derive(Debug)]
struct Budgeted<V> {
    map: HashMap<String, Arc<V>>,
    bytes: usize,
    budget: usize,
}

impl<V: Weighed> Budgeted<V> {
    fn new(budget: usize) -> Self {
        Self {
            map: HashMap::new(),
            bytes: 0,
            budget,
        }
    }

    fn get(&self, key: &str, generation: i64) -> Option<Arc<V>> {
        self.map.get(key).filter(|v| v.generation() == generation).cloned()
    }

    fn put(&mut self, key: String, value: Arc<V>) {
        let size = key.len() + value.bytes();
        if size > self.budget / 8 {
            return;
        }
        if self.bytes + size > self.budget {
            let generation = value.generation();
            self.map.retain(|_, v| v.generation() == generation);
            self.bytes = self.map.iter().map(|(k, v)| k.len() + v.bytes()).sum();
            if self.bytes + size > self.budget {
                self.map.clear();
                self.bytes = 0;
            }
        }
        if let Some(old) = self.map.insert(key.clone(), value) {
            self.bytes -= key.len() + old.bytes();
        }
        self.bytes += size;
    }
}

/// Requests that need the same missing entry wait for one computation instead of each
/// running the query: under load a cold entry is asked for many times before it is made.
#[derive(Debug)]
pub struct Flights<T> {
    map: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Flights<T> {
    /// What `cached` holds, or else the result of `make` for `key`, made once for all who
    /// ask while it is being made (`cached` is asked again when a request's turn comes, in
    /// case another flight made it meanwhile). A failure is not shared: the next waiter
    /// makes it again.
    pub async fn run<C, F, Fut>(&self, key: &str, cached: C, make: F) -> ApiResult<T>
    where
        C: Fn() -> Option<T>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        if let Some(hit) = cached() {
            return Ok(hit);
        }
        let cell = lock(&self.map).entry(key.to_owned()).or_default().clone();
        let out = cell
            .get_or_try_init(|| async {
                match cached() {
                    Some(hit) => Ok(hit),
                    None => make().await,
                }
            })
            .await
            .cloned();
        // Once made, the caches answer; the flight is over. An unmade cell nobody else
        // holds is dropped too.
        let mut map = lock(&self.map);
        if map.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) && (cell.initialized() || Arc::strong_count(&cell) <= 2)
        {
            map.remove(key);
        }
        out
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        lock(&self.map).len()
    }
}

#[derive(Debug)]
pub struct PublicCache {
    refresh: Duration,
    /// The last generation read and when; shared with the watcher thread.
    generation: Arc<Mutex<(i64, Option<Instant>)>>,
    /// Requests that found no fresh generation read it once, together.
    reading: Flights<i64>,
    entries: Mutex<Budgeted<Cached>>,
    pages: Mutex<Budgeted<FirstPage>>,
    /// `total` per filter (whatever the page), tagged with its generation.
    counts: Mutex<HashMap<String, (i64, i64)>>,
    /// Responses being made, by generation and key.
    pub making: Flights<Bytes>,
    /// First pages being made, by generation and filter.
    pub making_first_pages: Flights<Arc<FirstPage>>,
}

/// The memory the cached bodies may take.
const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The memory the first pages may take.
const MAX_PAGE_BYTES: usize = 24 * 1024 * 1024;
/// Cached totals kept at most.
const MAX_COUNTS: usize = 50_000;

impl PublicCache {
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh,
            generation: Arc::new(Mutex::new((0, None))),
            reading: Flights::default(),
            entries: Mutex::new(Budgeted::new(MAX_BYTES)),
            pages: Mutex::new(Budgeted::new(MAX_PAGE_BYTES)),
            counts: Mutex::new(HashMap::new()),
            making: Flights::default(),
            making_first_pages: Flights::default(),
        }
    }

    /// Starts a thread that re-reads the generation every refresh interval on a connection
    /// of its own, so requests find a fresh one without waiting for a query, a pooled
    /// connection or a blocking thread (all of which slow searches may hold). The thread
    /// ends soon after the cache is dropped.
    pub fn watch(&self, target: db::DbTarget) {
        let shared = Arc::downgrade(&self.generation);
        let refresh = self.refresh;
        let spawned = std::thread::Builder::new()
            .name("public-generation".into())
            .spawn(move || {
                let mut conn: Option<db::DbConn> = None;
                while let Some(slot) = shared.upgrade() {
                    let read = match conn.take() {
                        Some(c) => Ok(c),
                        None => db::open(&target).map_err(|e| e.to_string()),
                    }
                    .and_then(|mut c| {
                        let gen = db::generation::get(&mut c).map_err(|e| e.to_string())?;
                        conn = Some(c);
                        Ok(gen)
                    });
                    match read {
                        Ok(gen) => *lock(&slot) = (gen, Some(Instant::now())),
                        // Requests then read it themselves, and answer 503 if they cannot;
                        // the next round opens a new connection.
                        Err(e) => log::debug!("reading the public generation failed: {e}"),
                    }
                    drop(slot);
                    std::thread::sleep(refresh);
                }
            });
        if let Err(e) = spawned {
            log::warn!("cannot start the public generation watcher ({e}); requests will read it themselves");
        }
    }

    /// The current data generation: the last read if it is at most two refresh intervals old
    /// (the watcher renews it every interval), else read now, once for all who ask together.
    pub async fn generation(&self, pool: &db::Pool) -> ApiResult<i64> {
        if let Some(gen) = self.fresh_generation(2 * self.refresh) {
            return Ok(gen);
        }
        self.reading
            .run(
                "generation",
                || self.fresh_generation(self.refresh),
                || async {
                    let gen =
                        db::run::<_, crate::error::ApiError, _>(pool, |conn| Ok(db::generation::get(conn)?)).await?;
                    *lock(&self.generation) = (gen, Some(Instant::now()));
                    Ok(gen)
                },
            )
            .await
    }

    fn fresh_generation(&self, max_age: Duration) -> Option<i64> {
        match *lock(&self.generation) {
            (gen, Some(at)) if at.elapsed() < max_age => Some(gen),
            _ => None,
        }
    }

    /// Forgets the last generation read, after this process changed public data.
    pub fn invalidate(&self) {
        lock(&self.generation).1 = None;
    }

    /// The cached response for `key` if it was made at `generation`.
    pub fn get(&self, key: &str, generation: i64) -> Option<Arc<Cached>> {
        lock(&self.entries).get(key, generation)
    }

    /// Stores a response made at `generation`, within the memory budget.
    pub fn put(&self, key: String, generation: i64, etag: String, body: Bytes) -> Arc<Cached> {
        let cached = Arc::new(Cached { generation, etag, body });
        lock(&self.entries).put(key, cached.clone());
        cached
    }

    /// The first page of a filter, if made at `generation`.
    pub fn first_page(&self, filter: &str, generation: i64) -> Option<Arc<FirstPage>> {
        lock(&self.pages).get(filter, generation)
    }

    pub fn put_first_page(&self, filter: String, page: Arc<FirstPage>) {
        lock(&self.pages).put(filter, page);
    }

    /// The cached `total` of a filter at `generation`.
    pub fn count(&self, key: &str, generation: i64) -> Option<i64> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(key).filter(|(g, _)| *g == generation).map(|(_, n)| *n)
    }

    pub fn put_count(&self, key: String, generation: i64, total: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() >= MAX_COUNTS {
            counts.retain(|_, (g, _)| *g == generation);
            if counts.len() >= MAX_COUNTS {
                counts.clear();
            }
        }
        counts.insert(key, (generation, total));
    }

    /// Bytes held by cached bodies (and their keys).
    pub fn cached_bytes(&self) -> usize {
        lock(&self.entries).bytes
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A weak ETag for a response made from `key` at `generation`: the same in every process,
/// and computable without running the query.
pub fn etag(generation: i64, key: &str) -> String {
    // FNV-1a: small, stable across processes and releases.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("W/\"{generation:x}-{hash:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_tied_to_their_generation() {
        let cache = PublicCache::new(Duration::from_millis(250));
        cache.put("a".into(), 1, etag(1, "a"), Bytes::from_static(b"x"));
        assert!(cache.get("a", 1).is_some());
        assert!(cache.get("a", 2).is_none());
        assert!(cache.get("b", 1).is_none());
    }

    #[test]
    fn memory_stays_within_budget() {
        let cache = PublicCache::new(Duration::from_millis(250));
        let body = Bytes::from(vec![b'x'; 64 * 1024]);
        for i in 0..1000 {
            cache.put(format!("k{i}"), 1, etag(1, "k"), body.clone());
            assert!(cache.cached_bytes() <= MAX_BYTES);
        }
        // Replacing an entry does not count it twice.
        cache.put("same".into(), 2, etag(2, "same"), body.clone());
        let before = cache.cached_bytes();
        cache.put("same".into(), 2, etag(2, "same"), body.clone());
        assert_eq!(cache.cached_bytes(), before);
        assert!(cache.get("same", 2).is_some());
    }

    #[test]
    fn counts_are_tied_to_their_generation() {
        let cache = PublicCache::new(Duration::from_millis(250));
        cache.put_count("f".into(), 3, 42);
        assert_eq!(cache.count("f", 3), Some(42));
        assert_eq!(cache.count("f", 4), None);
    }

    #[actix_web::test]
    async fn concurrent_misses_make_an_entry_once() {
        let flights: Flights<Bytes> = Flights::default();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || async {
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            Ok(Bytes::from_static(b"page"))
        };
        let results = futures_util::future::join_all((0..8).map(|_| flights.run("k", || None, make))).await;
        assert!(results.iter().all(|r| r.as_ref().is_ok_and(|b| b == "page")));
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(flights.in_flight(), 0);

        // A failure is not handed to those waiting: one of them tries again.
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let flaky = || async {
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            if attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                Err(crate::error::ApiError::internal("first attempt fails"))
            } else {
                Ok(Bytes::from_static(b"second"))
            }
        };
        let results = futures_util::future::join_all((0..3).map(|_| flights.run("f", || None, flaky))).await;
        assert!(results[0].is_err());
        assert!(results[1..].iter().all(|r| r.as_ref().is_ok_and(|b| b == "second")));
        assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(flights.in_flight(), 0);
    }

    #[test]
    fn etags_differ_by_generation_and_key() {
        assert_eq!(etag(3, "/p?a=1"), etag(3, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(4, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(3, "/p?a=2"));
        assert!(etag(3, "k").starts_with("W/\""));
    }
}

//! The in-process caches, in one place, with one rule: an entry belongs to the public data
//! generation it was made at and is not served at any other.
//!
//! Every change to public data bumps one generation number in the database, in the same
//! transaction as the change. Each process re-reads that number every `refresh` (250 ms) on
//! a thread of its own, so a change made through any process shows everywhere well within
//! one second. Cached bodies are keyed by request and tagged with the generation they were made
//! at; a new generation makes them stale without any message between processes.
//!
//! Three layers, each measured (bench/RESULTS.md history, 100k rows): whole bodies per URL
//! (page 1 at 0.77 of /healthz), first pages per filter for every `limit` and totals per
//! filter (filtered and search scenarios), and the generation read on its own thread
//! (page-1 p99 56 ms → 7.8 ms). Kept.

mod budget;
mod flights;
mod generation;
mod median;

use crate::db;
use crate::domain::page::Total;
use crate::error::ApiResult;
use actix_web::web::Bytes;
use budget::{Budgeted, Weighed};
pub use flights::Flights;
use generation::GenerationSlot;
pub use median::MedianWait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    pub total: Total,
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

#[derive(Debug)]
pub struct PublicCache {
    refresh: Duration,
    /// The last generation read and when; shared with the watcher thread.
    generation: Arc<GenerationSlot>,
    /// Requests that found no fresh generation read it once, together.
    reading: Flights<i64>,
    entries: Mutex<Budgeted<Cached>>,
    pages: Mutex<Budgeted<FirstPage>>,
    /// `total` per filter (whatever the page), tagged with its generation.
    counts: Mutex<HashMap<String, (i64, Total)>>,
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
            generation: Arc::new(GenerationSlot::default()),
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
                    let ticket = slot.ticket();
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
                        Ok(gen) => {
                            slot.store(ticket, gen);
                        }
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
        self.generation_from(|| db::run::<_, crate::error::ApiError, _>(pool, |conn| Ok(db::generation::get(conn)?)))
            .await
    }

    /// [`Self::generation`] with `read` asking the database. Callers share a read only
    /// within one epoch: one that asks after this process's own change never joins a read
    /// that began before it.
    async fn generation_from<F, Fut>(&self, read: F) -> ApiResult<i64>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<i64>>,
    {
        if let Some(gen) = self.fresh_generation(2 * self.refresh) {
            return Ok(gen);
        }
        let ticket = self.generation.ticket();
        self.reading
            .run(
                &format!("generation {}", ticket.epoch()),
                || self.fresh_generation(self.refresh),
                || async {
                    let gen = read().await?;
                    // Answered even when not kept: it was read after this request began.
                    self.generation.store(ticket, gen);
                    Ok(gen)
                },
            )
            .await
    }

    fn fresh_generation(&self, max_age: Duration) -> Option<i64> {
        self.generation.fresh(max_age)
    }

    /// Forgets the last generation read, after this process changed public data; a read
    /// begun before it is not kept.
    pub fn invalidate(&self) {
        self.generation.invalidate();
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
    pub fn count(&self, key: &str, generation: i64) -> Option<Total> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(key).filter(|(g, _)| *g == generation).map(|(_, n)| *n)
    }

    pub fn put_count(&self, key: String, generation: i64, total: Total) {
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

/// Whether the request's `If-None-Match` names `tag`, compared weakly (a `W/` prefix on
/// either side is ignored, as RFC 9110 asks of this header), or, with `any`, is `*`.
pub fn none_match(req: &actix_web::HttpRequest, tag: &str, any: bool) -> bool {
    let tag = tag.trim_start_matches("W/");
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t.trim_start_matches("W/") == tag || (any && t == "*"))
        })
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

    /// A read in flight began before this process's change: a request after the change
    /// must not be handed its answer.
    #[actix_web::test]
    async fn a_request_after_a_change_does_not_join_an_older_read() {
        let cache = PublicCache::new(Duration::from_millis(250));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let old_read = cache.generation_from(|| async move {
            let _ = started_tx.send(());
            let _ = release_rx.await;
            Ok(1)
        });
        let after_change = async {
            let _ = started_rx.await;
            cache.invalidate();
            let new = cache.generation_from(|| async { Ok(2) });
            let _ = release_tx.send(());
            new.await
        };
        let (old, new) = futures_util::future::join(old_read, after_change).await;
        assert_eq!(old.unwrap(), 1);
        assert_eq!(new.unwrap(), 2, "joined the read from before the change");
        assert_eq!(cache.fresh_generation(Duration::from_secs(1)), Some(2));
    }

    #[test]
    fn counts_are_tied_to_their_generation() {
        let cache = PublicCache::new(Duration::from_millis(250));
        cache.put_count("f".into(), 3, Total::exact(42));
        assert_eq!(cache.count("f", 3), Some(Total::exact(42)));
        assert_eq!(cache.count("f", 4), None);
    }

    #[test]
    fn etags_differ_by_generation_and_key() {
        assert_eq!(etag(3, "/p?a=1"), etag(3, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(4, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(3, "/p?a=2"));
        assert!(etag(3, "k").starts_with("W/\""));
    }
}

//! The in-process cache of public responses.
//!
//! Every change to public data bumps one generation number in the database, in the same
//! transaction as the change. Each process re-reads that number at most every
//! `refresh` (250 ms), so a change made through any process shows everywhere well within one
//! second. Cached bodies are keyed by request and tagged with the generation they were made
//! at; a new generation makes them stale without any message between processes.

use crate::db;
use crate::error::ApiResult;
use actix_web::web::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

#[derive(Debug)]
pub struct PublicCache {
    refresh: Duration,
    generation: Mutex<(i64, Option<Instant>)>,
    entries: Mutex<Budgeted<Cached>>,
    pages: Mutex<Budgeted<FirstPage>>,
    /// `total` per filter (whatever the page), tagged with its generation.
    counts: Mutex<HashMap<String, (i64, i64)>>,
}

/// The memory the cached bodies may take.
const MAX_BYTES: usize = 24 * 1024 * 1024;
/// The memory the first pages may take.
const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// Cached totals kept at most.
const MAX_COUNTS: usize = 50_000;

impl PublicCache {
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh,
            generation: Mutex::new((0, None)),
            entries: Mutex::new(Budgeted::new(MAX_BYTES)),
            pages: Mutex::new(Budgeted::new(MAX_PAGE_BYTES)),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// The current data generation, read from the database when the last read is older
    /// than the refresh interval.
    pub async fn generation(&self, pool: &db::Pool) -> ApiResult<i64> {
        {
            let g = self.generation.lock().unwrap_or_else(|p| p.into_inner());
            if let (gen, Some(at)) = *g {
                if at.elapsed() < self.refresh {
                    return Ok(gen);
                }
            }
        }
        let gen = db::run(pool, db::public::generation).await?;
        *self.generation.lock().unwrap_or_else(|p| p.into_inner()) = (gen, Some(Instant::now()));
        Ok(gen)
    }

    /// Forgets the last generation read, after this process changed public data.
    pub fn invalidate(&self) {
        self.generation.lock().unwrap_or_else(|p| p.into_inner()).1 = None;
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

    #[test]
    fn etags_differ_by_generation_and_key() {
        assert_eq!(etag(3, "/p?a=1"), etag(3, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(4, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(3, "/p?a=2"));
        assert!(etag(3, "k").starts_with("W/\""));
    }
}

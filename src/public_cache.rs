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

#[derive(Debug)]
pub struct PublicCache {
    refresh: Duration,
    generation: Mutex<(i64, Option<Instant>)>,
    entries: Mutex<HashMap<String, Arc<Cached>>>,
}

/// Above this many cached responses the cache starts over.
const MAX_ENTRIES: usize = 20_000;

impl PublicCache {
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh,
            generation: Mutex::new((0, None)),
            entries: Mutex::new(HashMap::new()),
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
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|c| c.generation == generation).cloned()
    }

    /// Stores a response made at `generation`.
    pub fn put(&self, key: String, generation: i64, etag: String, body: Bytes) -> Arc<Cached> {
        let cached = Arc::new(Cached { generation, etag, body });
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, c| c.generation == generation);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, cached.clone());
        cached
    }
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
    fn etags_differ_by_generation_and_key() {
        assert_eq!(etag(3, "/p?a=1"), etag(3, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(4, "/p?a=1"));
        assert_ne!(etag(3, "/p?a=1"), etag(3, "/p?a=2"));
        assert!(etag(3, "k").starts_with("W/\""));
    }
}

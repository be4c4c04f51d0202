//! Maps kept under a memory budget, whose entries belong to a data generation.

use std::collections::HashMap;
use std::sync::Arc;

/// Something cached at a generation, with its size in memory.
pub trait Weighed {
    fn generation(&self) -> i64;
    fn bytes(&self) -> usize;
}

/// A map kept under a memory budget: past it, entries of older generations go first, then
/// the least recently used, down to three quarters of the budget (so that an eviction,
/// which sorts the entries, happens once per quarter of the budget written, not on every
/// entry).
///
/// Until 2026-12-04 the entries of the current generation all went at once. In `bench/run`
/// on PostgreSQL at 100k rows, the filtered scenario's 141 first pages and the search
/// scenario's 268 (about 31 MB together, over a budget of 24) then emptied the cache in the
/// middle of search's cold start, and every search page made before had to be made again.
#[derive(Debug)]
pub struct Budgeted<V> {
    map: HashMap<String, Entry<V>>,
    pub bytes: usize,
    budget: usize,
    /// Counts the reads and writes; an entry holds the count of its last use.
    clock: u64,
}

#[derive(Debug)]
struct Entry<V> {
    value: Arc<V>,
    used: u64,
}

impl<V: Weighed> Budgeted<V> {
    pub fn new(budget: usize) -> Self {
        Self {
            map: HashMap::new(),
            bytes: 0,
            budget,
            clock: 0,
        }
    }

    pub fn get(&mut self, key: &str, generation: i64) -> Option<Arc<V>> {
        let entry = self.map.get_mut(key).filter(|e| e.value.generation() == generation)?;
        self.clock += 1;
        entry.used = self.clock;
        Some(entry.value.clone())
    }

    pub fn put(&mut self, key: String, value: Arc<V>) {
        let size = key.len() + value.bytes();
        if size > self.budget / 8 {
            return;
        }
        if let Some(old) = self.map.remove(&key) {
            self.bytes -= key.len() + old.value.bytes();
        }
        if self.bytes + size > self.budget {
            let generation = value.generation();
            self.map.retain(|_, e| e.value.generation() == generation);
            self.bytes = self.map.iter().map(|(k, e)| k.len() + e.value.bytes()).sum();
        }
        if self.bytes + size > self.budget {
            // `size` is at most an eighth of the budget (checked above).
            self.evict_to(self.budget * 3 / 4 - size);
        }
        self.clock += 1;
        self.map.insert(
            key,
            Entry {
                value,
                used: self.clock,
            },
        );
        self.bytes += size;
    }

    /// Drops the least recently used entries until at most `bytes` remain. Uses are counted
    /// by one clock, so no two entries share one, and the entries used up to a cutoff go.
    fn evict_to(&mut self, bytes: usize) {
        let mut by_use: Vec<(u64, usize)> = self
            .map
            .iter()
            .map(|(k, e)| (e.used, k.len() + e.value.bytes()))
            .collect();
        by_use.sort_unstable();
        let mut cutoff = 0;
        for (used, size) in by_use {
            if self.bytes <= bytes {
                break;
            }
            self.bytes -= size;
            cutoff = used;
        }
        self.map.retain(|_, e| e.used > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::{Budgeted, Weighed};
    use std::sync::Arc;

    #[derive(Debug)]
    struct Item(i64, usize);

    impl Weighed for Item {
        fn generation(&self) -> i64 {
            self.0
        }
        fn bytes(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn past_the_budget_the_least_recently_used_entries_go() {
        // Room for ten entries of about 100 bytes.
        let mut cache = Budgeted::new(1000);
        for i in 0..8 {
            cache.put(format!("old{i}"), Arc::new(Item(1, 98)));
        }
        // Read again, so more recent than the other seven.
        assert!(cache.get("old3", 1).is_some());
        for i in 0..5 {
            cache.put(format!("new{i}"), Arc::new(Item(1, 98)));
            assert!(cache.bytes <= 1000);
        }
        assert!(cache.get("old3", 1).is_some(), "a recently read entry was evicted");
        for i in 0..5 {
            assert!(cache.get(&format!("new{i}"), 1).is_some(), "new{i} was evicted");
        }
        assert!(cache.get("old0", 1).is_none() && cache.get("old1", 1).is_none());
        let held = cache.map.iter().map(|(k, e)| k.len() + e.value.bytes()).sum::<usize>();
        assert_eq!(cache.bytes, held);
    }

    #[test]
    fn older_generations_go_before_anything_current() {
        let mut cache = Budgeted::new(1000);
        for i in 0..9 {
            cache.put(format!("g1-{i}"), Arc::new(Item(1, 95)));
        }
        cache.put("g2-0".into(), Arc::new(Item(2, 95)));
        cache.put("g2-1".into(), Arc::new(Item(2, 95)));
        assert!(cache.get("g2-0", 2).is_some() && cache.get("g2-1", 2).is_some());
        assert!(cache.get("g1-0", 1).is_none());
        assert_eq!(cache.bytes, 2 * 99);
    }

    #[test]
    fn an_entry_replaced_counts_once_and_one_too_large_is_not_kept() {
        let mut cache = Budgeted::new(1000);
        cache.put("a".into(), Arc::new(Item(1, 100)));
        cache.put("a".into(), Arc::new(Item(1, 50)));
        assert_eq!(cache.bytes, 51);
        cache.put("big".into(), Arc::new(Item(1, 200)));
        assert!(cache.get("big", 1).is_none());
        assert_eq!(cache.bytes, 51);
    }
}

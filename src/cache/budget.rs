//! Maps kept under a memory budget, whose entries belong to a data generation.

use std::collections::HashMap;
use std::sync::Arc;

/// Something cached at a generation, with its size in memory.
pub trait Weighed {
    fn generation(&self) -> i64;
    fn bytes(&self) -> usize;
}

/// A map kept under a memory budget: past it, entries of older generations go first, then
/// everything.
#[derive(Debug)]
pub struct Budgeted<V> {
    map: HashMap<String, Arc<V>>,
    pub bytes: usize,
    budget: usize,
}

impl<V: Weighed> Budgeted<V> {
    pub fn new(budget: usize) -> Self {
        Self {
            map: HashMap::new(),
            bytes: 0,
            budget,
        }
    }

    pub fn get(&self, key: &str, generation: i64) -> Option<Arc<V>> {
        self.map.get(key).filter(|v| v.generation() == generation).cloned()
    }

    pub fn put(&mut self, key: String, value: Arc<V>) {
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

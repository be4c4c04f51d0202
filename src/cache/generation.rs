//! The public data generation as this process last read it.
//!
//! A read that began before this process committed a change can end after it, carrying the
//! generation from before the change. Every read takes a ticket first; `invalidate` (called
//! after this process's own changes) moves the epoch on, and a read whose ticket is from an
//! older epoch is not kept. So a process always sees its own changes at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct State {
    generation: i64,
    read_at: Option<Instant>,
    epoch: u64,
}

/// The last generation read, when, and the epoch of invalidations.
#[derive(Debug, Default)]
pub struct GenerationSlot(Mutex<State>);

/// Taken before a read of the generation; names the epoch the read belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Ticket {
    pub fn epoch(self) -> u64 {
        self.0
    }
}

impl GenerationSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Call before reading the generation from the database.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().epoch)
    }

    /// Keeps `generation` as read with `ticket`, unless this process changed public data
    /// since the ticket was taken; true if kept.
    pub fn store(&self, ticket: Ticket, generation: i64) -> bool {
        let mut s = self.lock();
        if s.epoch != ticket.0 {
            return false;
        }
        s.generation = generation;
        s.read_at = Some(Instant::now());
        true
    }

    /// The generation if it was read less than `max_age` ago.
    pub fn fresh(&self, max_age: Duration) -> Option<i64> {
        let s = self.lock();
        s.read_at.filter(|at| at.elapsed() < max_age).map(|_| s.generation)
    }

    /// Forgets the generation: this process has just changed public data.
    pub fn invalidate(&self) {
        let mut s = self.lock();
        s.epoch += 1;
        s.read_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The watcher read generation 5 before this process committed generation 6 and
    /// invalidated; its late answer must not pass for fresh.
    #[test]
    fn a_read_from_before_an_invalidation_is_not_kept() {
        let slot = GenerationSlot::default();
        let t = slot.ticket();
        assert!(slot.store(t, 4));
        assert_eq!(slot.fresh(Duration::from_secs(1)), Some(4));

        let before_commit = slot.ticket();
        slot.invalidate();
        assert!(!slot.store(before_commit, 5));
        assert_eq!(slot.fresh(Duration::from_secs(1)), None);

        let after = slot.ticket();
        assert!(slot.store(after, 6));
        assert_eq!(slot.fresh(Duration::from_secs(1)), Some(6));
    }
}

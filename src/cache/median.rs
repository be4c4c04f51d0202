//! The median wait of the queue: not public data, so not keyed by the generation, but a
//! statistic each process recomputes at most every ten seconds and forgets when it decides.

use crate::db::{audit, DbConn};
use crate::error::ApiResult;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a process reuses its last median wait.
const MEDIAN_TTL: Duration = Duration::from_secs(10);

/// Median seconds from queue to decision over the latest 1,000 decisions, recomputed at most
/// every ten seconds per process (it is shown to submitters, where that is fresh enough;
/// computing it reads up to 5,000 audit rows).
#[derive(Debug, Default)]
pub struct MedianWait(Mutex<Option<(Instant, Option<i64>)>>);

impl MedianWait {
    pub fn get(&self, conn: &mut DbConn) -> ApiResult<Option<i64>> {
        let cached = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, value)) = cached {
            if at.elapsed() < MEDIAN_TTL {
                return Ok(value);
            }
        }
        let mut waits = audit::recent_waits(conn, 1000)?;
        waits.sort_unstable();
        let value = (!waits.is_empty()).then(|| waits[waits.len() / 2]);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), value));
        Ok(value)
    }

    /// Drops the memo: this process has just decided an item.
    pub fn forget(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

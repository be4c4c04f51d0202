//! A fixed-window limiter of attempts per key: login and registration per client address,
//! mailed links per email address. It protects each process; it holds nothing that
//! correctness depends on.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked keys, expired windows are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter<K = Option<IpAddr>> {
    per_window: u32,
    window: Duration,
    windows: Mutex<HashMap<K, (Instant, u32)>>,
}

impl RateLimiter {
    /// `per_minute` attempts per client address and minute.
    pub fn new(per_minute: u32) -> Self {
        Self::per(per_minute, Duration::from_secs(60))
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `per_window` attempts per key in each `window`.
    pub fn per(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`; `Err(seconds)` says when the next one is allowed.
    pub fn check(&self, key: K) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: K, now: Instant) -> Result<(), u64> {
        let window = self.window;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            let left = window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_window() {
        let limiter = RateLimiter::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        assert!(limiter.check_at(Some(a), t0).is_ok());
        assert!(limiter.check_at(Some(a), t0).is_ok());
        let wait = limiter.check_at(Some(a), t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, 50);
        assert!(limiter.check_at(Some(b), t0).is_ok());
        assert!(limiter.check_at(Some(a), t0 + Duration::from_secs(61)).is_ok());
    }
}

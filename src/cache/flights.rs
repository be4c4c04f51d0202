//! One computation per missing cache entry, however many requests miss it at once.

use crate::error::ApiResult;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::web::Bytes;
    use std::time::Duration;

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
}

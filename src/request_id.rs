//! The id of the request being served, for every log line written while serving it and for
//! the `instance` of its 5xx problems.
//!
//! It lives in a thread-local: [`in_scope`] sets it around each poll of a request's future
//! on its async worker, and [`carry`] takes it along to the blocking thread that runs the
//! request's database work. [`current`] reads it wherever the code runs.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

thread_local! {
    static CURRENT: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// The longest client-supplied id that is kept.
pub const MAX_LEN: usize = 128;

/// The id for a request: the client's `X-Request-Id` when it is 1–128 characters that are
/// all safe in a URI (`A–Z a–z 0–9 - . _ ~`, so `urn:request:{id}` needs no escaping and a
/// log line cannot be forged with it), else a new UUIDv7.
pub fn accept(client: Option<&str>) -> String {
    client
        .filter(|id| !id.is_empty() && id.len() <= MAX_LEN)
        .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The id of the request this thread is working for, if any.
pub fn current() -> Option<Arc<str>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Runs `f` with `id` as the current id, restoring the previous one afterwards (also when
/// `f` panics).
pub fn scope<R>(id: Option<Arc<str>>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<str>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(id)));
    f()
}

/// `f`, made to run with the caller's current id on whichever thread calls it: for work
/// handed to a blocking thread.
pub fn carry<R, F: FnOnce() -> R + Send>(f: F) -> impl FnOnce() -> R + Send {
    let id = current();
    move || scope(id, f)
}

/// `fut` with `id` as the current id during each of its polls.
pub fn in_scope<F: Future>(id: Arc<str>, fut: F) -> Scoped<F> {
    Scoped {
        id: Some(id),
        fut: Box::pin(fut),
    }
}

/// A future polled with a request id set; see [`in_scope`].
pub struct Scoped<F> {
    id: Option<Arc<str>>,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        scope(this.id.clone(), || this.fut.as_mut().poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uri_safe_client_ids_are_kept() {
        assert_eq!(accept(Some("abc-123.X_y~z")), "abc-123.X_y~z");
        let long = "a".repeat(MAX_LEN);
        assert_eq!(accept(Some(&long)), long);
        for bad in [
            "",
            "a b",
            "x\"><y",
            "urn:x",
            "a/b",
            "%41",
            "ü",
            &"a".repeat(MAX_LEN + 1),
        ] {
            let id = accept(Some(bad));
            assert_ne!(id, bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
        assert!(uuid::Uuid::parse_str(&accept(None)).is_ok());
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(current(), None);
        scope(Some("outer".into()), || {
            assert_eq!(current().as_deref(), Some("outer"));
            scope(Some("inner".into()), || assert_eq!(current().as_deref(), Some("inner")));
            assert_eq!(current().as_deref(), Some("outer"));
            let _ = std::panic::catch_unwind(|| scope(None, || panic!("inside")));
            assert_eq!(current().as_deref(), Some("outer"));
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn carried_work_sees_the_callers_id_on_another_thread() {
        let work = scope(Some("req-1".into()), || carry(current));
        let seen = std::thread::spawn(work).join().unwrap();
        assert_eq!(seen.as_deref(), Some("req-1"));
    }

    #[actix_web::test]
    async fn a_scoped_future_sees_its_id_across_awaits_only() {
        let fut = in_scope("req-2".into(), async {
            let before = current();
            actix_web::rt::task::yield_now().await;
            (before, current())
        });
        let (before, after) = fut.await;
        assert_eq!((before.as_deref(), after.as_deref()), (Some("req-2"), Some("req-2")));
        assert_eq!(current(), None);
    }
}

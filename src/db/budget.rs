//! The time budget of database work (`STATEMENT_TIMEOUT_MS`), so that slow queries cannot
//! hold every pooled connection while the other endpoints wait.
//!
//! - PostgreSQL: every pooled connection runs `SET statement_timeout`; the server cancels a
//!   statement that runs longer. A statement that failed after running at least that long
//!   is taken to be such a cancellation (diesel does not expose the SQLSTATE, 57014).
//! - SQLite: a progress handler on every connection (installed through
//!   `sqlite3_auto_extension`, since diesel exposes no raw handle) looks, every
//!   [`SQLITE_STEPS`] virtual machine steps, at a deadline kept by the thread: [`within`]
//!   sets it for one unit of work (a [`super::run`] closure, a transaction body on the write
//!   thread) and clears it after. Past the deadline the handler interrupts the statement and
//!   records on the thread that it did.
//!
//! Either way the unit of work fails with [`Error::Timeout`] (503 `statement_timeout` with
//! `Retry-After` to clients).

use super::Error;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use libsqlite3_sys as ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::time::{Duration, Instant};

/// Virtual machine steps between two looks at the deadline. A look is a thread-local read,
/// and a clock read while a deadline is set. Counted with callgrind over 20 cold public
/// searches on 100,000 activities (2.14 G instructions in `sqlite3_step`, about 280 per
/// step), the handler cost 0.02% of them at 1000 steps and 0.27% at 100; at 1000 an
/// interrupt comes within about 0.3 M instructions (well under a millisecond) of the deadline.
const SQLITE_STEPS: c_int = 1000;

thread_local! {
    /// When the current unit of work on this thread runs out of time.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Set when a statement of the current unit of work was stopped for its budget.
    static FIRED: Cell<bool> = const { Cell::new(false) };
}

/// Runs one unit of database work `f` within `budget` (`None`: no limit). If a statement of
/// it was stopped for running out of time, its error becomes 503 `statement_timeout`.
pub fn within<T, E: From<Error>>(budget: Option<Duration>, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let Some(budget) = budget else {
        return f();
    };
    let started = Instant::now();
    let _unit = Unit::start(started + budget);
    let result = f();
    match result {
        Err(_) if FIRED.get() => {
            log::warn!(
                "a unit of database work was stopped after {} ms (STATEMENT_TIMEOUT_MS={})",
                started.elapsed().as_millis(),
                budget.as_millis()
            );
            Err(Error::Timeout.into())
        }
        other => other,
    }
}

/// Runs `f` (a wait for another thread's work, such as the SQLite write thread) with the
/// clock of this thread's unit of work stopped: the time waited is not taken from its budget.
pub fn paused<T>(f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    if let Some(deadline) = DEADLINE.get() {
        DEADLINE.set(Some(deadline + started.elapsed()));
    }
    out
}

/// The deadline of the unit of work running on this thread; the previous one comes back
/// when it ends, also by a panic.
struct Unit {
    outer: (Option<Instant>, bool),
}

impl Unit {
    fn start(deadline: Instant) -> Self {
        Self {
            outer: (DEADLINE.replace(Some(deadline)), FIRED.replace(false)),
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        DEADLINE.set(self.outer.0);
        FIRED.set(self.outer.1);
    }
}

/// Applies `budget` to a new PostgreSQL connection: the server's `statement_timeout`, and
/// instrumentation that tells [`within`] when a statement failed after using all of it.
pub fn limit_postgres(conn: &mut diesel::PgConnection, budget: Option<Duration>) -> diesel::QueryResult<()> {
    let Some(budget) = budget else {
        return Ok(());
    };
    conn.batch_execute(&format!("SET statement_timeout = {}", budget.as_millis()))?;
    diesel::Connection::set_instrumentation(conn, PgStatements { budget, started: None });
    Ok(())
}

/// Times each statement of a PostgreSQL connection: one that fails after running for the
/// whole `statement_timeout` was cancelled by it (the server starts its clock after ours).
struct PgStatements {
    budget: Duration,
    started: Option<Instant>,
}

impl Instrumentation for PgStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.started = Some(Instant::now()),
            InstrumentationEvent::FinishQuery { error, .. } => {
                let ran = self.started.take().map(|at| at.elapsed());
                // A connection that broke meanwhile is no timeout (it answers 503 as it is).
                let refused = matches!(
                    error,
                    Some(diesel::result::Error::DatabaseError(kind, _))
                        if !matches!(kind, diesel::result::DatabaseErrorKind::ClosedConnection)
                );
                if refused && ran.is_some_and(|ran| ran >= self.budget) {
                    FIRED.set(true);
                }
            }
            _ => {}
        }
    }
}

/// Installs the progress handler on every SQLite connection the process opens from now on.
/// Idempotent; call before opening one.
pub fn install_sqlite_handler() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite calls an auto extension with and stays
        // valid for the life of the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            log::error!(
                "cannot install the SQLite statement budget (error {rc}); STATEMENT_TIMEOUT_MS has no effect on SQLite"
            );
        }
    });
}

/// Called by SQLite for each new connection.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the handler gets it back as its argument.
    unsafe { ffi::sqlite3_progress_handler(db, SQLITE_STEPS, Some(on_progress), db.cast()) };
    ffi::SQLITE_OK
}

/// The progress handler: nonzero interrupts the running statement. It never interrupts a
/// statement that writes: SQLite then rolls back the whole transaction, which on the write
/// thread holds the other bodies of its group; such a statement finishes, and the next
/// statement that reads is interrupted.
unsafe extern "C" fn on_progress(db: *mut c_void) -> c_int {
    let past = DEADLINE
        .try_with(|d| d.get().is_some_and(|at| Instant::now() >= at))
        .unwrap_or(false);
    // SAFETY: `db` is the connection this handler was installed on, running a statement.
    if !past || unsafe { writing(db.cast()) } {
        return 0;
    }
    let _ = FIRED.try_with(|f| f.set(true));
    1
}

/// Whether a statement that changes the database is running on `db`.
unsafe fn writing(db: *mut ffi::sqlite3) -> bool {
    // SAFETY: walks the connection's own statements, on the thread that is running one.
    unsafe {
        let mut stmt = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
        while !stmt.is_null() {
            if ffi::sqlite3_stmt_busy(stmt) != 0 && ffi::sqlite3_stmt_readonly(stmt) == 0 {
                return true;
            }
            stmt = ffi::sqlite3_next_stmt(db, stmt);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, DbConn, DbTarget, PoolOptions};
    use crate::error::{ApiError, ApiResult};
    use diesel::RunQueryDsl;

    /// Counts to `n` in SQLite's virtual machine: about a second per ten million.
    fn count_to(conn: &mut DbConn, n: u64) -> ApiResult<i64> {
        let sql = format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) AS n FROM c"
        );
        Ok(diesel::sql_query(sql).get_result::<db::Count>(conn)?.n)
    }

    fn memory() -> DbConn {
        db::open(&DbTarget::Sqlite(":memory:".into())).unwrap()
    }

    #[test]
    fn sqlite_work_past_its_budget_is_stopped_and_called_a_timeout() {
        let mut conn = memory();
        let started = Instant::now();
        let err = within(Some(Duration::from_millis(50)), || count_to(&mut conn, 1_000_000_000)).unwrap_err();
        assert_eq!(err.code(), "statement_timeout");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        // The deadline ends with the unit: the same connection runs on, without a limit.
        assert_eq!(count_to(&mut conn, 100_000).unwrap(), 100_000);
        assert_eq!(within(None, || count_to(&mut conn, 100_000)).unwrap(), 100_000);
        let err = within(Some(Duration::from_secs(10)), || -> ApiResult<()> {
            Err(ApiError::conflict("test_refused", "no"))
        })
        .unwrap_err();
        assert_eq!(err.code(), "test_refused", "an error in time keeps its code");
    }

    /// Time spent waiting for another thread (the write thread) is not taken from the budget.
    #[test]
    fn a_wait_for_another_thread_does_not_use_the_budget() {
        let mut conn = memory();
        let n = within(Some(Duration::from_millis(100)), || {
            paused(|| std::thread::sleep(Duration::from_millis(150)));
            count_to(&mut conn, 10_000)
        });
        assert_eq!(n.unwrap(), 10_000);
        let err = within(Some(Duration::from_millis(100)), || {
            std::thread::sleep(Duration::from_millis(150));
            count_to(&mut conn, 10_000)
        })
        .unwrap_err();
        assert_eq!(err.code(), "statement_timeout", "without the pause the budget is spent");
    }

    /// On the write thread, a body past its budget fails alone; a statement that writes is
    /// never interrupted (SQLite would roll back the whole group), the next read is.
    #[test]
    fn sqlite_writes_finish_and_the_next_read_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::Sqlite(dir.path().join("budget.db").to_str().unwrap().to_owned());
        let opts = PoolOptions {
            max_size: 2,
            timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_millis(20)),
        };
        let pool = db::connect(&target, &opts).unwrap();
        let mut conn = pool.get().unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let (tx, written) = std::sync::mpsc::channel();
        let err = db::transaction(&mut conn, move |c| {
            let started = Instant::now();
            let rows = diesel::sql_query(
                "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT x FROM c",
            )
            .execute(c);
            tx.send((rows.map_err(|e| e.to_string()), started.elapsed())).unwrap();
            count_to(c, 1_000_000_000)
        })
        .unwrap_err();
        assert_eq!(err.code(), "statement_timeout");
        let (rows, took) = written.recv().unwrap();
        assert_eq!(rows, Ok(1_000_000), "the write was interrupted after {took:?}");
        assert!(took > Duration::from_millis(20), "the write took only {took:?}");
        db::transaction(&mut conn, |c| {
            Ok::<_, ApiError>(diesel::sql_query("INSERT INTO t VALUES (-1)").execute(c)?)
        })
        .unwrap();
        let kept = diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<db::Count>(&mut *conn);
        assert_eq!(
            kept.unwrap().n,
            1,
            "the timed-out body's rows are rolled back, the next body's kept"
        );
    }

    #[test]
    fn postgres_statements_past_the_budget_are_called_a_timeout() {
        let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        else {
            return;
        };
        let mut conn = diesel::Connection::establish(&url).unwrap();
        limit_postgres(&mut conn, Some(Duration::from_millis(50))).unwrap();
        let mut conn = DbConn::Pg(conn);
        let sleep = |conn: &mut DbConn, secs: f64| -> ApiResult<()> {
            diesel::sql_query(format!("SELECT pg_sleep({secs})")).execute(conn)?;
            Ok(())
        };
        let started = Instant::now();
        let err = within(Some(Duration::from_millis(50)), || sleep(&mut conn, 5.0)).unwrap_err();
        assert_eq!(err.code(), "statement_timeout");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        within(Some(Duration::from_millis(50)), || sleep(&mut conn, 0.0)).unwrap();
        // A statement that fails before its budget ran out is no timeout. (With the 50 ms
        // budget above, a busy machine could take that long to fail it: a statement that
        // fails after its whole budget counts as cancelled by it.)
        let mut quick = diesel::Connection::establish(&url).unwrap();
        limit_postgres(&mut quick, Some(Duration::from_secs(5))).unwrap();
        let mut quick = DbConn::Pg(quick);
        let err = within(Some(Duration::from_secs(5)), || -> ApiResult<()> {
            diesel::sql_query("SELECT no_such_column FROM pg_class").execute(&mut quick)?;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.code(), "internal_error");
    }
}

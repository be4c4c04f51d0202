//! The SQLite write path of one process: a thread that owns the one connection every write
//! transaction runs on, and commits them in groups.
//!
//! SQLite has one writer at a time, so write transactions queue anyway. Running them on one
//! thread and one connection keeps both busy while there is work (no hand-over of a lock
//! between threads, each waiting to be scheduled), keeps that connection's page cache warm
//! (a connection in WAL mode drops its cache whenever another connection has written), and
//! committing the transactions that queued up meanwhile as one group writes each page they
//! share (the tail of the audit log, the inner pages of every index) to the WAL once per
//! group instead of once per transaction.
//!
//! Each transaction body runs in a savepoint of the group's `BEGIN IMMEDIATE` transaction:
//! a body that fails rolls back to its savepoint, leaves the others alone and gets its error
//! at once. A body that succeeded gets its value only when its group has committed, or the
//! commit's error if that failed: a caller never sees a write succeed before it would have
//! with a transaction of its own. The search index changes of a group's bodies are made
//! once, before its commit (see `super::search_changes`).
//!
//! Measured at 100k rows on 2 cores: with a mutex in front of `BEGIN
//! IMMEDIATE` instead, create+submit ran at 1,661 units/s (a dev run); with this thread (and
//! the one prepared workflow statement) 3,208 in bench/RESULTS.md. Kept.

use super::Error;
use super::{open, DbConn, DbTarget};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::OnceLock;
use std::time::Duration;

type Manager = <DbConn as Connection>::TransactionManager;

/// Settings of the write connection on top of every connection's: each body's savepoint
/// keeps the original of the pages it changes in memory rather than in a temporary file;
/// the WAL is copied back into the database every 4000 pages (16 MiB) rather than 1000,
/// so a page that many groups rewrite is copied (and the file synced) less often. A larger
/// page cache made no measurable difference.
const WRITER_PRAGMAS: &str = "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000;";

/// Most transaction bodies in one commit: a steady stream of writers still commits often.
const MAX_GROUP: usize = 64;

/// The write connection of one SQLite database, shared by the users of one pool. Its thread
/// starts with the first write and ends when the pool is dropped.
pub struct Writer {
    target: DbTarget,
    /// The time budget of each transaction body (see `super::budget`).
    budget: Option<Duration>,
    queue: OnceLock<Sender<Box<dyn Member>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("target", &self.target.redacted())
            .finish_non_exhaustive()
    }
}

/// One queued transaction body and the caller waiting for it.
trait Member: Send {
    /// Runs the body; true if it succeeded (its savepoint is kept).
    fn run(&mut self, conn: &mut DbConn) -> bool;
    /// Answers the caller: with the body's outcome, or `failed` when the body's writes were
    /// lost with its group.
    fn answer(self: Box<Self>, failed: Option<String>);
}

struct Call<T, E, F> {
    body: Option<F>,
    /// Whether the body began (a body that panicked began and has no outcome).
    began: bool,
    budget: Option<Duration>,
    outcome: Option<Result<T, E>>,
    reply: mpsc::SyncSender<Result<T, E>>,
}

impl<T, E, F> Member for Call<T, E, F>
where
    T: Send,
    E: From<Error> + Send,
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut DbConn) -> bool {
        self.began = true;
        let outcome = self.body.take().map(|f| super::budget::within(self.budget, || f(conn)));
        let ok = matches!(outcome, Some(Ok(_)));
        self.outcome = outcome;
        ok
    }

    fn answer(self: Box<Self>, failed: Option<String>) {
        let answer = match (self.outcome, failed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), None) => Ok(v),
            (Some(Ok(_)), Some(why)) => Err(lost(why).into()),
            // The write connection could not be opened or begin (busy past busy_timeout with
            // another process's writes, or unreachable): the database cannot answer now.
            (None, why) if !self.began => {
                Err(Error::Unavailable(why.unwrap_or_else(|| "the write did not run".into())).into())
            }
            // The body panicked: a bug.
            (None, why) => Err(Error::Other(why.unwrap_or_else(|| "the transaction did not run".into())).into()),
        };
        // The caller may have gone (a panic on its side); nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

fn lost(why: String) -> Error {
    Error::Unavailable(format!("the write was not saved: {why}"))
}

impl Writer {
    pub fn new(target: DbTarget, budget: Option<Duration>) -> Self {
        Self {
            target,
            budget,
            queue: OnceLock::new(),
        }
    }

    /// The database it writes to.
    pub fn target(&self) -> &DbTarget {
        &self.target
    }

    /// Runs `f` as one transaction on the write connection, committed together with
    /// whatever other transactions of this process queued meanwhile. `f`'s writes are all
    /// kept or all rolled back; an `Ok` is returned only once they are committed. Blocks.
    pub fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        let call = Box::new(Call {
            body: Some(f),
            began: false,
            budget: self.budget,
            outcome: None,
            reply,
        });
        if self.queue.get_or_init(|| self.start()).send(call).is_err() {
            return Err(lost("the write thread has stopped".into()).into());
        }
        answer
            .recv()
            .unwrap_or_else(|_| Err(lost("the write thread has stopped".into()).into()))
    }

    fn start(&self) -> Sender<Box<dyn Member>> {
        let (queue, calls) = mpsc::channel();
        let target = self.target.clone();
        let spawned = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&target, &calls));
        if let Err(e) = spawned {
            // The receiver is gone with the closure: every send fails and answers 503.
            log::error!("cannot start the SQLite write thread: {e}");
        }
        queue
    }
}

/// The write thread: one group per round, of the first call and those queued behind it.
fn write_loop(target: &DbTarget, calls: &Receiver<Box<dyn Member>>) {
    let mut conn: Option<DbConn> = None;
    while let Ok(first) = calls.recv() {
        if conn.is_none() {
            match open_writer(target) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    first.answer(Some(e));
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("opened above");
        if let Err(e) = begin(c) {
            // Busy past busy_timeout (another process writes), or a broken connection.
            conn = None;
            first.answer(Some(e));
            continue;
        }
        if let Err(why) = group(c, first, calls) {
            // Closing the connection rolls back what the group had written.
            log::error!("a write transaction group was rolled back: {why}");
            conn = None;
        }
    }
}

fn open_writer(target: &DbTarget) -> Result<DbConn, String> {
    let mut conn = open(target).map_err(|e| e.to_string())?;
    conn.batch_execute(WRITER_PRAGMAS).map_err(|e| e.to_string())?;
    if let DbConn::Sqlite(c) = &mut conn {
        super::search_changes::register(c, true).map_err(|e| e.to_string())?;
    }
    Ok(conn)
}

fn begin(conn: &mut DbConn) -> Result<(), String> {
    let DbConn::Sqlite(c) = conn else {
        return Err("the write connection is not SQLite".into());
    };
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE").map_err(|e| e.to_string())
}

/// Runs `first` and every call queued behind it (up to [`MAX_GROUP`]) in the transaction
/// begun on `conn`, commits, and answers them. An `Err` means the group was not committed
/// (its members have been told) and the connection must be closed.
fn group(conn: &mut DbConn, first: Box<dyn Member>, calls: &Receiver<Box<dyn Member>>) -> Result<(), String> {
    let mut kept: Vec<Box<dyn Member>> = Vec::new();
    let mut ran = 0;
    let mut next = Some(first);
    while let Some(mut call) = next.take() {
        ran += 1;
        let step = Manager::begin_transaction(conn)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                match catch_unwind(AssertUnwindSafe(|| call.run(conn))) {
                    Ok(true) => Manager::commit_transaction(conn).map(|()| true),
                    Ok(false) => Manager::rollback_transaction(conn).map(|()| false),
                    Err(_) => Err(diesel::result::Error::RollbackTransaction),
                }
                .map_err(|e| e.to_string())
            });
        match step {
            Ok(true) => kept.push(call),
            // Its savepoint is rolled back; the caller learns of its error now.
            Ok(false) => call.answer(None),
            Err(why) => {
                let why = format!("a transaction in the same group failed ({why})");
                call.answer(Some(why.clone()));
                return fail(kept, why);
            }
        }
        if ran < MAX_GROUP {
            next = calls.try_recv().ok();
        }
    }
    // Outside every body's savepoint: FTS5 writes one segment for the whole group.
    if let Err(e) = super::search_changes::apply_if_noted(conn) {
        return fail(kept, format!("the search indexes could not be brought up to date: {e}"));
    }
    if let Err(e) = Manager::commit_transaction(conn) {
        return fail(kept, e.to_string());
    }
    for call in kept {
        call.answer(None);
    }
    Ok(())
}

fn fail(kept: Vec<Box<dyn Member>>, why: String) -> Result<(), String> {
    for call in kept {
        call.answer(Some(why.clone()));
    }
    Err(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{connect, Pool, PoolOptions, Result, Unique};
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::time::Duration;

    fn database() -> (tempfile::TempDir, Pool, Arc<Writer>) {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::Sqlite(dir.path().join("writer.db").to_str().unwrap().to_owned());
        let opts = PoolOptions {
            max_size: 4,
            timeout: Duration::from_secs(5),
            statement_timeout: None,
        };
        let pool = connect(&target, &opts).unwrap();
        pool.get()
            .unwrap()
            .batch_execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .unwrap();
        (dir, pool, Arc::new(Writer::new(target, None)))
    }

    fn put(conn: &mut DbConn, k: &str) -> Result<()> {
        diesel::sql_query("INSERT INTO t (k) VALUES (?)")
            .bind::<Text, _>(k)
            .execute(conn)?;
        Ok(())
    }

    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = Text)]
        k: String,
    }

    /// The keys as another connection sees them.
    fn keys(pool: &Pool) -> BTreeSet<String> {
        diesel::sql_query("SELECT k FROM t")
            .load::<Key>(&mut *pool.get().unwrap())
            .unwrap()
            .into_iter()
            .map(|r| r.k)
            .collect()
    }

    fn has(pool: &Pool, k: &str) -> bool {
        keys(pool).contains(k)
    }

    #[test]
    fn every_write_is_committed_when_its_caller_hears_ok() {
        let (_dir, pool, writer) = database();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (pool, writer) = (pool.clone(), writer.clone());
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let k = format!("{t}-{i}");
                        let key = k.clone();
                        writer.run::<_, Error, _>(move |conn| put(conn, &key)).unwrap();
                        // Another connection sees it as soon as the call returns.
                        assert!(has(&pool, &k), "{k} not visible after Ok");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(keys(&pool).len(), 200);
    }

    type Body<T> = Box<dyn FnOnce(&mut DbConn) -> Result<T> + Send>;

    /// Starts `first` on the write thread, which holds it there for a while, and then the
    /// others, so that they queue behind it and run in the same group.
    fn group_of<T: Send + 'static>(
        writer: &Arc<Writer>,
        first: &'static str,
        others: Vec<Body<T>>,
    ) -> (Result<()>, Vec<Result<T>>) {
        let (started, running) = mpsc::channel();
        let w = writer.clone();
        let head = std::thread::spawn(move || {
            w.run::<_, Error, _>(move |conn| {
                put(conn, first)?;
                started.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
        });
        running.recv().unwrap();
        let mut rest = Vec::new();
        for body in others {
            let w = writer.clone();
            rest.push(std::thread::spawn(move || w.run(body)));
            std::thread::sleep(Duration::from_millis(30));
        }
        let rest = rest.into_iter().map(|t| t.join().unwrap()).collect();
        (head.join().unwrap(), rest)
    }

    #[test]
    fn a_failing_body_rolls_back_alone() {
        let (_dir, pool, writer) = database();
        let (a, rest) = group_of::<()>(
            &writer,
            "a",
            vec![
                Box::new(|conn| {
                    put(conn, "b")?;
                    Err(Error::Corrupt("refused by the test".into()))
                }),
                Box::new(|conn| put(conn, "c")),
                // A constraint violation inside the group is that body's error only.
                Box::new(|conn| put(conn, "a")),
            ],
        );
        assert!(a.is_ok());
        assert!(matches!(rest[0], Err(Error::Corrupt(_))), "{:?}", rest[0]);
        assert!(rest[1].is_ok());
        assert!(matches!(rest[2], Err(Error::Duplicate(Unique::Other))), "{:?}", rest[2]);
        assert_eq!(keys(&pool), BTreeSet::from(["a".to_owned(), "c".to_owned()]));
    }

    #[test]
    fn a_panicking_body_loses_its_group_and_the_writer_goes_on() {
        let (_dir, pool, writer) = database();
        let (a, rest) = group_of::<()>(
            &writer,
            "a",
            vec![
                Box::new(|conn| {
                    put(conn, "b")?;
                    panic!("a bug in a transaction body");
                }),
                Box::new(|conn| put(conn, "c")),
            ],
        );
        // The group with "a" and "b" is rolled back: "a" may retry, "b" is a bug.
        assert!(matches!(a, Err(Error::Unavailable(_))), "{a:?}");
        assert!(matches!(rest[0], Err(Error::Other(_))), "{:?}", rest[0]);
        // "c" was still queued, and runs in the next group on a fresh connection.
        assert!(rest[1].is_ok());
        writer.run::<_, Error, _>(|conn| put(conn, "d")).unwrap();
        assert_eq!(keys(&pool), BTreeSet::from(["c".to_owned(), "d".to_owned()]));
    }
}

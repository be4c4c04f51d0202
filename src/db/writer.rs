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
//! A body that fails only when the database does (a bulk decision's chunk, the outbox
//! workers' claims and records) may ask to run bare, without a savepoint, through
//! [`Writer::run_bare`]: the bare bodies run first in their group, and should one fail
//! after all, the bare ones before it are lost with it (answered 503) and the others run
//! in a new transaction.
//!
//! Measured at 100k rows on 2 cores: with a mutex in front of `BEGIN
//! IMMEDIATE` instead, create+submit ran at 1,661 units/s (a dev run); with this thread (and
//! the one prepared workflow statement) 3,208 in bench/RESULTS.md. Kept.

use super::checkpoint::Checkpoints;
use super::Error;
use super::{open, DbConn, DbTarget};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::Connection;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::OnceLock;
use std::time::Duration;

type Manager = <DbConn as Connection>::TransactionManager;

/// Settings of the write connection on top of every connection's: each body's savepoint
/// keeps the original of the pages it changes in memory rather than in a temporary file; no
/// automatic checkpoint (`super::checkpoint` copies the log back from another thread).
///
/// The page cache stays at its default 2 MiB: 32 MiB made no difference beyond noise to bulk
/// approvals at 100k rows and raised the peak RSS of a benchmark run from 88 to 128 MiB. But
/// a group of bulk chunks changes more pages than that, and by default SQLite then writes
/// changed pages to the log before the commit ("spills" them) and writes again those that
/// change once more: 8 % of this thread's time in a profile. Up to `cache_spill` pages
/// (32 MiB, a bound on the memory one large transaction can hold) the changed pages of a
/// transaction stay in memory until the commit. 10 k bulk approvals (20 requests of 500 on
/// one copy of a 100k database) took this thread 6–12 % less time without spilling, three
/// runs each way, and from 15 % less to 1 % more with this bound (noisy); the peak RSS of
/// the 100k benchmark stayed at 86 MiB.
const WRITER_PRAGMAS: &str = "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_spill = 8192;";

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
    /// Whether the body needs a savepoint of its own (see [`Writer::run_bare`]).
    fn guarded(&self) -> bool;
    /// Answers the caller: with the body's outcome, or `failed` when the body's writes were
    /// lost with its group.
    fn answer(self: Box<Self>, failed: Option<String>);
}

struct Call<T, E, F> {
    body: Option<F>,
    /// Whether the body began (a body that panicked began and has no outcome).
    began: bool,
    budget: Option<Duration>,
    guarded: bool,
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

    fn guarded(&self) -> bool {
        self.guarded
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
        self.queue_call(f, true)
    }

    /// [`Writer::run`] for a body that fails only when the database does: it runs without a
    /// savepoint of its own, ahead of the group's other bodies, and if it fails after all,
    /// the bare bodies run before it in that transaction are lost with it (their callers are
    /// answered 503) while the others still run, in a new transaction. A savepoint copies
    /// every page its body changes before the first change, and a bulk decision's pages are
    /// mostly each item's own: at 100k rows, bare bulk chunks and outbox writes took the
    /// write thread from 185–202 µs per decided item to 172–177 (bench/RESULTS.md,
    /// 2026-12-02 afternoon).
    pub fn run_bare<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        self.queue_call(f, false)
    }

    fn queue_call<T, E, F>(&self, f: F, guarded: bool) -> Result<T, E>
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
            guarded,
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
    let checkpoints = Checkpoints::start(target, super::checkpoint::FORCE_FRAMES);
    // Calls a failed group had taken from the queue but not run: the next group runs them.
    let mut waiting: VecDeque<Box<dyn Member>> = VecDeque::new();
    while let Some(first) = waiting.pop_front().or_else(|| calls.recv().ok()) {
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
        match group(c, first, &mut waiting, calls) {
            Ok(()) => checkpoints.committed(c),
            Err(why) => {
                // Closing the connection rolls back what the group had written.
                log::error!("a write transaction group was rolled back: {why}");
                conn = None;
            }
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
/// begun on `conn`, commits, and answers them. Whenever it takes calls from the queue it
/// takes all that are there and runs the bare ones first: without savepoints until one
/// in a savepoint has run in the transaction, and in one from then on. An `Err` means the
/// group was not committed (the members it ran have been told; those it had not run are
/// left in `waiting`) and the connection must be closed.
fn group(
    conn: &mut DbConn,
    first: Box<dyn Member>,
    waiting: &mut VecDeque<Box<dyn Member>>,
    calls: &Receiver<Box<dyn Member>>,
) -> Result<(), String> {
    // Calls taken together were all queued before any was answered: any order is theirs.
    let bare_first = |mut taken: Vec<Box<dyn Member>>| {
        taken.sort_by_key(|call| call.guarded());
        taken
    };
    let mut queued: VecDeque<_> = bare_first(std::iter::once(first).chain(waiting.drain(..)).collect()).into();
    let mut taken = queued.len();
    let mut kept: Vec<Box<dyn Member>> = Vec::new();
    // Whether a body has run in a savepoint: a bare body after it could not fail alone.
    let mut guarded_ran = false;
    loop {
        if queued.is_empty() && taken < MAX_GROUP {
            let more: Vec<_> = calls.try_iter().take(MAX_GROUP - taken).collect();
            taken += more.len();
            queued.extend(bare_first(more));
        }
        let Some(mut call) = queued.pop_front() else {
            break;
        };
        if !call.guarded() && !guarded_ran {
            if matches!(catch_unwind(AssertUnwindSafe(|| call.run(conn))), Ok(true)) {
                kept.push(call);
                continue;
            }
            // Only bare bodies have run: they are lost with it, and the rest start over.
            let why = "a bare write in the same group failed".to_owned();
            call.answer(Some(why.clone()));
            for lost in kept.drain(..) {
                lost.answer(Some(why.clone()));
            }
            if let Err(e) = Manager::rollback_transaction(conn)
                .map_err(|e| e.to_string())
                .and_then(|()| begin(conn))
            {
                waiting.extend(queued);
                return Err(e);
            }
            continue;
        }
        guarded_ran = true;
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
                waiting.extend(queued);
                return fail(kept, why);
            }
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
#[path = "writer_tests.rs"]
mod tests;

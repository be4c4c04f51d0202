//! Transactions: on SQLite through the write thread ([`super::Writer`]), elsewhere (and
//! nested) on the connection itself.

use super::{budget, Conn, DbConn, Error, Result};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

/// Runs `f` in one transaction: everything it writes commits together or not at all.
///
/// On SQLite, a transaction that is not nested runs on the pool's write thread (see
/// [`Writer`]), committed together with the others that queued meanwhile; the calling thread
/// waits for it. So the process's writers queue there, not in SQLite's busy handler, which
/// sleeps 1, 2, 5, 10… ms between looks while the lock is usually free again within a
/// fraction of a millisecond.
pub fn transaction<T, E, F>(conn: &mut Conn, f: F) -> std::result::Result<T, E>
where
    T: Send + 'static,
    E: From<Error> + Send + 'static,
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E> + Send + 'static,
{
    on_writer(conn, f, true)
}

/// [`transaction`] for a body that fails only when the database does (a lost race is a
/// result it returns, not a failure): on SQLite it runs without a savepoint of its own (see
/// [`Writer::run_bare`]); elsewhere it is [`transaction`].
pub fn transaction_bare<T, E, F>(conn: &mut Conn, f: F) -> std::result::Result<T, E>
where
    T: Send + 'static,
    E: From<Error> + Send + 'static,
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E> + Send + 'static,
{
    on_writer(conn, f, false)
}

fn on_writer<T, E, F>(conn: &mut Conn, f: F, guarded: bool) -> std::result::Result<T, E>
where
    T: Send + 'static,
    E: From<Error> + Send + 'static,
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E> + Send + 'static,
{
    match conn.pool.writer.clone() {
        // The body gets a budget of its own there; the wait for it is not the caller's.
        Some(writer) if !in_transaction(conn)? => {
            // The wait may be long under load: the pool's connection serves others meanwhile.
            conn.held.take();
            budget::paused(|| if guarded { writer.run(f) } else { writer.run_bare(f) })
        }
        _ => transaction_on(conn, f),
    }
}

fn in_transaction(conn: &mut DbConn) -> Result<bool> {
    type Manager = <DbConn as Connection>::TransactionManager;
    Ok(Manager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some())
}

/// Runs `f` in one transaction on `conn` itself. A SQLite transaction that is not nested
/// starts with `BEGIN IMMEDIATE`, taking the write lock up front (waiting up to
/// `busy_timeout` for it): a deferred transaction that has read before its first write
/// (FTS5 reads its own tables when a statement touches them) cannot wait for the lock later;
/// SQLite fails it at once with "database is locked".
pub fn transaction_on<T, E, F>(conn: &mut DbConn, f: F) -> std::result::Result<T, E>
where
    E: From<Error>,
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E>,
{
    type Manager = <DbConn as Connection>::TransactionManager;
    let nested = in_transaction(conn)?;
    let begun = match conn {
        DbConn::Sqlite(c) if !nested => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        _ => Manager::begin_transaction(conn),
    };
    begun.map_err(Error::from)?;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(Error::from)?;
            Ok(value)
        }
        Err(err) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
            Err(rollback) => Err(Error::from(rollback).into()),
        },
    }
}

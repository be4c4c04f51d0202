//! A read-only snapshot: the queries run through it all see the database as of one moment,
//! however long the reader takes between them (an export streamed page by page).
//!
//! SQLite: a deferred transaction, whose snapshot is taken by its first read; writers go on
//! (WAL), only the log cannot be copied back past it meanwhile. PostgreSQL: a `REPEATABLE
//! READ READ ONLY` transaction. Dropped without [`Snapshot::end`] (an error, a client gone),
//! it rolls back, so its connection goes back to the pool clean.

use super::{DbConn, Result};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

type Manager = <DbConn as Connection>::TransactionManager;

pub struct Snapshot<'a> {
    conn: &'a mut DbConn,
    open: bool,
}

impl<'a> Snapshot<'a> {
    pub fn begin(conn: &'a mut DbConn) -> Result<Self> {
        match conn {
            DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
            DbConn::Pg(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?
            }
        }
        Ok(Self { conn, open: true })
    }

    /// The connection, to run the snapshot's queries on.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Ends the snapshot.
    pub fn end(mut self) -> Result<()> {
        self.open = false;
        Ok(Manager::commit_transaction(self.conn)?)
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = Manager::rollback_transaction(self.conn) {
                log::warn!("a read snapshot could not be rolled back: {e}");
            }
        }
    }
}

//! The database: one connection enum over SQLite and PostgreSQL, an r2d2 pool that picks the
//! backend from the URL scheme, embedded migrations per backend, and the one helper that runs
//! queries off the async workers.

#[macro_use]
mod static_insert;
pub mod accounts;
pub mod activities;
pub mod applications;
pub mod audit;
pub mod badges;
mod budget;
pub mod campaigns;
mod checkpoint;
pub mod claims;
pub mod digest;
pub mod duplicates;
pub mod erasure;
pub mod error;
pub mod events;
pub mod export;
pub mod generation;
pub mod idempotency;
pub mod mail_tokens;
pub mod outbox;
pub mod public;
pub mod purge;
pub mod queue;
pub mod schema;
mod search_changes;
pub mod search_count;
pub mod snapshot;
mod target;
mod tx;
pub use tx::{transaction, transaction_bare, transaction_on};
pub mod text_search;
pub mod tokens;
pub mod webhooks;
mod writer;

use chrono::NaiveDateTime;
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub use error::{Error, Result, Unique};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
pub use target::DbTarget;
pub use writer::Writer;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the URL named.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

/// Which backend a connection talks to, for the few queries that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Sqlite(_) => Backend::Sqlite,
            DbConn::Pg(_) => Backend::Postgres,
        }
    }
}

/// Failure to open or check a connection.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The r2d2 manager: opens the backend the target names, never "try each backend".
#[derive(Debug, Clone)]
pub struct Manager {
    target: DbTarget,
    /// The statement time budget of PostgreSQL connections (see [`budget`]).
    budget: Option<Duration>,
}

/// Per-connection SQLite settings. WAL is set once before the pool is built.
const SQLITE_CONNECTION_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

diesel::define_sql_function! {
    /// Measured: 1–2 character searches at 100k rows went from 225 req/s (a scan of every
    /// approved row) to 11,482 with this index (bench/RESULTS.md history). Kept.
    ///
    /// The tokens of the short-query search index (`domain::text::search_grams`), for the
    /// SQLite triggers that keep that index.
    fn search_grams(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Opens a SQLite connection with the settings and functions every connection needs.
fn open_sqlite(path: &str) -> std::result::Result<diesel::SqliteConnection, ConnError> {
    budget::install_sqlite_handler();
    let mut conn = diesel::SqliteConnection::establish(path)?;
    conn.batch_execute(SQLITE_CONNECTION_PRAGMAS)?;
    search_grams_utils::register_impl(&mut conn, |text: String| crate::domain::text::search_grams(&text))?;
    search_changes::register(&mut conn, false)?;
    Ok(conn)
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnError;

    fn connect(&self) -> std::result::Result<DbConn, ConnError> {
        let mut conn = open(&self.target)?;
        if let DbConn::Pg(c) = &mut conn {
            budget::limit_postgres(c, self.budget)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> std::result::Result<(), ConnError> {
        Ok(conn.ping()?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// One connection outside any pool, for a thread that keeps it.
pub fn open(target: &DbTarget) -> std::result::Result<DbConn, ConnError> {
    match target {
        DbTarget::Sqlite(path) => Ok(DbConn::Sqlite(open_sqlite(path)?)),
        DbTarget::Postgres(url) => Ok(DbConn::Pg(diesel::PgConnection::establish(url)?)),
    }
}

/// The connection pool, and for SQLite the process's write connection (see [`Writer`]).
#[derive(Debug, Clone)]
pub struct Pool {
    pool: r2d2::Pool<Manager>,
    writer: Option<Arc<Writer>>,
    budget: Option<Duration>,
}

impl Pool {
    /// Whether this pool's transactions run on one write thread (SQLite), so that a
    /// transaction waiting for its turn holds no connection.
    pub fn writes_on_one_thread(&self) -> bool {
        self.writer.is_some()
    }

    /// Checks a connection out (blocking; call it off the async workers).
    pub fn get(&self) -> std::result::Result<Conn, r2d2::Error> {
        Ok(Conn {
            held: std::cell::OnceCell::from(Held::Pooled(self.pool.get()?)),
            pool: self.clone(),
        })
    }
}

pub type PooledConn = r2d2::PooledConnection<Manager>;

/// A pooled connection for one unit of work. It dereferences to the connection; its
/// [`transaction`]s run on the pool's SQLite write connection where there is one, and while
/// such a transaction waits for its turn there, the pooled connection is back in the pool.
pub struct Conn {
    /// Empty only while a transaction runs on the write thread; taken again when next used.
    held: std::cell::OnceCell<Held>,
    pool: Pool,
}

enum Held {
    Pooled(PooledConn),
    /// A connection of its own, when the pool had none to give back after a transaction.
    Own(DbConn),
}

impl Conn {
    fn held(&self) -> &Held {
        self.held.get_or_init(|| self.pool.take_again())
    }
}

impl Pool {
    /// A connection again for a unit of work that gave its own back while its transaction
    /// ran on the write thread. That transaction is committed and its caller must hear so,
    /// so a pool that has no connection to give within its timeout does not fail the unit:
    /// it gets a connection of its own (a SQLite file, opened in well under a millisecond).
    fn take_again(&self) -> Held {
        // The wait for a connection is the pool's, not the unit of work's time budget.
        match budget::paused(|| self.pool.get()) {
            Ok(c) => Held::Pooled(c),
            Err(e) => match self.writer.as_deref().map(|w| open(w.target())) {
                Some(Ok(c)) => Held::Own(c),
                // The database file cannot be opened any more: nothing can continue.
                Some(Err(e)) => panic!("cannot open the database again after a write: {e}"),
                None => panic!("a connection was given back without a write thread: {e}"),
            },
        }
    }
}

impl Deref for Conn {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        match self.held() {
            Held::Pooled(c) => c,
            Held::Own(c) => c,
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConn {
        self.held();
        match self.held.get_mut().expect("taken above") {
            Held::Pooled(c) => c,
            Held::Own(c) => c,
        }
    }
}

/// Pool settings from the configuration.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub timeout: Duration,
    /// The time budget of each unit of database work (`None`: no limit); see [`run`].
    pub statement_timeout: Option<Duration>,
}

/// Opens the pool. For SQLite, creates the file's folder and switches the file to WAL first.
/// The pool starts empty, so a server can start while PostgreSQL is still coming up.
pub fn connect(target: &DbTarget, opts: &PoolOptions) -> std::result::Result<Pool, String> {
    if let DbTarget::Sqlite(path) = target {
        prepare_sqlite_file(path)?;
    }
    let pool = r2d2::Pool::builder()
        .max_size(opts.max_size)
        .min_idle(Some(0))
        .connection_timeout(opts.timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager {
            target: target.clone(),
            budget: opts.statement_timeout,
        });
    let budget = opts.statement_timeout;
    let writer = matches!(target, DbTarget::Sqlite(_)).then(|| Arc::new(Writer::new(target.clone(), budget)));
    Ok(Pool { pool, writer, budget })
}

fn prepare_sqlite_file(path: &str) -> std::result::Result<(), String> {
    let in_memory = path == ":memory:" || path.contains("mode=memory");
    if !in_memory {
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the database folder {}: {e}", dir.display()))?;
        }
    }
    let mut conn = diesel::SqliteConnection::establish(path)
        .map_err(|e| format!("cannot open the SQLite database {path}: {e}"))?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")
        .map_err(|e| format!("cannot switch {path} to WAL: {e}"))?;
    Ok(())
}

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> std::result::Result<usize, String> {
    let ran = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    ran.map_err(|e| format!("migration failed: {e}"))
}

/// Runs `f` with a pooled connection on the runtime's blocking threads, so diesel never
/// blocks an async worker, with the caller's request id (for its log lines) and within the
/// pool's time budget (`STATEMENT_TIMEOUT_MS`; see [`budget`]). Pool exhaustion or an
/// unreachable database is [`Error::Unavailable`], running out of time [`Error::Timeout`].
pub async fn run<T, E, F>(pool: &Pool, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut Conn) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(crate::request_id::carry(move || {
        let mut conn = pool.get().map_err(Error::from)?;
        budget::within(pool.budget, || f(&mut conn))
    }))
    .await
    .unwrap_or_else(|e| Err(Error::Other(format!("blocking task: {e}")).into()))
}

/// Like [`run`], but `f` gets the pool itself, for work that spreads over several
/// connections of its own (each taken with [`with_conn`]).
pub async fn run_spread<T, E, F>(pool: &Pool, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&Pool) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(crate::request_id::carry(move || f(&pool)))
        .await
        .unwrap_or_else(|e| Err(Error::Other(format!("blocking task: {e}")).into()))
}

/// Runs `f`, one unit of work on a connection the caller holds, within the pool's time
/// budget (a page of a long export gets a budget of its own).
pub fn budgeted<T, E: From<Error>>(
    pool: &Pool,
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    budget::within(pool.budget, f)
}

/// Runs `f` with a connection of `pool` on the calling thread, within the time budget.
pub fn with_conn<T, E, F>(pool: &Pool, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut Conn) -> std::result::Result<T, E>,
    E: From<Error>,
{
    let mut conn = pool.get().map_err(Error::from)?;
    budget::within(pool.budget, || f(&mut conn))
}

/// A trivial query: whether the database answers.
pub fn ping(conn: &mut DbConn) -> Result<()> {
    Ok(conn.batch_execute("SELECT 1")?)
}

pub use crate::domain::clock::{new_id, now, utc};

/// `(time, id) < (at, id)` (or `>`) on the columns `table.time` and `table.id`, written as a
/// row-value comparison: both backends then seek straight to the position in an index
/// ordered by (time, id), where the equivalent `OR` form would walk the index from its start.
pub fn keyset(
    table_time: &'static str,
    table_id: &'static str,
    op: &'static str,
    at: NaiveDateTime,
    id: &str,
) -> diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    impl diesel::query_builder::QueryFragment<MultiBackend> + Clone,
> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("({table_time}, {table_id}) {op} ("))
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .sql(", ")
        .bind::<diesel::sql_types::Text, _>(id.to_owned())
        .sql(")")
}

/// One number from a raw query (`SELECT … AS n`).
#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.cargo/config.toml` builds the bundled SQLite with the query planner stability
    /// guarantee, so statements with a bound `LIMIT` stay prepared (see there).
    #[test]
    fn sqlite_plans_ignore_bound_values() {
        let mut conn = open(&DbTarget::Sqlite(":memory:".into())).unwrap();
        let n =
            diesel::sql_query("SELECT count(*) AS n FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG'")
                .get_result::<Count>(&mut conn)
                .unwrap()
                .n;
        assert_eq!(n, 1, "SQLite was built without SQLITE_ENABLE_QPSG");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}

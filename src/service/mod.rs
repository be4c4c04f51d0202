//! What the registry does, between the HTTP handlers and the tables: the workflow, accounts,
//! campaigns and the public read model. Services speak in the application's errors
//! ([`crate::error::ApiError`]) and domain types; they know nothing of requests and responses.

pub mod accounts;
pub mod activities;
pub mod applications;
pub mod audit;
pub mod badges;
pub mod bulk;
pub mod campaigns;
pub mod claims;
pub mod erasure;
pub mod event_clock;
pub mod events;
pub mod export;
pub mod moderation;
pub mod my_data;
pub mod notices;
pub mod outbox;
pub mod password_reset;
pub mod public;
pub mod sessions;
pub mod staff;
pub mod verification;
pub mod webhooks;
pub mod workflow;

use crate::db::{self, Conn, DbConn, Pool};
use crate::error::{ApiError, ApiResult};
use serde::Serialize;

/// Why an edit that names the version it read was not made: the row moved on (here it is as
/// it is now), or anything else.
#[derive(Debug)]
pub enum EditError<T> {
    Stale(Box<T>),
    Failed(ApiError),
}

impl<T> From<ApiError> for EditError<T> {
    fn from(e: ApiError) -> Self {
        EditError::Failed(e)
    }
}

impl<T> From<db::Error> for EditError<T> {
    fn from(e: db::Error) -> Self {
        EditError::Failed(e.into())
    }
}

impl<T> EditError<T> {
    /// The error a client gets: a stale version is 409 `version_conflict` with `current`,
    /// the row as `view` shows it, and the `detail` said of that view.
    pub fn into_api<V: Serialize>(
        self,
        view: impl FnOnce(T) -> ApiResult<V>,
        detail: impl FnOnce(&V) -> String,
    ) -> ApiError {
        match self {
            EditError::Stale(row) => match view(*row) {
                Ok(current) => ApiError::conflict("version_conflict", detail(&current)).with_current(current),
                Err(e) => e,
            },
            EditError::Failed(e) => e,
        }
    }
}

/// [`db::run`] for work that answers in the application's errors.
pub async fn run<T, F>(pool: &Pool, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut Conn) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    db::run(pool, f).await
}

/// [`db::transaction`] for work that answers in the application's errors.
pub fn transaction<T, F>(conn: &mut Conn, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
{
    db::transaction(conn, f)
}

/// Whether the database answers a query (for the readiness probe).
pub async fn ping(pool: &Pool) -> ApiResult<()> {
    run(pool, |conn| Ok(db::ping(conn)?)).await
}

/// [`db::run_spread`] for work that answers in the application's errors.
pub async fn run_spread<T, F>(pool: &Pool, f: F) -> ApiResult<T>
where
    F: FnOnce(&Pool) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    db::run_spread(pool, f).await
}

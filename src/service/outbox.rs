//! The outbox as admins see it: the list of mails and a retry of a dead one, audited.

use crate::db::audit::AuditEvent;
use crate::db::outbox::{self, OutboxRow, RetryRefused};
use crate::db::{self, Conn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, OutboxState};
use crate::domain::page::Cursor;
use crate::error::{ApiError, ApiResult};

/// One page of the outbox, newest first (one row more than `limit` when there are more).
pub fn list(
    conn: &mut Conn,
    state: Option<OutboxState>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<OutboxRow>> {
    Ok(outbox::list(conn, state, cursor, limit)?)
}

/// Makes a dead mail pending again (409 `invalid_state` if it is not dead, `mail_erased` if
/// its one-time link is gone).
pub fn retry(conn: &mut Conn, admin: Actor, id: String) -> ApiResult<OutboxRow> {
    db::transaction(conn, move |conn| {
        let row = match outbox::retry(conn, &id)? {
            Ok(row) => row,
            Err(RetryRefused::NotDead(s)) => {
                return Err(ApiError::conflict(
                    "invalid_state",
                    format!("Only dead mails are retried; this one is {s}."),
                ))
            }
            Err(RetryRefused::BodyErased) => {
                return Err(ApiError::conflict(
                    "mail_erased",
                    "This mail held a one-time link, erased when it died; its recipient must ask for a new one.",
                ))
            }
        };
        let detail = format!("{} {}", row.kind, row.message_id);
        AuditEvent::account(&admin.id, &admin, AuditAction::OutboxRetry, Some(detail)).insert(conn)?;
        Ok(row)
    })
}

//! Privacy rights: erasing an account (at its own request or an admin's). Its activities
//! are withdrawn first, each as the workflow withdraws one (audited, webhooks told); then
//! its private data is erased in one transaction (db::erasure), audited as
//! `account_erase`. Run again after a failure, it goes on where it stopped.

use crate::db::audit::AuditEvent;
use crate::db::{self, accounts, erasure, now, Conn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, Role};
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::workflow::{self, Step, StepError};

/// Withdraws every activity of the registrant `account_id` and erases its private data;
/// `actor` is the account itself or an admin. 404 for no such account, 409
/// `not_a_registrant` for staff.
pub fn erase(conn: &mut Conn, mailer: &Mailer, actor: &Actor, account_id: String) -> ApiResult<()> {
    let account = accounts::find(conn, &account_id)?;
    if account.role != Role::Registrant {
        return Err(ApiError::conflict(
            "not_a_registrant",
            "Only a registrant's account can be erased; take the role away first.",
        ));
    }
    // An owner's edit meanwhile makes a step stale: the next round reads it again.
    for _ in 0..3 {
        let open = erasure::not_withdrawn(conn, &account_id)?;
        if open.is_empty() {
            break;
        }
        for item in open {
            let step = Step {
                action: Action::Withdraw,
                version: item.0.version,
                reason: None,
                edit: None,
            };
            match workflow::perform(conn, item, actor, step, mailer) {
                Ok(_) | Err(StepError::Conflict { .. }) | Err(StepError::Lost) => {}
                Err(StepError::Failed(e)) => return Err(e),
            }
        }
    }
    if !erasure::not_withdrawn(conn, &account_id)?.is_empty() {
        return Err(ApiError::conflict(
            "erasure_incomplete",
            "The account's activities kept changing while they were withdrawn; try again.",
        ));
    }
    let actor = actor.clone();
    Ok(db::transaction(conn, move |conn| {
        erasure::erase(conn, &account_id, now())?;
        AuditEvent::account(&account_id, &actor, AuditAction::AccountErase, None).insert(conn)
    })?)
}

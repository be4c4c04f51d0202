//! Privacy rights: erasing an account (at its own request or an admin's). Its activities
//! are withdrawn first, each as the workflow withdraws one (audited, webhooks told); then
//! its private data is erased in one transaction (db::erasure), audited as
//! `account_erase`. Run again after a failure, it goes on where it stopped.

use crate::db::audit::AuditEvent;
use crate::db::{accounts, erasure, now, purge, Conn};
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
            "Only a registrant's account can be erased; a staff account can be disabled instead.",
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
    erase_withdrawn(conn, mailer, actor, account_id)
}

/// The erasure proper, once the activities of `account_id` are withdrawn: 409
/// `erasure_incomplete` if one is not, seen in the erasure's own transaction.
fn erase_withdrawn(conn: &mut Conn, mailer: &Mailer, actor: &Actor, account_id: String) -> ApiResult<()> {
    let actor = actor.clone();
    let mails = crate::service::transaction(conn, move |conn| {
        // A step of the owner's under way either committed first, and shows here, or finds
        // the version it read gone (the row locks wait for it on PostgreSQL).
        erasure::hold_activities(conn, &account_id)?;
        if !erasure::not_withdrawn(conn, &account_id)?.is_empty() {
            return Err(incomplete());
        }
        erasure::forget_organizer_name(conn, &account_id)?;
        let mails = erasure::erase(conn, &account_id, now())?;
        AuditEvent::account(&account_id, &actor, AuditAction::AccountErase, None).insert(conn)?;
        Ok(mails)
    })?;
    mailer.forget_files(&mails);
    Ok(())
}

fn incomplete() -> ApiError {
    ApiError::conflict(
        "erasure_incomplete",
        "The account's activities kept changing while they were withdrawn; try again.",
    )
}

/// What `purge` found (and, applied, erased).
#[derive(Debug, PartialEq, Eq)]
pub struct Purged {
    pub applicants: usize,
    pub accounts: usize,
    pub applied: bool,
}

/// After the campaign `slug` (ended more than `older_than_days` days ago): the private data
/// of the applicants to its sessions, and of the registrants with no activity in a later
/// campaign (their activities stay as they are). Only counts unless `apply`; an applied
/// purge is audited (`purge`).
pub fn purge(conn: &mut Conn, mailer: &Mailer, slug: &str, older_than_days: i64, apply: bool) -> ApiResult<Purged> {
    let campaign = crate::db::campaigns::by_slug(conn, slug)?
        .ok_or_else(|| ApiError::field("campaign", "unknown_campaign", format!("there is no campaign `{slug}`")))?;
    let today = now().date();
    if campaign.ends_on + chrono::Duration::days(older_than_days.max(0)) >= today {
        return Err(ApiError::conflict(
            "campaign_too_recent",
            format!(
                "campaign `{slug}` ended on {}: not more than {older_than_days} days ago",
                campaign.ends_on
            ),
        ));
    }
    let applicants = purge::applicants(conn, &campaign.id)?;
    let departed = purge::departed(conn, &campaign.id, campaign.starts_on)?;
    let found = Purged {
        applicants: applicants.len(),
        accounts: departed.len(),
        applied: apply,
    };
    if !apply {
        return Ok(found);
    }
    let detail = format!(
        "campaign {slug}: {} applicants and {} accounts erased",
        found.applicants, found.accounts
    );
    let mails = crate::service::transaction(conn, move |conn| {
        let at = now();
        let mut mails = purge::erase_applicants(conn, &applicants, at)?;
        for id in &departed {
            mails.extend(erasure::erase(conn, id, at)?);
        }
        AuditEvent::system(AuditAction::Purge, detail).insert(conn)?;
        Ok(mails)
    })?;
    mailer.forget_files(&mails);
    Ok(found)
}

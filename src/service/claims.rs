//! Claims: a moderator marks a queued item as theirs for a while, so two moderators do not
//! review the same item. A claim never changes the activity (nor its version); it expires by
//! itself, and the item's leaving the queue ends it.

use crate::db::activities;
use crate::db::audit::AuditEvent;
use crate::db::claims::{self, Claim, Claimed};
use crate::db::{self, now, Conn};
use crate::domain::actor::Actor;
use crate::domain::clock::utc;
use crate::domain::codes::{AuditAction, Role};
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use std::time::Duration;

/// The problem for a decision or claim on an item another moderator holds.
pub fn claimed_by_other(c: &Claim) -> ApiError {
    ApiError::conflict(
        "claimed_by_other",
        format!(
            "{} is reviewing this item until {} (UTC).",
            c.moderator_name,
            utc(c.expires_at).format("%Y-%m-%d %H:%M:%S")
        ),
    )
    .with_current(json!({
        "claimed_by": c.moderator_name,
        "claim_expires_at": utc(c.expires_at),
    }))
}

/// Claims a queued activity for `ttl` (renewing the caller's own claim). 409
/// `claimed_by_other`, `claim_limit` (the caller holds `max` others) or `not_queued`.
pub fn claim(conn: &mut Conn, moderator: Actor, id: String, ttl: Duration, max: i64) -> ApiResult<Claim> {
    db::transaction(conn, move |conn| {
        let (row, _) = activities::find(conn, &id)?;
        if row.queued_at.is_none() {
            return Err(ApiError::conflict(
                "not_queued",
                "Only items in the moderation queue can be claimed.",
            ));
        }
        let at = now();
        let until = at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(15));
        match claims::claim(conn, &id, &moderator.id, at, until, max)? {
            Claimed::Held(c) => {
                let detail = Some(format!("until {}", c.expires_at));
                AuditEvent::on_activity(&id, &moderator, AuditAction::Claim, detail).insert(conn)?;
                Ok(c)
            }
            Claimed::Other(c) => Err(claimed_by_other(&c)),
            Claimed::Limit(n) => Err(ApiError::conflict(
                "claim_limit",
                format!("You already hold {n} claims, the most one moderator may; release or decide some first."),
            )),
        }
    })
}

/// Ends the caller's claim (404 if they hold none).
pub fn release(conn: &mut Conn, moderator: Actor, id: String) -> ApiResult<()> {
    db::transaction(conn, move |conn| {
        if !claims::release(conn, &id, &moderator.id)? {
            return Err(ApiError::not_found("You hold no claim on this item."));
        }
        AuditEvent::on_activity(&id, &moderator, AuditAction::ClaimRelease, None).insert(conn)?;
        Ok(())
    })
}

/// Whether `actor` may decide on an item now: 409 `claimed_by_other` when another moderator
/// holds it, unless an admin overrides. An override is the audit event to write with the
/// decision.
pub fn check_decision(conn: &mut Conn, actor: &Actor, id: &str, override_claim: bool) -> ApiResult<Option<AuditEvent>> {
    let Some(c) = claims::holder(conn, id, now())? else {
        return Ok(None);
    };
    if c.moderator_id == actor.id {
        return Ok(None);
    }
    if !(override_claim && actor.role == Role::Admin) {
        return Err(claimed_by_other(&c));
    }
    let detail = Some(format!("claimed by {} until {}", c.moderator_id, c.expires_at));
    Ok(Some(AuditEvent::on_activity(
        id,
        actor,
        AuditAction::ClaimOverride,
        detail,
    )))
}

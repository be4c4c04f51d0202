//! Runs a workflow step against the tables: the domain decides, one conditional write
//! applies it, and the audit event (and the public generation, when public data changes)
//! commit in the same transaction.

use super::activities::{self, ActivityChanges, ActivityRow, WithSlug};
use super::audit::AuditEvent;
use super::{campaigns, now, public, DbConn};
use crate::auth::CurrentUser;
use crate::domain::activity::{self as text_rules, TextInput};
use crate::domain::workflow::{decide, Action, Status, TextEffect};
use crate::error::{ApiError, ApiResult};

/// One requested step.
pub struct Step {
    pub action: Action,
    /// The version the client saw.
    pub version: i64,
    /// Reason code and text, for reject and unpublish.
    pub reason: Option<(String, String)>,
    /// The edit, for `Action::Edit`.
    pub edit: Option<TextInput>,
}

/// What a step left behind.
pub enum Outcome {
    Updated(Box<WithSlug>),
    Deleted,
}

/// A 409 that shows the activity as it is now; `to_view` renders it for the caller.
fn conflict(
    code: &'static str,
    detail: String,
    current: &WithSlug,
    to_view: &dyn Fn(&WithSlug) -> serde_json::Value,
) -> ApiError {
    ApiError::conflict(code, detail).with_current(to_view(current))
}

/// Performs `step` on the activity `current` (as read just before). Returns a 409
/// `version_conflict` when the client's version is stale or another writer got there first,
/// and `invalid_transition` when the diagram does not allow the step.
pub fn perform(
    conn: &mut DbConn,
    current: WithSlug,
    actor: &CurrentUser,
    step: Step,
    to_view: &dyn Fn(&WithSlug) -> serde_json::Value,
) -> ApiResult<Outcome> {
    let (row, _) = &current;
    if row.version != step.version {
        return Err(conflict(
            "version_conflict",
            format!(
                "The activity is at version {}, not {}; reload it and try again.",
                row.version, step.version
            ),
            &current,
            to_view,
        ));
    }
    let status = row.status();
    let revision = row.revision();
    let t = decide(status, revision.is_some(), step.action)
        .map_err(|e| conflict("invalid_transition", format!("Cannot do that: {e}."), &current, to_view))?;
    let at = now();

    if t.audit_action == "submit" {
        let campaign = campaigns::find(conn, &row.campaign_id)?;
        if !campaign.is_open_at(at) {
            return Err(ApiError::unprocessable(
                "registration_closed",
                format!(
                    "Registration for campaign `{}` is open from {} to {} (UTC); submissions are refused outside that window.",
                    campaign.slug, campaign.registration_opens_at, campaign.registration_closes_at
                ),
            ));
        }
    }

    let mut changes = ActivityChanges {
        status: Some(t.to.as_str().to_owned()),
        updated_at: Some(at),
        ..Default::default()
    };
    match t.queued {
        Some(true) => changes.queued_at = Some(Some(at)),
        Some(false) => changes.queued_at = Some(None),
        None => {}
    }
    match t.text {
        TextEffect::EditText => {
            let input = step.edit.unwrap_or_default();
            let text =
                text_rules::build(Some(&row.text()), input, &actor.display_name).map_err(ApiError::validation)?;
            changes = changes.with_text(&text);
        }
        TextEffect::EditRevision => {
            let base = revision.clone().unwrap_or_else(|| row.text());
            let input = step.edit.unwrap_or_default();
            let text = text_rules::build(Some(&base), input, &actor.display_name).map_err(ApiError::validation)?;
            changes.pending_revision = Some(Some(
                serde_json::to_string(&text).map_err(|e| ApiError::internal(e.to_string()))?,
            ));
            changes.rejection_reason = Some(None);
            changes.rejection_reason_code = Some(None);
        }
        TextEffect::ApplyRevision | TextEffect::MergeRevision => {
            if let Some(r) = &revision {
                changes = changes.with_text(r);
            }
            changes.pending_revision = Some(None);
        }
        TextEffect::DropRevision => changes.pending_revision = Some(None),
        TextEffect::Unchanged | TextEffect::Remove => {}
    }
    match step.action {
        Action::Submit => {
            changes.submitted_at = Some(Some(at));
            changes.rejection_reason = Some(None);
            changes.rejection_reason_code = Some(None);
        }
        Action::Approve => {
            changes.decided_at = Some(Some(at));
            if status == Status::Pending {
                changes.approved_at = Some(Some(at));
                changes.rejection_reason = Some(None);
                changes.rejection_reason_code = Some(None);
            }
        }
        Action::Reject | Action::Unpublish => {
            let (code, text) = step.reason.clone().unwrap_or_default();
            changes.decided_at = Some(Some(at));
            changes.rejection_reason_code = Some(Some(code));
            changes.rejection_reason = Some(Some(text));
        }
        _ => {}
    }
    // Public data changes when an approved activity leaves or changes, or one is approved.
    let touches_public =
        t.from == Status::Approved && t.text != TextEffect::EditRevision && t.text != TextEffect::DropRevision
            || t.to == Status::Approved && t.from != Status::Approved;

    let id = row.id.clone();
    let queued_at = row.queued_at;
    super::transaction(conn, |conn| {
        let applied = if t.text == TextEffect::Remove {
            activities::delete_if_current(conn, &id, step.version)?
        } else {
            activities::update_if_current(conn, &id, step.version, status, &changes)?
        };
        if !applied {
            return Err(ApiError::conflict(
                "version_conflict",
                "Someone else changed this activity first; reload it.",
            ));
        }
        let mut event = AuditEvent::transition(&id, actor, &t);
        if let Some((code, text)) = &step.reason {
            event = event.with_reason(code, text);
        }
        if matches!(step.action, Action::Approve | Action::Reject) {
            event = event.waited(queued_at);
        }
        event.insert(conn)?;
        if touches_public {
            public::bump(conn)?;
        }
        Ok(())
    })
    .map_err(|e| {
        // Lost a race: answer with the state that won.
        match (e.code(), activities::find(conn, &id)) {
            ("version_conflict", Ok(c)) => conflict(
                "version_conflict",
                "Someone else changed this activity first; reload it.".into(),
                &c,
                to_view,
            ),
            _ => e,
        }
    })?;
    if t.text == TextEffect::Remove {
        return Ok(Outcome::Deleted);
    }
    Ok(Outcome::Updated(Box::new(activities::find(conn, &id)?)))
}

/// Whether a step changed public data (the caller then refreshes its cache view).
pub fn row_is_public(row: &ActivityRow) -> bool {
    row.status() == Status::Approved
}

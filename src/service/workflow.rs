//! Runs a workflow step against the tables: the domain decides, one conditional write
//! applies it, and the audit event (and the public generation, when public data changes)
//! commit in the same transaction.

use crate::db::accounts::{self, AccountRow};
use crate::db::activities::{self, ActivityRow, WithSlug};
use crate::db::audit::AuditEvent;
use crate::db::outbox::Mail;
use crate::db::{self, campaigns, claims, duplicates, generation, now, Conn, DbConn};
use crate::domain::activity::{self as text_rules, TextInput};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, MailKind, ReasonCode};
use crate::domain::webhook::event_for;
use crate::domain::workflow::{decide, Action, Status, TextEffect, Transition};
use crate::error::ApiError;
use crate::mail::Mailer;
use crate::service::{notices, webhooks};

/// One requested step.
pub struct Step {
    pub action: Action,
    /// The version the client saw.
    pub version: i64,
    /// Reason code and text, for reject and unpublish.
    pub reason: Option<(ReasonCode, String)>,
    /// The edit, for `Action::Edit`.
    pub edit: Option<TextInput>,
}

/// What a step left behind.
pub enum Outcome {
    Updated(Box<WithSlug>),
    Deleted,
}

/// Why a step was not done.
#[derive(Debug)]
pub enum StepError {
    /// A 409: the activity as it is now goes with it, for the caller to show in its view.
    Conflict {
        code: &'static str,
        detail: String,
        current: Box<WithSlug>,
    },
    /// Any other failure.
    Failed(ApiError),
    /// Another writer changed the row first (inside the transaction; becomes a `Conflict`).
    Lost,
}

impl From<ApiError> for StepError {
    fn from(e: ApiError) -> Self {
        StepError::Failed(e)
    }
}

impl From<db::Error> for StepError {
    fn from(e: db::Error) -> Self {
        StepError::Failed(e.into())
    }
}

fn conflict(code: &'static str, detail: String, current: WithSlug) -> StepError {
    StepError::Conflict {
        code,
        detail,
        current: Box::new(current),
    }
}

/// A step the diagram allows, worked out against the row as read: what to write, and what
/// to tell. [`apply`] writes it, if the row has not moved on meanwhile.
pub struct Planned {
    /// The row as read, with its campaign's slug.
    current: WithSlug,
    /// The row as the step leaves it.
    next: ActivityRow,
    t: Transition,
    step: Step,
    actor: Actor,
    touches_public: bool,
    /// The owner's notice of a moderator's decision, composed before the write.
    notice: Option<Result<Mail, String>>,
    /// An event written with the step, before its own: an admin's override of a claim.
    also: Option<AuditEvent>,
}

impl Planned {
    /// The step with `event` written in its transaction (nothing is, if the step fails).
    pub fn with_event(mut self, event: Option<AuditEvent>) -> Self {
        self.also = event;
        self
    }

    /// The activity's id.
    pub fn id(&self) -> &str {
        &self.current.0.id
    }

    /// Its campaign's slug.
    pub fn slug(&self) -> &str {
        &self.current.1
    }

    /// Its owner's account.
    pub fn account_id(&self) -> &str {
        &self.next.account_id
    }

    /// The notice of a decision, if the step sends one (of this kind).
    pub fn notice_kind(&self) -> Option<MailKind> {
        notices::decision_kind(self.step.action, self.t.from)
    }

    /// Composes the owner's notice (`owner` is the activity's owner, as read).
    pub fn compose_notice(&mut self, mailer: &Mailer, owner: &AccountRow) {
        self.notice = self
            .notice_kind()
            .map(|kind| notices::compose(mailer, kind, owner, &self.next, self.step.reason.as_ref()));
    }
}

/// Works out `step` on the activity `current` (as read just before). A 409
/// `version_conflict` when the client's version is stale, `invalid_transition` when the
/// diagram does not allow the step.
pub fn plan(conn: &mut Conn, current: WithSlug, actor: &Actor, mut step: Step) -> Result<Planned, StepError> {
    let row = &current.0;
    if row.version != step.version {
        let detail = format!(
            "The activity is at version {}, not {}; reload it and try again.",
            row.version, step.version
        );
        return Err(conflict("version_conflict", detail, current));
    }
    let status = row.status;
    let revision = row.revision()?;
    let t = match decide(status, revision.is_some(), step.action) {
        Ok(t) => t,
        Err(e) => return Err(conflict("invalid_transition", format!("Cannot do that: {e}."), current)),
    };
    let at = now();

    if t.audit_action == AuditAction::Submit {
        let campaign = campaigns::find(conn, &row.campaign_id)?;
        if !campaign.is_open_at(at) {
            return Err(StepError::Failed(ApiError::unprocessable(
                "registration_closed",
                format!(
                    "Registration for campaign `{}` is open from {} to {} (UTC); submissions are refused outside that window.",
                    campaign.slug, campaign.registration_opens_at, campaign.registration_closes_at
                ),
            )));
        }
    }

    // The row as the step leaves it; written whole, if nobody changed it meanwhile.
    let mut next = row.clone();
    next.status = t.to;
    next.version = row.version + 1;
    next.updated_at = at;
    match t.queued {
        Some(true) => next.queued_at = Some(at),
        Some(false) => next.queued_at = None,
        None => {}
    }
    match t.text {
        TextEffect::EditText => {
            let input = step.edit.take().unwrap_or_default();
            let text =
                text_rules::build(Some(&row.text()), input, &actor.display_name).map_err(ApiError::validation)?;
            next.set_text(text);
        }
        TextEffect::EditRevision => {
            let base = revision.clone().unwrap_or_else(|| row.text());
            let input = step.edit.take().unwrap_or_default();
            let text = text_rules::build(Some(&base), input, &actor.display_name).map_err(ApiError::validation)?;
            next.pending_revision = Some(serde_json::to_string(&text).map_err(|e| ApiError::internal(e.to_string()))?);
            next.rejection_reason = None;
            next.rejection_reason_code = None;
        }
        TextEffect::ApplyRevision | TextEffect::MergeRevision => {
            if let Some(r) = revision.clone() {
                next.set_text(r);
            }
            next.pending_revision = None;
        }
        TextEffect::DropRevision => next.pending_revision = None,
        TextEffect::Unchanged | TextEffect::Remove => {}
    }
    match step.action {
        Action::Submit => {
            next.submitted_at = Some(at);
            next.rejection_reason = None;
            next.rejection_reason_code = None;
        }
        Action::Approve => {
            next.decided_at = Some(at);
            if status == Status::Pending {
                next.approved_at = Some(at);
                next.rejection_reason = None;
                next.rejection_reason_code = None;
            }
        }
        Action::Reject | Action::Unpublish => {
            if let Some((code, text)) = step.reason.clone() {
                next.rejection_reason_code = Some(code.as_str().to_owned());
                next.rejection_reason = Some(text);
            }
            next.decided_at = Some(at);
        }
        _ => {}
    }
    // Public data changes when an approved activity leaves or changes, or one is approved.
    let touches_public =
        t.from == Status::Approved && t.text != TextEffect::EditRevision && t.text != TextEffect::DropRevision
            || t.to == Status::Approved && t.from != Status::Approved;
    Ok(Planned {
        current,
        next,
        t,
        step,
        actor: actor.clone(),
        touches_public,
        notice: None,
        also: None,
    })
}

/// Writes a planned step in the caller's transaction: the conditional update, the audit
/// event, the public generation, the outbox rows. `StepError::Lost` when another writer
/// changed the row first, before anything is written (the conditional update is the first
/// write); the row as written, or `None` for a removed draft.
pub fn apply(conn: &mut DbConn, p: Planned, mailer: &Mailer) -> Result<Option<ActivityRow>, StepError> {
    let Planned {
        current: (row, slug),
        next,
        t,
        step,
        actor,
        touches_public,
        notice,
        also,
    } = p;
    let remove = t.text == TextEffect::Remove;
    let applied = if remove {
        activities::delete_if_current(conn, &row.id, step.version)?
    } else {
        activities::replace_if_current(conn, &next, step.version, row.status)?
    };
    if !applied {
        return Err(StepError::Lost);
    }
    // The duplicate flags' keys follow the row's own text (not a pending revision).
    if matches!(
        t.text,
        TextEffect::EditText | TextEffect::ApplyRevision | TextEffect::MergeRevision
    ) {
        duplicates::set_keys(conn, &row.id, next.title_key.as_deref(), next.organizer_key.as_deref())?;
    }
    if let Some(also) = also {
        also.insert(conn)?;
    }
    let mut event = AuditEvent::transition(&row.id, &actor, &t);
    if let Some((code, text)) = &step.reason {
        event = event.with_reason(*code, text);
    }
    if matches!(step.action, Action::Approve | Action::Reject) {
        event = event.waited(row.queued_at);
    }
    event.insert(conn)?;
    if touches_public {
        generation::bump(conn)?;
    }
    // An item that leaves the queue is nobody's to review any more.
    if t.queued == Some(false) {
        claims::clear(conn, &row.id)?;
    }
    // The owner hears of a decision from the same transaction that made it.
    if let Some(mail) = notice {
        mailer.enqueue(conn, mail)?;
    }
    // So do the partners' webhooks.
    if let Some(event) = event_for(&t) {
        webhooks::emit(conn, event, &next, &slug)?;
    }
    Ok((!remove).then_some(next))
}

/// The 409 for a step that lost a race: the activity as the winner left it.
pub fn lost(conn: &mut DbConn, id: &str) -> StepError {
    match activities::find(conn, id) {
        Ok(won) => conflict(
            "version_conflict",
            "Someone else changed this activity first; reload it.".into(),
            won,
        ),
        Err(e) => e.into(),
    }
}

/// Performs `step` on the activity `current` (as read just before): [`plan`], then
/// [`write`].
pub fn perform(
    conn: &mut Conn,
    current: WithSlug,
    actor: &Actor,
    step: Step,
    mailer: &Mailer,
) -> Result<Outcome, StepError> {
    let planned = plan(conn, current, actor, step)?;
    write(conn, planned, mailer)
}

/// Writes a planned step: its notice composed, then [`apply`] in a transaction of its own.
pub fn write(conn: &mut Conn, mut planned: Planned, mailer: &Mailer) -> Result<Outcome, StepError> {
    if planned.notice_kind().is_some() {
        let owner = accounts::find(conn, &planned.next.account_id)?;
        planned.compose_notice(mailer, &owner);
    }
    let (id, slug) = (planned.current.0.id.clone(), planned.current.1.clone());
    let tx_mailer = mailer.clone();
    let written = db::transaction(conn, move |conn| apply(conn, planned, &tx_mailer)).map_err(|e| match e {
        // Lost a race: answer with the state that won.
        StepError::Lost => lost(conn, &id),
        e => e,
    })?;
    Ok(match written {
        // The row as the update left it (its campaign, and so the slug, never changes).
        Some(row) => Outcome::Updated(Box::new((row, slug))),
        None => Outcome::Deleted,
    })
}

/// Whether a step changed public data (the caller then refreshes its cache view).
pub fn row_is_public(row: &ActivityRow) -> bool {
    row.status == Status::Approved
}

//! The append-only audit log: every state change, revision decision and account change.
//! Rows are only ever inserted (the database refuses updates and deletes).

use super::schema::audit_events;
use super::{new_id, now, DbConn};
use super::{Error, Result};
use crate::domain::actor::Actor;
use crate::domain::codes::{ActorRole, AuditAction, ReasonCode};
use crate::domain::page::Cursor;
use crate::domain::workflow::Transition;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

/// An event about to be written.
#[derive(Debug)]
pub struct AuditEvent {
    id: String,
    activity_id: Option<String>,
    subject_account_id: Option<String>,
    actor_id: Option<String>,
    actor_role: String,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    reason_code: Option<String>,
    reason: Option<String>,
    waited_seconds: Option<i64>,
    created_at: NaiveDateTime,
    campaign_id: Option<String>,
}

static_insert!(InsertEvent, InsertEventId, AuditEvent, audit_events, {
    id: Text,
    activity_id: Nullable<Text>,
    subject_account_id: Nullable<Text>,
    actor_id: Nullable<Text>,
    actor_role: Text,
    action: Text,
    from_status: Nullable<Text>,
    to_status: Nullable<Text>,
    reason_code: Nullable<Text>,
    reason: Nullable<Text>,
    waited_seconds: Nullable<BigInt>,
    created_at: Timestamp,
    campaign_id: Nullable<Text>,
});

impl AuditEvent {
    fn base(actor: &Actor, action: AuditAction) -> Self {
        Self {
            id: new_id(),
            activity_id: None,
            subject_account_id: None,
            actor_id: Some(actor.id.clone()),
            actor_role: actor.role.as_str().to_owned(),
            action: action.as_str().to_owned(),
            from_status: None,
            to_status: None,
            reason_code: None,
            reason: None,
            waited_seconds: None,
            created_at: now(),
            campaign_id: None,
        }
    }

    /// An activity moved through the workflow (or was created, edited or deleted).
    pub fn transition(activity_id: &str, actor: &Actor, t: &Transition) -> Self {
        Self {
            activity_id: Some(activity_id.to_owned()),
            from_status: Some(t.from.as_str().to_owned()),
            to_status: Some(t.to.as_str().to_owned()),
            ..Self::base(actor, t.audit_action)
        }
    }

    /// An admin's change to something that is neither an activity, an account nor a
    /// campaign (a webhook); `detail` names it.
    pub fn other(actor: &Actor, action: AuditAction, detail: String) -> Self {
        Self {
            reason: Some(detail),
            ..Self::base(actor, action)
        }
    }

    /// A staff action on an activity outside the workflow (a claim); `detail` says more.
    pub fn on_activity(activity_id: &str, actor: &Actor, action: AuditAction, detail: Option<String>) -> Self {
        Self {
            activity_id: Some(activity_id.to_owned()),
            reason: detail,
            ..Self::base(actor, action)
        }
    }

    /// Something the registry did by itself; `detail` names what.
    pub fn system(action: AuditAction, detail: String) -> Self {
        Self {
            id: new_id(),
            activity_id: None,
            subject_account_id: None,
            actor_id: None,
            actor_role: ActorRole::System.as_str().to_owned(),
            action: action.as_str().to_owned(),
            from_status: None,
            to_status: None,
            reason_code: None,
            reason: Some(detail),
            waited_seconds: None,
            created_at: now(),
            campaign_id: None,
        }
    }

    /// A draft was created.
    pub fn created(activity_id: &str, actor: &Actor) -> Self {
        Self {
            activity_id: Some(activity_id.to_owned()),
            to_status: Some(crate::domain::workflow::Status::Draft.as_str().to_owned()),
            ..Self::base(actor, AuditAction::Create)
        }
    }

    /// A draft was created as a copy of the activity `from`.
    pub fn copied(activity_id: &str, actor: &Actor, from: &str) -> Self {
        Self {
            reason: Some(format!("copied from {from}")),
            ..Self::created(activity_id, actor)
        }
    }

    /// An admin changed an account (`account_create`, `account_role`, `account_disable`, …).
    pub fn account(subject_id: &str, actor: &Actor, action: AuditAction, detail: Option<String>) -> Self {
        Self {
            subject_account_id: Some(subject_id.to_owned()),
            reason: detail,
            ..Self::base(actor, action)
        }
    }

    /// An admin created or changed a campaign; `detail` says what changed.
    pub fn campaign(campaign_id: &str, actor: &Actor, action: AuditAction, detail: Option<String>) -> Self {
        Self {
            campaign_id: Some(campaign_id.to_owned()),
            reason: detail,
            ..Self::base(actor, action)
        }
    }

    pub fn with_reason(mut self, code: ReasonCode, text: &str) -> Self {
        self.reason_code = Some(code.as_str().to_owned());
        self.reason = Some(text.to_owned());
        self
    }

    /// How long the decided item waited in the queue.
    pub fn waited(mut self, since: Option<NaiveDateTime>) -> Self {
        self.waited_seconds = since.map(|q| (self.created_at - q).num_seconds().max(0));
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn insert(self, conn: &mut DbConn) -> Result<()> {
        InsertEvent(&self).execute(conn)?;
        Ok(())
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub activity_id: Option<String>,
    pub subject_account_id: Option<String>,
    pub actor_id: Option<String>,
    #[diesel(deserialize_as = String)]
    pub actor_role: ActorRole,
    #[diesel(deserialize_as = String)]
    pub action: AuditAction,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub waited_seconds: Option<i64>,
    pub created_at: NaiveDateTime,
    pub campaign_id: Option<String>,
}

/// An activity's events, oldest first.
pub fn for_activity(
    conn: &mut DbConn,
    activity_id: &str,
    staff: bool,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let mut q = audit_events::table
        .filter(audit_events::activity_id.eq(activity_id))
        .select(AuditRow::as_select())
        .into_boxed();
    if !staff {
        let hidden: Vec<&str> = AuditAction::ALL
            .iter()
            .filter(|a| a.is_staff_only())
            .map(|a| a.as_str())
            .collect();
        q = q.filter(audit_events::action.ne_all(hidden));
    }
    if let Some(c) = cursor {
        q = q.filter(
            audit_events::created_at
                .gt(c.at)
                .or(audit_events::created_at.eq(c.at).and(audit_events::id.gt(c.id.clone()))),
        );
    }
    Ok(q.order((audit_events::created_at.asc(), audit_events::id.asc()))
        .limit(limit + 1)
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<AuditRow> {
    audit_events::table
        .find(id)
        .select(AuditRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// The moderators' notes on an activity, oldest first.
pub fn notes(conn: &mut DbConn, activity_id: &str, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<AuditRow>> {
    let mut q = audit_events::table
        .filter(audit_events::activity_id.eq(activity_id))
        .filter(audit_events::action.eq(AuditAction::Note.as_str()))
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(c) = cursor {
        q = q.filter(
            audit_events::created_at
                .gt(c.at)
                .or(audit_events::created_at.eq(c.at).and(audit_events::id.gt(c.id.clone()))),
        );
    }
    Ok(q.order((audit_events::created_at.asc(), audit_events::id.asc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// Filters of the global audit log.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<AuditAction>,
    pub activity_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// The global log, newest first.
pub fn list(conn: &mut DbConn, f: &AuditFilter, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<AuditRow>> {
    let mut q = audit_events::table.select(AuditRow::as_select()).into_boxed();
    if let Some(a) = &f.actor_id {
        q = q.filter(audit_events::actor_id.eq(a.clone()));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_events::action.eq(a.as_str()));
    }
    if let Some(a) = &f.activity_id {
        q = q.filter(audit_events::activity_id.eq(a.clone()));
    }
    if let Some(t) = f.since {
        q = q.filter(audit_events::created_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(audit_events::created_at.lt(t));
    }
    if let Some(c) = cursor {
        q = q.filter(
            audit_events::created_at
                .lt(c.at)
                .or(audit_events::created_at.eq(c.at).and(audit_events::id.lt(c.id.clone()))),
        );
    }
    Ok(q.order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// How long the latest `n` decided items waited. One bounded index read per decision
/// action, merged here, so the cost does not grow with the audit log.
pub fn recent_waits(conn: &mut DbConn, n: i64) -> Result<Vec<i64>> {
    let mut latest: Vec<(NaiveDateTime, i64)> = Vec::new();
    for action in AuditAction::DECISIONS {
        let rows: Vec<(NaiveDateTime, Option<i64>)> = audit_events::table
            .filter(audit_events::action.eq(action.as_str()))
            .order(audit_events::created_at.desc())
            .select((audit_events::created_at, audit_events::waited_seconds))
            .limit(n)
            .load(conn)?;
        latest.extend(rows.into_iter().filter_map(|(t, w)| w.map(|w| (t, w))));
    }
    latest.sort_unstable_by_key(|(at, _)| std::cmp::Reverse(*at));
    latest.truncate(n as usize);
    Ok(latest.into_iter().map(|(_, w)| w).collect())
}

/// Decision events since `since`: (action, time, seconds waited).
pub fn decisions_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> Result<Vec<(AuditAction, NaiveDateTime, Option<i64>)>> {
    let rows: Vec<(String, NaiveDateTime, Option<i64>)> = audit_events::table
        .filter(audit_events::action.eq_any(AuditAction::DECISIONS.map(AuditAction::as_str)))
        .filter(audit_events::created_at.ge(since))
        .select((
            audit_events::action,
            audit_events::created_at,
            audit_events::waited_seconds,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(action, at, waited)| {
            let action = AuditAction::try_from(action).map_err(|e| Error::Corrupt(e.to_string()))?;
            Ok((action, at, waited))
        })
        .collect()
}

//! A registrant's own activities: drafts, the list, one activity with its place in the
//! queue, the owner's workflow steps and an activity's history.

use crate::cache::MedianWait;
use crate::db::activities::{self, ActivityRow, WithSlug};
use crate::db::audit::{self, AuditEvent, AuditRow};
use crate::db::campaigns::CampaignRow;
use crate::db::events::{self, SessionRow};
use crate::db::{self, campaigns, now, queue, Conn, DbConn};
use crate::domain::activity::{self as rules, TextInput};
use crate::domain::actor::Actor;
use crate::domain::page::Cursor;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::workflow::{self, Outcome, Step, StepError};

/// An activity as its owner sees it.
pub struct Owned {
    pub item: WithSlug,
    /// Set while it waits for a decision.
    pub queue: Option<QueuePlace>,
}

/// Where a queued activity stands.
pub struct QueuePlace {
    /// 1 for the next item a moderator will see.
    pub position: i64,
    pub median_wait_seconds: Option<i64>,
}

fn owned(conn: &mut DbConn, median: &MedianWait, item: WithSlug) -> ApiResult<Owned> {
    let queue = match item.0.queued_at {
        Some(at) => Some(QueuePlace {
            position: queue::queue_position(conn, at, &item.0.id)? + 1,
            median_wait_seconds: median.get(conn)?,
        }),
        None => None,
    };
    Ok(Owned { item, queue })
}

/// The activity `id` if `owner` owns it; another owner's activity is a 404 like a missing one.
fn load_own(conn: &mut DbConn, id: &str, owner: &str) -> ApiResult<WithSlug> {
    let item = activities::find(conn, id)?;
    if item.0.account_id != owner {
        return Err(ApiError::not_found("No such activity."));
    }
    Ok(item)
}

fn campaign(conn: &mut DbConn, slug: &str) -> ApiResult<CampaignRow> {
    campaigns::by_slug(conn, slug)?
        .ok_or_else(|| ApiError::field("campaign", "unknown_campaign", format!("there is no campaign `{slug}`")))
}

/// Creates a draft in the campaign `slug` (400 `unknown_campaign` if there is none).
pub fn create(conn: &mut Conn, user: Actor, slug: String, input: TextInput) -> ApiResult<WithSlug> {
    let campaign = campaign(conn, &slug)?;
    let text = rules::build(None, input, &user.display_name).map_err(ApiError::validation)?;
    let kind = user
        .kind
        .ok_or_else(|| ApiError::internal(format!("registrant {} has no kind", user.id)))?;
    let row = ActivityRow::draft(&user.id, &campaign.id, kind, user.industry.clone(), text, now());
    // The row as inserted is the row as stored: nothing to read back.
    let row = db::transaction(conn, move |conn| {
        activities::insert(conn, &row)?;
        AuditEvent::created(&row.id, &user).insert(conn)?;
        Ok::<_, db::Error>(row)
    })?;
    Ok((row, campaign.slug))
}

/// A new draft in the campaign `slug` from one of the owner's activities (any status): its
/// own text (not a pending revision) and its sessions that are not cancelled, with no
/// applicants. 422 `same_campaign` for the activity's own campaign.
pub fn copy(conn: &mut Conn, user: Actor, id: &str, slug: String) -> ApiResult<WithSlug> {
    let (from, from_slug) = load_own(conn, id, &user.id)?;
    let campaign = campaign(conn, &slug)?;
    if campaign.id == from.campaign_id {
        return Err(ApiError::unprocessable(
            "same_campaign",
            format!("The activity is already in campaign `{from_slug}`; copy it into another one."),
        ));
    }
    let kind = user
        .kind
        .ok_or_else(|| ApiError::internal(format!("registrant {} has no kind", user.id)))?;
    let at = now();
    let row = ActivityRow::draft(&user.id, &campaign.id, kind, user.industry.clone(), from.text(), at);
    let sessions: Vec<SessionRow> = events::for_activity(conn, &from.id)?
        .into_iter()
        .filter(|s| s.cancelled_at.is_none())
        .map(|s| SessionRow {
            id: db::new_id(),
            activity_id: row.id.clone(),
            confirmed_count: 0,
            waitlisted_count: 0,
            reminded_at: None,
            version: 1,
            created_at: at,
            updated_at: at,
            ..s
        })
        .collect();
    let from_id = from.id;
    let row = db::transaction(conn, move |conn| {
        activities::insert(conn, &row)?;
        for s in &sessions {
            events::insert(conn, s)?;
        }
        AuditEvent::copied(&row.id, &user, &from_id).insert(conn)?;
        Ok::<_, db::Error>(row)
    })?;
    Ok((row, campaign.slug))
}

/// One page of the owner's activities, newest first (one row more than `limit` when there
/// are more), of one status and campaign if given (400 `unknown_campaign`).
pub fn list_own(
    conn: &mut Conn,
    owner: &str,
    (status, slug): (Option<Status>, Option<String>),
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<WithSlug>> {
    let campaign_id = match slug {
        Some(s) => Some(campaign(conn, &s)?.id),
        None => None,
    };
    Ok(activities::list_own(
        conn,
        owner,
        (status, campaign_id.as_deref()),
        cursor,
        limit,
    )?)
}

/// One of the owner's activities.
pub fn get_own(conn: &mut Conn, median: &MedianWait, id: &str, owner: &str) -> ApiResult<Owned> {
    let item = load_own(conn, id, owner)?;
    owned(conn, median, item)
}

/// What an owner's step did: whether the activity was public before it, and the activity
/// after it (`None`: deleted).
pub struct OwnerStep {
    pub was_public: bool,
    pub after: Option<Owned>,
}

/// Performs an owner's step (edit, delete, submit, withdraw) on one of their activities.
pub fn owner_step(
    conn: &mut Conn,
    median: &MedianWait,
    mailer: &Mailer,
    user: &Actor,
    id: &str,
    step: Step,
) -> Result<OwnerStep, StepError> {
    let item = load_own(conn, id, &user.id)?;
    let was_public = workflow::row_is_public(&item.0);
    let after = match workflow::perform(conn, item, user, step, mailer)? {
        Outcome::Deleted => None,
        Outcome::Updated(item) => Some(owned(conn, median, *item)?),
    };
    Ok(OwnerStep { was_public, after })
}

/// One page of an activity's history, for its owner or staff (anyone else: 404).
pub fn history(
    conn: &mut Conn,
    user: &Actor,
    id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<AuditRow>> {
    let (activity, _) = activities::find(conn, id)?;
    if !user.role.is_staff() && activity.account_id != user.id {
        return Err(ApiError::not_found("No such activity."));
    }
    Ok(audit::for_activity(conn, id, user.role.is_staff(), cursor, limit)?)
}

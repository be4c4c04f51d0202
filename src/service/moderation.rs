//! The approval queue: what waits, in order, with each owner's contact data and the fields a
//! revision changes; moderators' decisions; and the queue's statistics.

use crate::cache::MedianWait;
use crate::db::accounts::{self, AccountRow};
use crate::db::activities::{self, ActivityRow, WithSlug};
use crate::db::audit::{AuditEvent, AuditRow};
use crate::db::claims::{self as db_claims, Claim};
use crate::db::queue::{self, QueueFilter};
use crate::db::{self, audit, campaigns, duplicates, now, Conn, DbConn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, ClaimedFilter, Kind, QueueSort};
use crate::domain::duplicate::DuplicateReason;
use crate::domain::page::{self, Cursor, Page};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::claims;
use crate::service::workflow::{self, Outcome, Step, StepError};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;
use std::collections::BTreeMap;

/// An activity with its owner, as a moderator sees it.
pub struct Moderated {
    pub item: WithSlug,
    pub owner: AccountRow,
}

/// One item of the queue.
pub struct Queued {
    pub activity: Moderated,
    pub queued_at: NaiveDateTime,
    pub waiting_seconds: i64,
    /// An edit of an approved activity, rather than a first submission.
    pub revision: bool,
    /// For a revision: (field, old, new) for each field it changes.
    pub changes: Vec<(String, Value, Value)>,
    /// The live claim on it, if any.
    pub claim: Option<Claim>,
    /// Other activities that may be the same registration.
    pub duplicates: Vec<(String, DuplicateReason)>,
}

/// The queue's filters as the client named them.
pub struct QueueQuery {
    pub campaign: Option<String>,
    pub category_bit: Option<i32>,
    pub kind: Option<Kind>,
    pub claimed: Option<ClaimedFilter>,
    /// Who asks (for `claimed`).
    pub moderator_id: String,
    pub prefecture: Option<String>,
    pub has_revision: Option<bool>,
    pub sort: QueueSort,
    /// Only items with a possible duplicate.
    pub duplicates: bool,
}

/// One page of the queue, oldest or newest first (400 `unknown_campaign` for a campaign
/// that does not exist).
pub fn queue(conn: &mut Conn, q: QueueQuery, cursor: Option<&Cursor>, limit: i64) -> ApiResult<Page<Queued>> {
    let campaign_id = match &q.campaign {
        Some(slug) => Some(
            campaigns::by_slug(conn, slug)?
                .ok_or_else(|| {
                    ApiError::field("campaign", "unknown_campaign", format!("there is no campaign `{slug}`"))
                })?
                .id,
        ),
        None => None,
    };
    let filter = QueueFilter {
        campaign_id,
        category_bit: q.category_bit,
        kind: q.kind,
        claimed: q.claimed.map(|c| (c, q.moderator_id.clone(), now())),
        prefecture: q.prefecture.clone(),
        has_revision: q.has_revision,
        sort: q.sort,
        cursor_slug: match (q.sort, cursor) {
            // The campaign of the cursor's item is the third part of its position.
            (QueueSort::Campaign, Some(c)) => Some(match activities::find(conn, &c.id) {
                Ok((_, slug)) => slug,
                Err(db::Error::NotFound) => {
                    return Err(ApiError::field(
                        "cursor",
                        "invalid_cursor",
                        "is not a cursor this API gave out",
                    ))
                }
                Err(e) => return Err(e.into()),
            }),
            _ => None,
        },
        duplicates: q.duplicates,
    };
    let rows = queue::queue(conn, &filter, cursor, limit)?
        .into_iter()
        .map(|item| match item.0.queued_at {
            Some(at) => Ok((item, at)),
            None => Err(ApiError::internal(format!(
                "queued activity {} has no queued_at",
                item.0.id
            ))),
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let page = page::finish(
        rows,
        limit,
        |((a, _), at)| Cursor {
            at: *at,
            id: a.id.clone(),
        },
        |item| item,
    );
    let owner_ids: Vec<&str> = page.items.iter().map(|((a, _), _)| a.account_id.as_str()).collect();
    let owners = accounts::find_many(conn, &owner_ids)?;
    let at = now();
    let ids: Vec<&str> = page.items.iter().map(|((a, _), _)| a.id.as_str()).collect();
    let mut live: std::collections::HashMap<String, Claim> = db_claims::live(conn, &ids, at)?
        .into_iter()
        .map(|c| (c.activity_id.clone(), c))
        .collect();
    let mut duplicates = look_alikes(conn, page.items.iter().map(|((a, _), _)| a))?;
    let mut items = Vec::with_capacity(page.items.len());
    for (item, queued_at) in page.items {
        let changes = item
            .0
            .revision()?
            .map(|r| r.changes_from(&item.0.text()))
            .unwrap_or_default();
        let owner = match owners.get(&item.0.account_id) {
            Some(owner) => owner.clone(),
            None => return Err(ApiError::internal("a queued activity has no owner")),
        };
        items.push(Queued {
            claim: live.remove(&item.0.id),
            duplicates: duplicates.remove(&item.0.id).unwrap_or_default(),
            revision: item.0.pending_revision.is_some(),
            queued_at,
            waiting_seconds: (at - queued_at).num_seconds().max(0),
            changes,
            activity: Moderated { item, owner },
        });
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

fn with_owner(conn: &mut DbConn, item: WithSlug) -> ApiResult<Moderated> {
    let owner = accounts::find(conn, &item.0.account_id)?;
    Ok(Moderated { item, owner })
}

/// Any activity, with its owner.
pub fn get(conn: &mut Conn, id: &str) -> ApiResult<Moderated> {
    let item = activities::find(conn, id)?;
    with_owner(conn, item)
}

/// Any activity, with its owner and the other activities that may be the same registration.
pub fn view(conn: &mut Conn, id: &str) -> ApiResult<(Moderated, Vec<(String, DuplicateReason)>)> {
    let item = get(conn, id)?;
    let found = look_alikes(conn, [&item.item.0])?.remove(id).unwrap_or_default();
    Ok((item, found))
}

/// The possible duplicates of each activity, by id.
fn look_alikes<'a>(conn: &mut DbConn, rows: impl IntoIterator<Item = &'a ActivityRow>) -> ApiResult<duplicates::Found> {
    let probes: Vec<duplicates::Probe> = rows
        .into_iter()
        .map(|a| duplicates::Probe {
            id: &a.id,
            account_id: &a.account_id,
            campaign_id: &a.campaign_id,
            title_key: a.title_key.as_deref(),
            organizer_key: a.organizer_key.as_deref(),
        })
        .collect();
    if probes.is_empty() {
        return Ok(Default::default());
    }
    Ok(duplicates::of(conn, &probes)?)
}

/// A moderator's decision (approve, reject, unpublish) on an activity.
pub fn decide(
    conn: &mut Conn,
    mailer: &Mailer,
    moderator: &Actor,
    id: &str,
    step: Step,
    override_claim: bool,
) -> Result<Moderated, StepError> {
    let item = activities::find(conn, id)?;
    let overridden = claims::check_decision(conn, moderator, id, override_claim)?;
    let planned = workflow::plan(conn, item, moderator, step)?.with_event(overridden);
    match workflow::write(conn, planned, mailer)? {
        Outcome::Updated(item) => Ok(with_owner(conn, *item)?),
        Outcome::Deleted => Err(ApiError::internal("a moderation step deleted an activity").into()),
    }
}

/// The queue at a glance.
pub struct Stats {
    pub queue_length: i64,
    pub oldest_queued_at: Option<NaiveDateTime>,
    pub oldest_wait_seconds: Option<i64>,
    pub median_wait_seconds: Option<i64>,
    /// Decisions per day over the last 30 days, by action code.
    pub decisions_per_day: BTreeMap<NaiveDate, BTreeMap<&'static str, i64>>,
}

/// The queue's length and age, the median wait, and the decisions of the last 30 days.
pub fn stats(conn: &mut Conn, median: &MedianWait) -> ApiResult<Stats> {
    let at = now();
    let (queue_length, oldest) = queue::queue_summary(conn)?;
    let decisions = audit::decisions_since(conn, at - chrono::Duration::days(30))?;
    let mut days: BTreeMap<NaiveDate, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for (action, t, _) in decisions {
        *days.entry(t.date()).or_default().entry(action.as_str()).or_default() += 1;
    }
    Ok(Stats {
        queue_length,
        oldest_queued_at: oldest,
        oldest_wait_seconds: oldest.map(|o| (at - o).num_seconds().max(0)),
        median_wait_seconds: median.get(conn)?,
        decisions_per_day: days,
    })
}

/// How many items wait (cheap: no scan of the queue).
pub fn queue_count(conn: &mut Conn) -> ApiResult<i64> {
    Ok(queue::queue_length(conn)?)
}

/// A moderator's note on an activity: staff only, in the staff history.
pub fn add_note(conn: &mut Conn, moderator: Actor, id: String, body: String) -> ApiResult<AuditRow> {
    activities::find(conn, &id)?;
    Ok(db::transaction(conn, move |conn| {
        let event = AuditEvent::on_activity(&id, &moderator, AuditAction::Note, Some(body));
        let event_id = event.id().to_owned();
        event.insert(conn)?;
        audit::find(conn, &event_id)
    })?)
}

/// The notes on an activity, oldest first (404 for no such activity).
pub fn notes(conn: &mut Conn, id: &str, cursor: Option<&Cursor>, limit: i64) -> ApiResult<Vec<AuditRow>> {
    activities::find(conn, id)?;
    Ok(audit::notes(conn, id, cursor, limit)?)
}

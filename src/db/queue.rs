//! The moderation queue: its filters and order, its length and an item's place in it.

use super::activities::{mask_and, ActivityRow, WithSlug};
use super::schema::{activities, campaigns, claims};
use super::{DbConn, Result};
use crate::domain::codes::{ClaimedFilter, Kind, QueueSort};
use crate::domain::page::Cursor;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Filters of the moderation queue.
#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub campaign_id: Option<String>,
    pub category_bit: Option<i32>,
    pub kind: Option<Kind>,
    /// By live claims at a time, as seen by one moderator.
    pub claimed: Option<(ClaimedFilter, String, NaiveDateTime)>,
    /// JIS X 0401 code.
    pub prefecture: Option<String>,
    /// Only revisions of approved activities (`true`) or only first submissions (`false`).
    pub has_revision: Option<bool>,
    /// The order, and for `campaign` the slug of the cursor's item.
    pub sort: QueueSort,
    pub cursor_slug: Option<String>,
    /// Only items with a possible duplicate (see `super::duplicates`).
    pub duplicates: bool,
}

impl Default for QueueFilter {
    /// The whole queue, the longest waiting first.
    fn default() -> Self {
        Self {
            campaign_id: None,
            category_bit: None,
            kind: None,
            claimed: None,
            prefecture: None,
            has_revision: None,
            sort: QueueSort::Oldest,
            cursor_slug: None,
            duplicates: false,
        }
    }
}

/// Pending submissions and pending revisions, oldest first.
pub fn queue(conn: &mut DbConn, f: &QueueFilter, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<WithSlug>> {
    let mut q = activities::table
        .inner_join(campaigns::table)
        .filter(activities::queued_at.is_not_null())
        .select((ActivityRow::as_select(), campaigns::slug))
        .into_boxed();
    if let Some(c) = &f.campaign_id {
        q = q.filter(activities::campaign_id.eq(c.clone()));
    }
    if let Some(bit) = f.category_bit {
        q = q.filter(mask_and(bit).ne(0));
    }
    if let Some(k) = &f.kind {
        q = q.filter(activities::owner_kind.eq(k.as_str()));
    }
    if let Some((which, me, at)) = &f.claimed {
        let live = claims::table.filter(claims::expires_at.gt(*at));
        q = match which {
            ClaimedFilter::Mine => q.filter(
                activities::id.eq_any(
                    live.filter(claims::moderator_id.eq(me.clone()))
                        .select(claims::activity_id),
                ),
            ),
            ClaimedFilter::Others => q.filter(
                activities::id.eq_any(
                    live.filter(claims::moderator_id.ne(me.clone()))
                        .select(claims::activity_id),
                ),
            ),
            ClaimedFilter::Unclaimed => q.filter(diesel::dsl::not(
                activities::id.eq_any(live.select(claims::activity_id)),
            )),
        };
    }
    if let Some(p) = &f.prefecture {
        q = q.filter(activities::prefecture.eq(p.clone()));
    }
    match f.has_revision {
        Some(true) => q = q.filter(activities::pending_revision.is_not_null()),
        Some(false) => q = q.filter(activities::pending_revision.is_null()),
        None => {}
    }
    if f.duplicates {
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            super::duplicates::HAS_DUPLICATE,
        ));
    }
    match (cursor, f.sort, &f.cursor_slug) {
        (None, ..) => {}
        (Some(c), QueueSort::Campaign, Some(slug)) => {
            // By campaign, then the longest waiting: a three-part position.
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "(campaigns.slug, activities.queued_at, activities.id) > (",
                )
                .bind::<diesel::sql_types::Text, _>(slug.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Timestamp, _>(c.at)
                .sql(", ")
                .bind::<diesel::sql_types::Text, _>(c.id.clone())
                .sql(")"),
            )
        }
        (Some(c), sort, _) => {
            let direction = if sort == QueueSort::Newest { "<" } else { ">" };
            q = q.filter(super::keyset(
                "activities.queued_at",
                "activities.id",
                direction,
                c.at,
                &c.id,
            ));
        }
    }
    let q = match f.sort {
        QueueSort::Newest => q.order((activities::queued_at.desc(), activities::id.desc())),
        QueueSort::Oldest => q.order((activities::queued_at.asc(), activities::id.asc())),
        QueueSort::Campaign => q.order((campaigns::slug.asc(), activities::queued_at.asc(), activities::id.asc())),
    };
    Ok(q.limit(limit + 1).load(conn)?)
}

/// How many items are queued: on SQLite the length the triggers keep (queue_state), on
/// PostgreSQL a count over the partial queue index (queued items only).
pub fn queue_length(conn: &mut DbConn) -> Result<i64> {
    if conn.backend() == super::Backend::Sqlite {
        return Ok(diesel::sql_query("SELECT length AS n FROM queue_state WHERE id = 1")
            .get_result::<super::Count>(conn)?
            .n);
    }
    Ok(activities::table
        .filter(activities::queued_at.is_not_null())
        .count()
        .get_result(conn)?)
}

/// How many queued items are ahead of one queued at `at` with `id`.
///
/// On SQLite, the queue length is kept by triggers (queue_state), so the position is that
/// length less the items from this one on, which are few for a fresh submission; they are
/// counted only up to half the queue before counting the items ahead instead. PostgreSQL
/// counts the items ahead in the partial queue index.
pub fn queue_position(conn: &mut DbConn, at: NaiveDateTime, id: &str) -> Result<i64> {
    if conn.backend() == super::Backend::Sqlite {
        let length = diesel::sql_query("SELECT length AS n FROM queue_state WHERE id = 1")
            .get_result::<super::Count>(conn)?
            .n;
        let half = length / 2 + 1;
        let from_here = diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM activities \
             WHERE queued_at IS NOT NULL AND (queued_at, id) >= (?, ?) LIMIT ?)",
        )
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .bind::<diesel::sql_types::Text, _>(id)
        .bind::<diesel::sql_types::BigInt, _>(half)
        .get_result::<super::Count>(conn)?
        .n;
        if from_here < half {
            return Ok((length - from_here).max(0));
        }
    }
    Ok(activities::table
        .filter(activities::queued_at.is_not_null())
        .filter(super::keyset("activities.queued_at", "activities.id", "<", at, id))
        .count()
        .get_result(conn)?)
}

/// Queue length and the oldest entry time.
pub fn queue_summary(conn: &mut DbConn) -> Result<(i64, Option<NaiveDateTime>)> {
    let n = activities::table
        .filter(activities::queued_at.is_not_null())
        .count()
        .get_result(conn)?;
    let oldest = activities::table
        .filter(activities::queued_at.is_not_null())
        .select(diesel::dsl::min(activities::queued_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok((n, oldest))
}

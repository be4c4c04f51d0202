//! The `activities` table: rows, the owner's list, the moderation queue, and the one
//! conditional write that every workflow step goes through.

use super::schema::{activities, campaigns, claims};
use super::DbConn;
use super::{Error, Result};
use crate::domain::activity::ActivityText;
use crate::domain::codes::{ClaimedFilter, Kind, ReasonCode};
use crate::domain::page::Cursor;
use crate::domain::workflow::Status;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::QueryId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activities)]
pub struct ActivityRow {
    pub id: String,
    pub account_id: String,
    pub campaign_id: String,
    pub category_mask: i32,
    pub title: String,
    pub description: String,
    pub organizer_name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub format: Option<String>,
    pub prefecture: Option<String>,
    pub url: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub owner_kind: Kind,
    pub owner_industry: Option<String>,
    pub search_text: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: Status,
    pub version: i64,
    pub pending_revision: Option<String>,
    pub queued_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub approved_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub rejection_reason_code: Option<String>,
    pub rejection_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ActivityRow {
    /// A new draft of `text` by an owner of `owner_kind`, created at `at`.
    pub fn draft(
        account_id: &str,
        campaign_id: &str,
        owner_kind: Kind,
        owner_industry: Option<String>,
        text: ActivityText,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            id: super::new_id(),
            account_id: account_id.to_owned(),
            campaign_id: campaign_id.to_owned(),
            search_text: text.search_text(),
            category_mask: text.category_mask,
            title: text.title,
            description: text.description,
            organizer_name: text.organizer_name,
            starts_on: text.starts_on,
            ends_on: text.ends_on,
            format: text.format,
            prefecture: text.prefecture,
            url: text.url,
            owner_kind,
            owner_industry,
            status: Status::Draft,
            version: 1,
            pending_revision: None,
            queued_at: None,
            submitted_at: None,
            approved_at: None,
            decided_at: None,
            rejection_reason_code: None,
            rejection_reason: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// The code of the last rejection or unpublishing, if any.
    pub fn reason_code(&self) -> Result<Option<ReasonCode>> {
        self.rejection_reason_code
            .clone()
            .map(ReasonCode::try_from)
            .transpose()
            .map_err(|e| Error::Corrupt(e.to_string()))
    }

    pub fn text(&self) -> ActivityText {
        ActivityText {
            category_mask: self.category_mask,
            title: self.title.clone(),
            description: self.description.clone(),
            organizer_name: self.organizer_name.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            format: self.format.clone(),
            prefecture: self.prefecture.clone(),
            url: self.url.clone(),
        }
    }

    /// Replaces the activity's own text (and with it the search text).
    pub fn set_text(&mut self, t: ActivityText) {
        self.search_text = t.search_text();
        self.category_mask = t.category_mask;
        self.title = t.title;
        self.description = t.description;
        self.organizer_name = t.organizer_name;
        self.starts_on = t.starts_on;
        self.ends_on = t.ends_on;
        self.format = t.format;
        self.prefecture = t.prefecture;
        self.url = t.url;
    }

    /// The pending revision, if any.
    pub fn revision(&self) -> Result<Option<ActivityText>> {
        self.pending_revision
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| Error::Corrupt(format!("pending revision of {}: {e}", self.id)))
    }
}

/// An activity with its campaign's slug.
pub type WithSlug = (ActivityRow, String);

pub fn insert(conn: &mut DbConn, row: &ActivityRow) -> Result<()> {
    diesel::insert_into(activities::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<WithSlug> {
    activities::table
        .inner_join(campaigns::table)
        .filter(activities::id.eq(id))
        .select((ActivityRow::as_select(), campaigns::slug))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Writes `next` over the stored row, only if that is still at `version` and `status`;
/// true if it was. One statement, so of many concurrent writers of one version exactly one
/// wins.
pub fn replace_if_current(conn: &mut DbConn, next: &ActivityRow, version: i64, status: Status) -> Result<bool> {
    let n = ReplaceIfCurrent {
        next,
        version,
        status: status.as_str(),
    }
    .execute(conn)?;
    Ok(n == 1)
}

/// `UPDATE activities SET` every column a workflow step may change `WHERE` id, version and
/// status match. diesel prepares its own `UPDATE`s afresh for every execution, and on SQLite
/// preparing one compiles every trigger on `activities` into it; this statement's text never
/// varies, so each connection prepares it once and keeps it.
struct ReplaceIfCurrent<'a> {
    next: &'a ActivityRow,
    version: i64,
    status: &'a str,
}

impl<C> RunQueryDsl<C> for ReplaceIfCurrent<'_> {}

/// The statement cache's key for [`ReplaceIfCurrent`].
struct ReplaceIfCurrentId;

impl QueryId for ReplaceIfCurrent<'_> {
    type QueryId = ReplaceIfCurrentId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<super::MultiBackend> for ReplaceIfCurrent<'_> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, super::MultiBackend>) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};
        let n = self.next;
        out.push_sql("UPDATE activities SET category_mask = ");
        out.push_bind_param::<Integer, _>(&n.category_mask)?;
        out.push_sql(", title = ");
        out.push_bind_param::<Text, _>(&n.title)?;
        out.push_sql(", description = ");
        out.push_bind_param::<Text, _>(&n.description)?;
        out.push_sql(", organizer_name = ");
        out.push_bind_param::<Text, _>(&n.organizer_name)?;
        out.push_sql(", starts_on = ");
        out.push_bind_param::<Nullable<Date>, _>(&n.starts_on)?;
        out.push_sql(", ends_on = ");
        out.push_bind_param::<Nullable<Date>, _>(&n.ends_on)?;
        out.push_sql(", format = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.format)?;
        out.push_sql(", prefecture = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.prefecture)?;
        out.push_sql(", url = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.url)?;
        out.push_sql(", search_text = ");
        out.push_bind_param::<Text, _>(&n.search_text)?;
        out.push_sql(", status = ");
        out.push_bind_param::<Text, str>(n.status.as_str())?;
        out.push_sql(", version = ");
        out.push_bind_param::<BigInt, _>(&n.version)?;
        out.push_sql(", pending_revision = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.pending_revision)?;
        out.push_sql(", queued_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.queued_at)?;
        out.push_sql(", submitted_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.submitted_at)?;
        out.push_sql(", approved_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.approved_at)?;
        out.push_sql(", decided_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.decided_at)?;
        out.push_sql(", rejection_reason_code = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.rejection_reason_code)?;
        out.push_sql(", rejection_reason = ");
        out.push_bind_param::<Nullable<Text>, _>(&n.rejection_reason)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<Timestamp, _>(&n.updated_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(&n.id)?;
        out.push_sql(" AND version = ");
        out.push_bind_param::<BigInt, _>(&self.version)?;
        out.push_sql(" AND status = ");
        out.push_bind_param::<Text, str>(self.status)?;
        Ok(())
    }
}

pub fn delete_if_current(conn: &mut DbConn, id: &str, version: i64) -> Result<bool> {
    let n = diesel::delete(
        activities::table
            .filter(activities::id.eq(id))
            .filter(activities::version.eq(version))
            .filter(activities::status.eq(Status::Draft.as_str())),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// An owner's activities, newest first, optionally of one status.
pub fn list_own(
    conn: &mut DbConn,
    account_id: &str,
    status: Option<Status>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<WithSlug>> {
    let mut q = activities::table
        .inner_join(campaigns::table)
        .filter(activities::account_id.eq(account_id))
        .select((ActivityRow::as_select(), campaigns::slug))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(activities::status.eq(s.as_str()));
    }
    if let Some(c) = cursor {
        q = q.filter(super::keyset(
            "activities.created_at",
            "activities.id",
            "<",
            c.at,
            &c.id,
        ));
    }
    Ok(q.order((activities::created_at.desc(), activities::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// Filters of the moderation queue.
#[derive(Debug, Default, Clone)]
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
    /// The latest arrivals first instead of the longest waiting.
    pub newest_first: bool,
}

diesel::infix_operator!(BitAnd, " & ", diesel::sql_types::Integer);

/// `category_mask & bits`, for "has any of these categories" filters.
pub fn mask_and(
    bits: i32,
) -> BitAnd<activities::category_mask, diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>> {
    BitAnd::new(activities::category_mask, bits.into_sql::<diesel::sql_types::Integer>())
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
    let direction = if f.newest_first { "<" } else { ">" };
    if let Some(c) = cursor {
        q = q.filter(super::keyset(
            "activities.queued_at",
            "activities.id",
            direction,
            c.at,
            &c.id,
        ));
    }
    let q = if f.newest_first {
        q.order((activities::queued_at.desc(), activities::id.desc()))
    } else {
        q.order((activities::queued_at.asc(), activities::id.asc()))
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

/// Keeps the denormalised industry of an owner's activities in step with the profile.
pub fn set_owner_industry(conn: &mut DbConn, account_id: &str, industry: Option<&str>) -> Result<()> {
    diesel::update(activities::table.filter(activities::account_id.eq(account_id)))
        .set(activities::owner_industry.eq(industry))
        .execute(conn)?;
    Ok(())
}

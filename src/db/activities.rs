//! The `activities` table: rows, the owner's list, the moderation queue, and the one
//! conditional write that every workflow step goes through.

use super::schema::{activities, campaigns};
use super::DbConn;
use super::{Error, Result};
use crate::domain::activity::ActivityText;
use crate::domain::codes::{Kind, ReasonCode};
use crate::domain::duplicate;
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
    /// The duplicate flags' keys of the title and organizer name (domain::duplicate).
    pub title_key: Option<String>,
    pub organizer_key: Option<String>,
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
            title_key: Some(duplicate::title_key(&text.title).unwrap_or_default()),
            organizer_key: Some(duplicate::organizer_key(&text.organizer_name).unwrap_or_default()),
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
        self.title_key = Some(duplicate::title_key(&t.title).unwrap_or_default());
        self.organizer_key = Some(duplicate::organizer_key(&t.organizer_name).unwrap_or_default());
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

/// Several activities by id, in one query.
pub fn find_many(conn: &mut DbConn, ids: &[&str]) -> Result<std::collections::HashMap<String, WithSlug>> {
    Ok(activities::table
        .inner_join(campaigns::table)
        .filter(activities::id.eq_any(ids))
        .select((ActivityRow::as_select(), campaigns::slug))
        .load::<WithSlug>(conn)?
        .into_iter()
        .map(|w| (w.0.id.clone(), w))
        .collect())
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
    (status, campaign_id): (Option<Status>, Option<&str>),
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
    if let Some(c) = campaign_id {
        q = q.filter(activities::campaign_id.eq(c.to_owned()));
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

/// Keeps the denormalised industry of an owner's activities in step with the profile.
pub fn set_owner_industry(conn: &mut DbConn, account_id: &str, industry: Option<&str>) -> Result<()> {
    diesel::update(activities::table.filter(activities::account_id.eq(account_id)))
        .set(activities::owner_industry.eq(industry))
        .execute(conn)?;
    Ok(())
}

diesel::infix_operator!(BitAnd, " & ", diesel::sql_types::Integer);

/// `category_mask & bits`, for "has any of these categories" filters.
pub fn mask_and(
    bits: i32,
) -> BitAnd<activities::category_mask, diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>> {
    BitAnd::new(activities::category_mask, bits.into_sql::<diesel::sql_types::Integer>())
}

//! The `campaigns` table: one row per Telework Month edition.

use super::schema::campaigns;
use super::{DbConn, Result};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub registration_opens_at: NaiveDateTime,
    pub registration_closes_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumps on every change; an update names the version it read.
    pub version: i64,
}

impl CampaignRow {
    pub fn is_open_at(&self, t: NaiveDateTime) -> bool {
        self.registration_opens_at <= t && t < self.registration_closes_at
    }
}

/// Inserts a campaign; a taken slug is `Error::Duplicate`.
pub fn insert(conn: &mut DbConn, row: &CampaignRow) -> Result<()> {
    diesel::insert_into(campaigns::table).values(row).execute(conn)?;
    Ok(())
}

/// Writes `row` (whose version is already the next one) if the stored row is still at
/// `version`; false when someone else changed it first.
pub fn save_if_current(conn: &mut DbConn, row: &CampaignRow, version: i64) -> Result<bool> {
    let n = diesel::update(campaigns::table.find(&row.id).filter(campaigns::version.eq(version)))
        .set(row)
        .execute(conn)?;
    Ok(n == 1)
}

/// The campaign of `slug`. A slug holding NUL names none (PostgreSQL would refuse the text).
pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<CampaignRow>> {
    if slug.contains('\0') {
        return Ok(None);
    }
    Ok(campaigns::table
        .filter(campaigns::slug.eq(slug))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<CampaignRow> {
    Ok(campaigns::table.find(id).select(CampaignRow::as_select()).first(conn)?)
}

/// Every campaign, newest first (by start date).
pub fn all(conn: &mut DbConn) -> Result<Vec<CampaignRow>> {
    Ok(campaigns::table
        .select(CampaignRow::as_select())
        .order((campaigns::starts_on.desc(), campaigns::slug.desc()))
        .load(conn)?)
}

/// Campaign id → slug, for every campaign.
pub fn slugs(conn: &mut DbConn) -> Result<Vec<(String, String)>> {
    Ok(campaigns::table.select((campaigns::id, campaigns::slug)).load(conn)?)
}

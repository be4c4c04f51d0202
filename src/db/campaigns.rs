//! The `campaigns` table: one row per Telework Month edition.

use super::schema::campaigns;
use super::DbConn;
use crate::error::{ApiError, ApiResult};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

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
}

impl CampaignRow {
    pub fn is_open_at(&self, t: NaiveDateTime) -> bool {
        self.registration_opens_at <= t && t < self.registration_closes_at
    }
}

fn slug_conflict(err: DieselError) -> ApiError {
    match &err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ApiError::conflict("slug_taken", "A campaign with this slug already exists.")
        }
        _ => ApiError::from(err),
    }
}

pub fn insert(conn: &mut DbConn, row: &CampaignRow) -> ApiResult<()> {
    diesel::insert_into(campaigns::table)
        .values(row)
        .execute(conn)
        .map_err(slug_conflict)?;
    Ok(())
}

pub fn save(conn: &mut DbConn, row: &CampaignRow) -> ApiResult<()> {
    diesel::update(campaigns::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map_err(slug_conflict)?;
    Ok(())
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> ApiResult<CampaignRow> {
    campaigns::table
        .filter(campaigns::slug.eq(slug))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("No campaign `{slug}`.")))
}

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<CampaignRow> {
    Ok(campaigns::table.find(id).select(CampaignRow::as_select()).first(conn)?)
}

/// Every campaign, newest first (by start date).
pub fn all(conn: &mut DbConn) -> ApiResult<Vec<CampaignRow>> {
    Ok(campaigns::table
        .select(CampaignRow::as_select())
        .order((campaigns::starts_on.desc(), campaigns::slug.desc()))
        .load(conn)?)
}

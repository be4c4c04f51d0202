//! Participation badges: the badge id of an activity, and what a badge shows (public
//! columns only).

use super::schema::{activities, badges, campaigns};
use super::{DbConn, Result};
use crate::domain::workflow::Status;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// What a badge needs of its activity and campaign: nothing private.
#[derive(Debug, Clone, Queryable)]
pub struct BadgeView {
    pub badge_id: String,
    pub activity_id: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub organizer_name: String,
    pub approved_at: Option<NaiveDateTime>,
    pub campaign_id: String,
    pub campaign_slug: String,
    pub campaign_title: String,
    pub campaign_starts_on: NaiveDate,
}

/// The badge whose id (or whose activity's id) is `key`.
enum Key<'a> {
    Badge(&'a str),
    Activity(&'a str),
}

fn view(conn: &mut DbConn, key: Key) -> Result<Option<BadgeView>> {
    let q = badges::table
        .inner_join(activities::table.inner_join(campaigns::table))
        .select((
            badges::id,
            activities::id,
            activities::status,
            activities::organizer_name,
            activities::approved_at,
            campaigns::id,
            campaigns::slug,
            campaigns::title,
            campaigns::starts_on,
        ))
        .into_boxed();
    let q = match key {
        Key::Badge(id) => q.filter(badges::id.eq(id.to_owned())),
        Key::Activity(id) => q.filter(badges::activity_id.eq(id.to_owned())),
    };
    Ok(q.first(conn).optional()?)
}

/// The badge `id`, if there is one.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<BadgeView>> {
    view(conn, Key::Badge(id))
}

/// The badge of the activity `activity_id`, if it has one yet.
pub fn of_activity(conn: &mut DbConn, activity_id: &str) -> Result<Option<BadgeView>> {
    view(conn, Key::Activity(activity_id))
}

/// Gives the activity the badge id `id` (a unique violation if it has one already).
pub fn insert(conn: &mut DbConn, id: &str, activity_id: &str, at: NaiveDateTime) -> Result<()> {
    diesel::insert_into(badges::table)
        .values((
            badges::id.eq(id),
            badges::activity_id.eq(activity_id),
            badges::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

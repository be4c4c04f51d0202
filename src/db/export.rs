//! The secretariat's export: every activity of a campaign with its owner's account, in
//! pages by id (the primary key: one pass over the table for the whole export).

use super::accounts::AccountRow;
use super::activities::ActivityRow;
use super::schema::{accounts, activities};
use super::{DbConn, Result};
use diesel::prelude::*;

/// An activity and its owner.
pub type Registration = (ActivityRow, AccountRow);

/// The next `limit` activities of the campaign after `after` (an id), in id order.
pub fn registrations(
    conn: &mut DbConn,
    campaign_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Registration>> {
    let mut q = activities::table
        .inner_join(accounts::table)
        .filter(activities::campaign_id.eq(campaign_id))
        .select((ActivityRow::as_select(), AccountRow::as_select()))
        .order(activities::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = after {
        q = q.filter(activities::id.gt(id.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// How many activities the campaign has.
pub fn count_registrations(conn: &mut DbConn, campaign_id: &str) -> Result<i64> {
    Ok(activities::table
        .filter(activities::campaign_id.eq(campaign_id))
        .count()
        .get_result(conn)?)
}

//! What the moderator digest reads: when it last ran (claimed by a compare-and-set, so one
//! process of many sends it), the queue by campaign, and who wants it.

use super::schema::{accounts, activities, campaigns, digest_state};
use super::{DbConn, Result};
use crate::domain::codes::Role;
use chrono::NaiveDateTime;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

/// When the digest last ran (the epoch before the first run).
pub fn last_run(conn: &mut DbConn) -> Result<NaiveDateTime> {
    Ok(digest_state::table
        .find(1)
        .select(digest_state::last_run_at)
        .first(conn)?)
}

/// Moves the last run from `prev` to `at`; false when another process moved it first.
pub fn claim_run(conn: &mut DbConn, prev: NaiveDateTime, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(digest_state::table.find(1).filter(digest_state::last_run_at.eq(prev)))
        .set(digest_state::last_run_at.eq(at))
        .execute(conn)?;
    Ok(n == 1)
}

/// Queue items (pending submissions and revisions) that entered the queue after `since`.
pub fn arrived_since(conn: &mut DbConn, since: NaiveDateTime) -> Result<i64> {
    Ok(activities::table
        .filter(activities::queued_at.gt(since))
        .count()
        .get_result(conn)?)
}

/// Queue items waiting since before `before`.
pub fn waiting_since_before(conn: &mut DbConn, before: NaiveDateTime) -> Result<i64> {
    Ok(activities::table
        .filter(activities::queued_at.lt(before))
        .count()
        .get_result(conn)?)
}

/// One campaign's queue: slug, title, items, the oldest item's queue time.
pub type CampaignQueue = (String, String, i64, NaiveDateTime);

/// The queue by campaign, largest first.
pub fn queue_by_campaign(conn: &mut DbConn) -> Result<Vec<CampaignQueue>> {
    let groups: Vec<(String, i64, Option<NaiveDateTime>)> = activities::table
        .filter(activities::queued_at.is_not_null())
        .group_by(activities::campaign_id)
        .select((activities::campaign_id, count_star(), min(activities::queued_at)))
        .load(conn)?;
    let names: std::collections::HashMap<String, (String, String)> = campaigns::table
        .select((campaigns::id, campaigns::slug, campaigns::title))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, title)| (id, (slug, title)))
        .collect();
    let mut out: Vec<CampaignQueue> = groups
        .into_iter()
        .filter_map(|(id, n, oldest)| {
            let (slug, title) = names.get(&id)?.clone();
            Some((slug, title, n, oldest?))
        })
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// Enabled staff accounts that want the digest: (email, display name).
pub fn recipients(conn: &mut DbConn) -> Result<Vec<(String, String)>> {
    Ok(accounts::table
        .filter(accounts::role.eq_any([Role::Moderator.as_str(), Role::Admin.as_str()]))
        .filter(accounts::disabled_at.is_null())
        .filter(accounts::notify_digest.eq(true))
        .order(accounts::created_at.asc())
        .select((accounts::email, accounts::display_name))
        .load(conn)?)
}

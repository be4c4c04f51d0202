//! The duplicate flags' data (domain::duplicate): the keys kept on activities, the
//! corporate numbers accounts have held, and the look-alikes of a page of items, found with
//! a few index lookups for the whole page.

use super::schema::{activities, corporate_numbers};
use super::{DbConn, Result};
use crate::domain::duplicate::{self, DuplicateReason};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The statuses of an activity that counts as a registration: sent to the queue at least
/// once and not taken back.
const COUNTED: [&str; 4] = ["pending", "approved", "rejected", "suspended"];

/// What the lookups need to know of one item.
pub struct Probe<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub campaign_id: &'a str,
    pub title_key: Option<&'a str>,
    pub organizer_key: Option<&'a str>,
}

/// Each item's look-alikes: (the other activity's id, why), by item id, each list sorted.
pub type Found = BTreeMap<String, Vec<(String, DuplicateReason)>>;

/// The most look-alikes listed per item.
pub const MAX_PER_ITEM: usize = 20;

/// The look-alikes of every item in `items`, each found with an index: per item, at most
/// [`MAX_PER_ITEM`] by title and by organizer name, and the corporate numbers for the whole
/// page. The two seeks stop at the limit: a page's look-alikes read all at once were
/// thousands of rows where names repeat, 3–4 ms a queue page at 100k rows. On SQLite each
/// look-alike's status is read from its row: the indexes leave it out, so that a decision
/// does not rewrite them (migration 2026-12-11).
/// The statuses are compared with `<>`, which no index serves: with a list of statuses,
/// SQLite without statistics preferred a listing index led by status (0.2 s a page).
pub fn of(conn: &mut DbConn, items: &[Probe]) -> Result<Found> {
    let mut found: BTreeMap<String, BTreeSet<(String, DuplicateReason)>> = BTreeMap::new();
    let mut add = |item: &str, other: String, why| {
        if other != item {
            found.entry(item.to_owned()).or_default().insert((other, why));
        }
    };
    let campaigns: BTreeSet<&str> = items.iter().map(|i| i.campaign_id).collect();
    let accounts: BTreeSet<&str> = items.iter().map(|i| i.account_id).collect();
    let limit = MAX_PER_ITEM as i64 + 1;
    // Two unboxed queries rather than one boxed helper: diesel keeps these prepared, and a
    // queue page runs them for every item.
    for item in items {
        // The same account, a near-identical title, the same campaign.
        if let Some(key) = item.title_key.filter(|k| !k.is_empty()) {
            let ids: Vec<String> = activities::table
                .filter(activities::account_id.eq(item.account_id))
                .filter(activities::title_key.eq(key))
                .filter(activities::campaign_id.eq(item.campaign_id))
                .filter(activities::id.ne(item.id))
                .filter(activities::status.ne("draft"))
                .filter(activities::status.ne("withdrawn"))
                .select(activities::id)
                .limit(limit)
                .load(conn)?;
            for id in ids {
                add(item.id, id, DuplicateReason::SameAccountTitle);
            }
        }
        // Another account, the same organizer name, the same campaign.
        if let Some(key) = item.organizer_key.filter(|k| !k.is_empty()) {
            let ids: Vec<String> = activities::table
                .filter(activities::organizer_key.eq(key))
                .filter(activities::campaign_id.eq(item.campaign_id))
                .filter(activities::account_id.ne(item.account_id))
                .filter(activities::status.ne("draft"))
                .filter(activities::status.ne("withdrawn"))
                .select(activities::id)
                .limit(limit)
                .load(conn)?;
            for id in ids {
                add(item.id, id, DuplicateReason::SameOrganizerName);
            }
        }
    }

    // Another account that holds or held a corporate number the owner holds or held, the
    // same campaign.
    let held: Vec<(String, String)> = corporate_numbers::table
        .filter(corporate_numbers::account_id.eq_any(&accounts))
        .select((corporate_numbers::account_id, corporate_numbers::corporate_number))
        .load(conn)?;
    if !held.is_empty() {
        let numbers: BTreeSet<&str> = held.iter().map(|(_, n)| n.as_str()).collect();
        let sharing: Vec<(String, String)> = corporate_numbers::table
            .filter(corporate_numbers::corporate_number.eq_any(&numbers))
            .select((corporate_numbers::account_id, corporate_numbers::corporate_number))
            .load(conn)?;
        // Pairs of different accounts with a number in common.
        let mut twins: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (a, n) in &held {
            for (b, m) in &sharing {
                if n == m && a != b {
                    twins.insert((a.as_str(), b.as_str()));
                }
            }
        }
        let others: BTreeSet<&str> = twins.iter().map(|(_, b)| *b).collect();
        if !others.is_empty() {
            let rows: Vec<(String, String, String, String)> = activities::table
                .filter(activities::account_id.eq_any(&others))
                .filter(activities::campaign_id.eq_any(&campaigns))
                .select((
                    activities::id,
                    activities::account_id,
                    activities::campaign_id,
                    activities::status,
                ))
                .load(conn)?;
            for item in items {
                for (id, account, campaign, status) in &rows {
                    if campaign == item.campaign_id
                        && COUNTED.contains(&status.as_str())
                        && twins.contains(&(item.account_id, account.as_str()))
                    {
                        add(item.id, id.clone(), DuplicateReason::SameCorporateNumber);
                    }
                }
            }
        }
    }

    Ok(found
        .into_iter()
        .map(|(item, set)| (item, set.into_iter().take(MAX_PER_ITEM).collect()))
        .collect())
}

/// SQL for "this row of `activities` has a look-alike", for the queue's `duplicates` filter;
/// the same three rules as [`of`], each an index lookup per row.
pub const HAS_DUPLICATE: &str = "(EXISTS (SELECT 1 FROM activities d \
    WHERE d.account_id = activities.account_id AND d.title_key = activities.title_key \
    AND d.campaign_id = activities.campaign_id AND d.id <> activities.id AND activities.title_key <> '' \
    AND d.status IN ('pending', 'approved', 'rejected', 'suspended')) \
 OR EXISTS (SELECT 1 FROM activities d \
    WHERE d.organizer_key = activities.organizer_key AND d.campaign_id = activities.campaign_id \
    AND d.account_id <> activities.account_id AND activities.organizer_key <> '' \
    AND d.status IN ('pending', 'approved', 'rejected', 'suspended')) \
 OR EXISTS (SELECT 1 FROM corporate_numbers h \
    JOIN corporate_numbers o ON o.corporate_number = h.corporate_number AND o.account_id <> h.account_id \
    JOIN activities d ON d.account_id = o.account_id AND d.campaign_id = activities.campaign_id \
    WHERE h.account_id = activities.account_id \
    AND d.status IN ('pending', 'approved', 'rejected', 'suspended')))";

/// Writes an activity's keys after its text changed.
pub fn set_keys(conn: &mut DbConn, id: &str, title_key: Option<&str>, organizer_key: Option<&str>) -> Result<()> {
    diesel::update(activities::table.find(id))
        .set((
            activities::title_key.eq(title_key),
            activities::organizer_key.eq(organizer_key),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that `account_id`'s profile holds `number` (once per account and number).
pub fn remember_corporate_number(conn: &mut DbConn, account_id: &str, number: &str, at: NaiveDateTime) -> Result<()> {
    let known: i64 = corporate_numbers::table
        .filter(corporate_numbers::corporate_number.eq(number))
        .filter(corporate_numbers::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    if known == 0 {
        diesel::insert_into(corporate_numbers::table)
            .values((
                corporate_numbers::corporate_number.eq(number),
                corporate_numbers::account_id.eq(account_id),
                corporate_numbers::first_seen_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Computes the keys of activities written before the keys existed, a batch at a time;
/// returns how many it wrote. Run at start-up after the migrations.
pub fn backfill(conn: &mut DbConn) -> Result<usize> {
    let mut done = 0;
    loop {
        let rows: Vec<(String, String, String)> = activities::table
            .filter(activities::title_key.is_null().or(activities::organizer_key.is_null()))
            .select((activities::id, activities::title, activities::organizer_name))
            .limit(1000)
            .load(conn)?;
        if rows.is_empty() {
            return Ok(done);
        }
        super::transaction_on(conn, |conn| {
            for (id, title, organizer) in &rows {
                let t = duplicate::title_key(title).unwrap_or_default();
                let o = duplicate::organizer_key(organizer).unwrap_or_default();
                set_keys(conn, id, Some(&t), Some(&o))?;
            }
            Ok::<_, super::Error>(())
        })?;
        done += rows.len();
    }
}

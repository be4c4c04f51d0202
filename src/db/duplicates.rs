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

/// The look-alikes of every item in `items`: a few queries, each on an index. The status
/// is checked here, not in SQL: with lists of values for two columns and the status, SQLite
/// (without statistics) reads a listing index led by status instead (0.2 s a queue page
/// at 100k rows, seen in the benchmark).
pub fn of(conn: &mut DbConn, items: &[Probe]) -> Result<Found> {
    let mut found: BTreeMap<String, BTreeSet<(String, DuplicateReason)>> = BTreeMap::new();
    let mut add = |item: &str, other: &str, why| {
        if other != item {
            found
                .entry(item.to_owned())
                .or_default()
                .insert((other.to_owned(), why));
        }
    };
    let campaigns: BTreeSet<&str> = items.iter().map(|i| i.campaign_id).collect();
    let accounts: BTreeSet<&str> = items.iter().map(|i| i.account_id).collect();
    let counted = |status: &str| COUNTED.contains(&status);

    // The same account, a near-identical title, the same campaign.
    let titles: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i.title_key)
        .filter(|k| !k.is_empty())
        .collect();
    if !titles.is_empty() {
        let rows: Vec<Row> = activities::table
            .filter(activities::account_id.eq_any(&accounts))
            .filter(activities::title_key.eq_any(&titles))
            .select(ROW_BY_TITLE)
            .load(conn)?;
        let by = index(rows.iter().filter(|r| counted(&r.status)), |r| {
            (r.account_id.as_str(), r.key.as_deref())
        });
        for item in items {
            for r in by.get(&(item.account_id, item.title_key)).into_iter().flatten() {
                if r.campaign_id == item.campaign_id {
                    add(item.id, &r.id, DuplicateReason::SameAccountTitle);
                }
            }
        }
    }

    // Another account, the same organizer name, the same campaign.
    let names: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i.organizer_key)
        .filter(|k| !k.is_empty())
        .collect();
    if !names.is_empty() {
        let rows: Vec<Row> = activities::table
            .filter(activities::organizer_key.eq_any(&names))
            .filter(activities::campaign_id.eq_any(&campaigns))
            .select(ROW_BY_ORGANIZER)
            .load(conn)?;
        let by = index(rows.iter().filter(|r| counted(&r.status)), |r| {
            (r.campaign_id.as_str(), r.key.as_deref())
        });
        for item in items {
            for r in by.get(&(item.campaign_id, item.organizer_key)).into_iter().flatten() {
                if r.account_id != item.account_id {
                    add(item.id, &r.id, DuplicateReason::SameOrganizerName);
                }
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
            let rows: Vec<Row> = activities::table
                .filter(activities::account_id.eq_any(&others))
                .filter(activities::campaign_id.eq_any(&campaigns))
                .select(ROW_BY_TITLE)
                .load(conn)?;
            let by = index(rows.iter().filter(|r| counted(&r.status)), |r| {
                (r.account_id.as_str(), Some(r.campaign_id.as_str()))
            });
            for item in items {
                for (a, b) in twins.range((item.account_id, "")..) {
                    if *a != item.account_id {
                        break;
                    }
                    for r in by.get(&(*b, Some(item.campaign_id))).into_iter().flatten() {
                        add(item.id, &r.id, DuplicateReason::SameCorporateNumber);
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

/// A candidate look-alike: its id, owner, campaign, status and the key it was found by.
#[derive(Queryable)]
struct Row {
    id: String,
    account_id: String,
    campaign_id: String,
    status: String,
    key: Option<String>,
}

type RowColumns<K> = (
    activities::id,
    activities::account_id,
    activities::campaign_id,
    activities::status,
    K,
);
const ROW_BY_TITLE: RowColumns<activities::title_key> = (
    activities::id,
    activities::account_id,
    activities::campaign_id,
    activities::status,
    activities::title_key,
);
const ROW_BY_ORGANIZER: RowColumns<activities::organizer_key> = (
    activities::id,
    activities::account_id,
    activities::campaign_id,
    activities::status,
    activities::organizer_key,
);

/// Rows grouped by a key of theirs.
fn index<'a, K: Ord + 'a>(
    rows: impl Iterator<Item = &'a Row>,
    key: impl Fn(&'a Row) -> K,
) -> BTreeMap<K, Vec<&'a Row>> {
    let mut by: BTreeMap<K, Vec<&'a Row>> = BTreeMap::new();
    for r in rows {
        by.entry(key(r)).or_default().push(r);
    }
    by
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

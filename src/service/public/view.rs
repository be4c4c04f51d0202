//! The shapes of the public read model: the public view of an activity (the only shape
//! public endpoints, feeds and exports show), a page of the listing, and the statistics.

use super::sessions::PublicSession;
use crate::db::public::PublicRow;
use crate::db::utc;
use crate::domain::activity::category_codes;
use crate::domain::codes::{ActivityFormat, Category, Kind, StatsDimension};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// An approved activity as anyone may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicActivity {
    #[schema(format = Uuid)]
    pub id: String,
    /// The campaign's slug.
    pub campaign: String,
    #[schema(value_type = Vec<Category>)]
    pub categories: Vec<String>,
    pub title: String,
    pub description: String,
    pub organizer_name: String,
    pub kind: Kind,
    /// JSIC division of an organization; `null` for individuals.
    pub industry: Option<String>,
    /// JIS X 0401 code "01"–"47".
    pub prefecture: Option<String>,
    #[schema(value_type = Option<ActivityFormat>)]
    pub format: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Its event sessions, in the order they take place (left empty in webhook payloads;
    /// `GET /public/activities/{id}/sessions` has them).
    pub sessions: Vec<PublicSession>,
}

impl PublicActivity {
    /// The public view with the activity's sessions from `sessions` (see
    /// [`super::sessions::of_rows`]).
    pub fn with(row: (PublicRow, String), sessions: &mut HashMap<String, Vec<PublicSession>>) -> Self {
        let mine = sessions.remove(&row.0.id).unwrap_or_default();
        Self {
            sessions: mine,
            ..Self::new(row)
        }
    }

    pub fn new((r, slug): (PublicRow, String)) -> Self {
        Self {
            industry: if r.owner_kind == Kind::Organization {
                r.owner_industry
            } else {
                None
            },
            categories: category_codes(r.category_mask),
            approved_at: r.approved_at.map(utc),
            id: r.id,
            campaign: slug,
            title: r.title,
            description: r.description,
            organizer_name: r.organizer_name,
            kind: r.owner_kind,
            prefecture: r.prefecture,
            format: r.format,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            url: r.url,
            sessions: Vec::new(),
        }
    }
}

/// A page of the public listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPage {
    pub items: Vec<PublicActivity>,
    pub next_cursor: Option<String>,
    /// How many approved activities match the filters; with `total_is_lower_bound`, at
    /// least this many.
    pub total: i64,
    /// True when counting stopped early and `total` is a lower bound: on PostgreSQL, a text
    /// search (`q`) matching more than 1,000 activities is counted up to 1,000. The items
    /// and their order are exact all the same.
    pub total_is_lower_bound: bool,
}

/// Approved totals of one campaign.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CampaignStats {
    pub campaign: String,
    pub total: i64,
    /// By category code (an activity counts once in each of its categories).
    pub by_category: BTreeMap<String, i64>,
    /// By `organization` / `individual`.
    pub by_kind: BTreeMap<String, i64>,
    /// By prefecture code; `none` for activities without one.
    pub by_prefecture: BTreeMap<String, i64>,
    /// By JSIC division of organizations; `none` when not given.
    pub by_industry: BTreeMap<String, i64>,
    /// With `by=A,B`: the counts by A, then by B (as in the `by_…` maps; when one of the two
    /// is `industry`, organizations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross: Option<CrossStats>,
}

/// Counts by two dimensions.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CrossStats {
    /// The two dimensions, as asked for.
    pub by: Vec<StatsDimension>,
    /// Value of the first → value of the second → count.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStats {
    pub items: Vec<CampaignStats>,
    pub next_cursor: Option<String>,
}

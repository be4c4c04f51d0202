//! Activity shapes: the owner's and moderator's full view, the revision, and the input.

use crate::api::extract::nullable;
use crate::db::activities::WithSlug;
use crate::domain::activity::{category_codes, ActivityText, TextInput};
use crate::domain::clock::utc;
use crate::domain::codes::{ActivityFormat, Category, ReasonCode};
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult};
use crate::service::workflow::StepError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The editable text of an activity (also the shape of a pending revision).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityTextOut {
    /// Category codes: `try_practice`, `learn_discuss`, `support_cooperate`.
    #[schema(value_type = Vec<Category>)]
    pub categories: Vec<String>,
    pub title: String,
    pub description: String,
    pub organizer_name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[schema(value_type = Option<ActivityFormat>)]
    pub format: Option<String>,
    /// JIS X 0401 code "01"–"47".
    pub prefecture: Option<String>,
    pub url: Option<String>,
}

impl From<ActivityText> for ActivityTextOut {
    fn from(t: ActivityText) -> Self {
        Self {
            categories: category_codes(t.category_mask),
            title: t.title,
            description: t.description,
            organizer_name: t.organizer_name,
            starts_on: t.starts_on,
            ends_on: t.ends_on,
            format: t.format,
            prefecture: t.prefecture,
            url: t.url,
        }
    }
}

/// Where a queued activity stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueInfo {
    /// 1 for the next item a moderator will see.
    pub position: i64,
    /// Median seconds from entering the queue to a decision, over the latest 1,000
    /// decisions; `null` when there were none.
    pub median_wait_seconds: Option<i64>,
}

/// An activity as its owner and moderators see it: every field, its status and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    #[schema(format = Uuid)]
    pub id: String,
    /// The campaign's slug.
    pub campaign: String,
    pub status: Status,
    /// Send this back with every action and edit.
    pub version: i64,
    #[serde(flatten)]
    pub text: ActivityTextOut,
    /// An edit of an approved activity waiting for a moderator; the public still sees the
    /// approved text.
    pub pending_revision: Option<ActivityTextOut>,
    /// Set while the activity or its revision waits in the moderation queue.
    pub queued_at: Option<DateTime<Utc>>,
    /// The owner's place in the queue (owner view of a queued activity only).
    pub queue: Option<QueueInfo>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was last rejected or unpublished (or its revision rejected).
    pub rejection_reason_code: Option<ReasonCode>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActivityOut {
    /// The view of a stored activity; unreadable stored data is a (logged) 500.
    pub fn new((row, slug): WithSlug) -> ApiResult<Self> {
        let revision = row.revision()?;
        let rejection_reason_code = row.reason_code()?;
        Ok(Self {
            status: row.status,
            text: row.text().into(),
            pending_revision: revision.map(Into::into),
            queued_at: row.queued_at.map(utc),
            queue: None,
            submitted_at: row.submitted_at.map(utc),
            approved_at: row.approved_at.map(utc),
            decided_at: row.decided_at.map(utc),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            id: row.id,
            campaign: slug,
            version: row.version,
            rejection_reason_code,
            rejection_reason: row.rejection_reason,
        })
    }
}

/// A new draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// The campaign's slug.
    pub campaign: String,
    #[schema(value_type = Vec<Category>, min_items = 1)]
    pub categories: Vec<String>,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub description: String,
    /// Defaults to the account's display name.
    #[schema(max_length = 100)]
    pub organizer_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<String>,
    #[schema(value_type = Option<ActivityFormat>)]
    pub format: Option<String>,
    #[schema(pattern = "^(0[1-9]|[1-3][0-9]|4[0-7])$")]
    pub prefecture: Option<String>,
    pub url: Option<String>,
}

impl NewActivity {
    pub fn text_input(self) -> (String, TextInput) {
        (
            self.campaign,
            TextInput {
                categories: Some(self.categories),
                title: Some(self.title),
                description: Some(self.description),
                organizer_name: self.organizer_name.map(Some),
                starts_on: self.starts_on.map(Some),
                ends_on: self.ends_on.map(Some),
                format: self.format.map(Some),
                prefecture: self.prefecture.map(Some),
                url: self.url.map(Some),
            },
        )
    }
}

/// An edit: only the fields given change; `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityPatch {
    /// The version the client saw.
    pub version: i64,
    #[schema(value_type = Option<Vec<Category>>, min_items = 1)]
    pub categories: Option<Vec<String>>,
    #[schema(max_length = 80)]
    pub title: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub organizer_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ActivityFormat>)]
    pub format: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub prefecture: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
}

impl ActivityPatch {
    pub fn text_input(self) -> (i64, TextInput) {
        (
            self.version,
            TextInput {
                categories: self.categories,
                title: self.title,
                description: self.description,
                organizer_name: self.organizer_name,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                format: self.format,
                prefecture: self.prefecture,
                url: self.url,
            },
        )
    }
}

/// The body of `submit` and `withdraw`, and of `approve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// The version the client saw.
    pub version: i64,
}

/// The problem for a workflow step that was not done; a 409 shows the activity as it is now
/// (owners and moderators see the same activity view).
pub fn step_error(e: StepError) -> ApiError {
    match e {
        StepError::Conflict { code, detail, current } => match ActivityOut::new(*current) {
            Ok(view) => ApiError::conflict(code, detail).with_current(view),
            Err(unreadable) => unreadable,
        },
        StepError::Failed(e) => e,
        StepError::Lost => ApiError::conflict(
            "version_conflict",
            "Someone else changed this activity first; reload it.",
        ),
    }
}

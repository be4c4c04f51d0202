//! What a moderator sees: an activity with its owner's contact data, and queue items with
//! the changed fields of a revision.

use crate::api::activity::ActivityOut;
use crate::domain::codes::Kind;
use crate::domain::duplicate::DuplicateReason;
use crate::error::ApiResult;
use crate::service::moderation::Moderated;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, Object, OneOfBuilder, Schema, Type};
use utoipa::ToSchema;

/// The owner of an activity, with private contact data (moderators only).
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerContact {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    pub kind: Option<Kind>,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub corporate_number: Option<String>,
    pub industry: Option<String>,
    pub prefecture: Option<String>,
    pub website: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
}

/// An activity as a moderator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationActivity {
    #[serde(flatten)]
    pub activity: ActivityOut,
    pub owner: OwnerContact,
}

/// One changed field of a revision.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    /// The name of the changed field, e.g. `title`.
    pub field: String,
    /// The value before the revision.
    #[schema(schema_with = field_value)]
    pub old: Value,
    /// The value the revision proposes.
    #[schema(schema_with = field_value)]
    pub new: Value,
}

/// A field's value in a [`FieldChange`]: text (dates as `YYYY-MM-DD`), the list of category
/// codes for `categories`, or `null` for an unset optional field.
fn field_value() -> Schema {
    OneOfBuilder::new()
        .item(Object::with_type(Type::String))
        .item(ArrayBuilder::new().items(Object::with_type(Type::String)))
        .item(Object::with_type(Type::Null))
        .description(Some(
            "Text (dates as `YYYY-MM-DD`), the category codes for `categories`, or `null` for an unset field.",
        ))
        .into()
}

/// What waits in the queue: a pending activity, or an edit of an approved one.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueItemKind {
    Submission,
    Revision,
}

/// One item of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub kind: QueueItemKind,
    pub queued_at: DateTime<Utc>,
    pub waiting_seconds: i64,
    /// For a revision: the fields it changes, old → new.
    pub changes: Vec<FieldChange>,
    /// The display name of the moderator whose live claim is on it; `null` when unclaimed.
    pub claimed_by: Option<String>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    /// Other activities that may be the same registration (at most 20), with why.
    pub possible_duplicates: Vec<PossibleDuplicate>,
    pub activity: ModerationActivity,
}

/// Another activity that may be the same registration: an activity of the same campaign
/// that is or was in the queue (pending, approved, rejected or suspended).
#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    /// The other activity (`GET /moderation/activities/{id}`).
    #[schema(format = Uuid)]
    pub id: String,
    /// `same_account_title`: the same account, a title equal but for width, case, spaces and
    /// punctuation; `same_corporate_number`: another account whose profile holds or held the
    /// owner's corporate number (now or before); `same_organizer_name`: another account, the
    /// same organizer name but for width, case, spaces and the company type
    /// (株式会社, (株), ㈱, 有限会社, 合同会社).
    pub reason: DuplicateReason,
}

pub fn possible_duplicates(found: Vec<(String, DuplicateReason)>) -> Vec<PossibleDuplicate> {
    found
        .into_iter()
        .map(|(id, reason)| PossibleDuplicate { id, reason })
        .collect()
}

/// The moderator's view of one activity, with its possible duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationDetail {
    #[serde(flatten)]
    pub view: ModerationActivity,
    pub possible_duplicates: Vec<PossibleDuplicate>,
}

pub fn moderation_view(Moderated { item, owner }: Moderated) -> ApiResult<ModerationActivity> {
    Ok(ModerationActivity {
        activity: ActivityOut::new(item)?,
        owner: OwnerContact {
            kind: owner.kind()?,
            id: owner.id,
            email: owner.email,
            display_name: owner.display_name,
            legal_name: owner.legal_name,
            corporate_number: owner.corporate_number,
            industry: owner.industry,
            prefecture: owner.prefecture,
            website: owner.website,
            contact_name: owner.contact_name,
            phone: owner.phone,
        },
    })
}

//! The account as clients see it (owner and admin views), and its input shapes.

use crate::api::extract::nullable;
use crate::db::accounts::AccountRow;
use crate::domain::account::ProfileInput;
use crate::domain::clock::utc;
use crate::domain::codes::{Kind, Role};
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account with its profile. Only its owner and admins see this (it holds contact data).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    pub role: Role,
    /// `organization` or `individual`; `null` for staff accounts.
    pub kind: Option<Kind>,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub name_kana: Option<String>,
    /// JSIC major division letter A–T.
    pub industry: Option<String>,
    /// JIS X 0401 code "01"–"47".
    pub prefecture: Option<String>,
    pub employee_band: Option<String>,
    pub website: Option<String>,
    /// 法人番号, 13 digits.
    pub corporate_number: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub disabled: bool,
    /// Whether `email` is confirmed (through the mailed link).
    pub email_verified: bool,
    /// A new address waiting for confirmation; `email` stays in force until then.
    pub pending_email: Option<String>,
    /// Moderators and admins: whether they get the moderation digest.
    pub notify_digest: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for AccountOut {
    type Error = ApiError;

    /// Unreadable stored data is a (logged) 500.
    fn try_from(a: AccountRow) -> ApiResult<Self> {
        Ok(Self {
            kind: a.kind()?,
            role: a.role,
            disabled: a.disabled_at.is_some(),
            email_verified: a.email_verified_at.is_some(),
            pending_email: a.pending_email,
            notify_digest: a.notify_digest,
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
            id: a.id,
            email: a.email,
            display_name: a.display_name,
            legal_name: a.legal_name,
            name_kana: a.name_kana,
            industry: a.industry,
            prefecture: a.prefecture,
            employee_band: a.employee_band,
            website: a.website,
            corporate_number: a.corporate_number,
            contact_name: a.contact_name,
            phone: a.phone,
        })
    }
}

/// Changes to one's own account: only the fields given change; `null` clears an optional
/// field. Organization-only fields are refused for individuals.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// A new address: it takes effect once confirmed through the link mailed to it (the old
    /// address is told of the change). The current address cancels a pending change.
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Moderators and admins: `false` stops the moderation digest.
    pub notify_digest: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub legal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name_kana: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^[A-T]$")]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^(0[1-9]|[1-3][0-9]|4[0-7])$")]
    pub prefecture: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub employee_band: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{13}$")]
    pub corporate_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
}

impl MePatch {
    /// The profile part of the patch.
    pub fn profile(&self) -> ProfileInput {
        let p = self;
        ProfileInput {
            legal_name: p.legal_name.clone(),
            name_kana: p.name_kana.clone(),
            industry: p.industry.clone(),
            prefecture: p.prefecture.clone(),
            employee_band: p.employee_band.clone(),
            website: p.website.clone(),
            corporate_number: p.corporate_number.clone(),
            contact_name: p.contact_name.clone(),
            phone: p.phone.clone(),
        }
    }
}

/// The profile given at registration (all optional).
#[derive(Debug, Default)]
pub struct RegisterProfile {
    pub legal_name: Option<String>,
    pub name_kana: Option<String>,
    pub industry: Option<String>,
    pub prefecture: Option<String>,
    pub employee_band: Option<String>,
    pub website: Option<String>,
    pub corporate_number: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
}

impl From<RegisterProfile> for ProfileInput {
    fn from(p: RegisterProfile) -> Self {
        Self {
            legal_name: p.legal_name.map(Some),
            name_kana: p.name_kana.map(Some),
            industry: p.industry.map(Some),
            prefecture: p.prefecture.map(Some),
            employee_band: p.employee_band.map(Some),
            website: p.website.map(Some),
            corporate_number: p.corporate_number.map(Some),
            contact_name: p.contact_name.map(Some),
            phone: p.phone.map(Some),
        }
    }
}

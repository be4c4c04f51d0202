//! Campaigns: created and changed by admins, each change audited in its transaction; an
//! update applies only to the version the admin saw.

use crate::db::audit::AuditEvent;
use crate::db::campaigns::{self, CampaignRow};
use crate::db::{self, now, Conn};
use crate::domain::actor::Actor;
use crate::domain::codes::AuditAction;
use crate::error::{ApiError, ApiResult};
use crate::service::EditError;

/// What an update changes; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct CampaignChanges {
    pub title: Option<String>,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
    pub registration_opens_at: Option<chrono::NaiveDateTime>,
    pub registration_closes_at: Option<chrono::NaiveDateTime>,
}

/// Every campaign, newest first.
pub fn all(conn: &mut Conn) -> ApiResult<Vec<CampaignRow>> {
    Ok(campaigns::all(conn)?)
}

/// Inserts a validated campaign with its `campaign_create` event.
pub fn create(conn: &mut Conn, row: CampaignRow, actor: &Actor) -> ApiResult<CampaignRow> {
    let actor = actor.clone();
    db::transaction(conn, move |conn| {
        campaigns::insert(conn, &row)?;
        AuditEvent::campaign(
            &row.id,
            &actor,
            AuditAction::CampaignCreate,
            Some(format!("slug {}", row.slug)),
        )
        .insert(conn)?;
        Ok(row)
    })
}

/// Applies `changes` to the campaign `slug` if it is still at `version`; `validate` checks
/// the result. The write and its `campaign_update` event commit together, and the write
/// names the version, so of two concurrent updates of one version exactly one applies.
pub fn update(
    conn: &mut Conn,
    slug: &str,
    version: i64,
    changes: CampaignChanges,
    actor: &Actor,
    validate: impl FnOnce(&mut CampaignRow) -> ApiResult<()>,
) -> Result<CampaignRow, EditError<CampaignRow>> {
    let current =
        campaigns::by_slug(conn, slug)?.ok_or_else(|| ApiError::not_found(format!("No campaign `{slug}`.")))?;
    if current.version != version {
        return Err(EditError::Stale(Box::new(current)));
    }
    let mut row = current.clone();
    let mut changed = Vec::new();
    if let Some(t) = changes.title {
        row.title = t;
        changed.push("title");
    }
    if let Some(d) = changes.starts_on {
        row.starts_on = d;
        changed.push("starts_on");
    }
    if let Some(d) = changes.ends_on {
        row.ends_on = d;
        changed.push("ends_on");
    }
    if let Some(t) = changes.registration_opens_at {
        row.registration_opens_at = t;
        changed.push("registration_opens_at");
    }
    if let Some(t) = changes.registration_closes_at {
        row.registration_closes_at = t;
        changed.push("registration_closes_at");
    }
    validate(&mut row)?;
    row.version = version + 1;
    row.updated_at = now();
    let (actor, id) = (actor.clone(), row.id.clone());
    let detail = format!(
        "changed {}",
        if changed.is_empty() {
            "nothing".into()
        } else {
            changed.join(", ")
        }
    );
    // The public exports carry the campaign's title.
    let public = changed.contains(&"title");
    let saved = db::transaction(conn, move |conn| {
        if !campaigns::save_if_current(conn, &row, version)? {
            return Ok::<_, ApiError>(None);
        }
        AuditEvent::campaign(&row.id, &actor, AuditAction::CampaignUpdate, Some(detail)).insert(conn)?;
        if public {
            db::generation::bump(conn)?;
        }
        Ok(Some(row))
    })?;
    match saved {
        Some(row) => Ok(row),
        // Another admin's update won between the read and the write.
        None => Err(EditError::Stale(Box::new(campaigns::find(conn, &id)?))),
    }
}

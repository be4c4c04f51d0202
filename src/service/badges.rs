//! Participation badges: a badge is public while its activity is approved (410 after it is
//! withdrawn, unpublished or rejected); its owner gets its id, made on first asking.

use crate::db::activities;
use crate::db::badges::{self, BadgeView};
use crate::db::{self, now, Conn};
use crate::domain::actor::Actor;
use crate::domain::badge;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult};

/// The badge `id` as anyone may see it: 404 for no such badge, 410 `badge_withdrawn` when
/// its activity is not public any more.
pub fn public(conn: &mut Conn, id: &str) -> ApiResult<BadgeView> {
    let found = if badge::is_id(id) {
        badges::find(conn, id)?
    } else {
        None
    };
    let b = found.ok_or_else(|| ApiError::not_found("No such badge."))?;
    if b.status != Status::Approved {
        return Err(ApiError::gone(
            "badge_withdrawn",
            "The activity is no longer public, and so its badge is withdrawn.",
        ));
    }
    Ok(b)
}

/// The badge of one of the owner's activities, made now if it has none yet: 404 for
/// another owner's activity, 409 `not_approved` unless it is approved.
pub fn of_own(conn: &mut Conn, owner: &Actor, activity_id: String) -> ApiResult<BadgeView> {
    let (row, _) = activities::find(conn, &activity_id)?;
    if row.account_id != owner.id {
        return Err(ApiError::not_found("No such activity."));
    }
    if row.status != Status::Approved {
        return Err(ApiError::conflict(
            "not_approved",
            "Only an approved activity has a badge.",
        ));
    }
    if let Some(b) = badges::of_activity(conn, &activity_id)? {
        return Ok(b);
    }
    let (id, aid) = (badge::new_id(), activity_id.clone());
    match db::transaction(conn, move |conn| badges::insert(conn, &id, &aid, now())) {
        // Another request made it first: that one is the badge.
        Ok(()) | Err(db::Error::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    badges::of_activity(conn, &activity_id)?.ok_or_else(|| ApiError::internal("a badge just made is missing"))
}

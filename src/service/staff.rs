//! An admin's work on accounts: the account list, new staff accounts, role changes and
//! disabling, each audited.

use crate::db::accounts::{self, AccountChanges, AccountRow, ListFilter, NewAccount};
use crate::db::audit::AuditEvent;
use crate::db::{self, new_id, now, tokens, Conn};
use crate::domain::account::Profile;
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, Role};
use crate::domain::page::Cursor;
use crate::error::{ApiError, ApiResult};

/// One page of accounts, newest first (one row more than `limit` when there are more).
pub fn list(conn: &mut Conn, filter: &ListFilter, cursor: Option<&Cursor>, limit: i64) -> ApiResult<Vec<AccountRow>> {
    Ok(accounts::list(conn, filter, cursor, limit)?)
}

/// A validated new staff account; `password_hash` is already hashed.
pub struct NewStaff {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
}

/// Creates a moderator or admin account (verified: an admin vouches for the address).
pub fn create(conn: &mut Conn, admin: Actor, s: NewStaff) -> ApiResult<AccountRow> {
    Ok(db::transaction(conn, move |conn| {
        let id = new_id();
        let profile = Profile::default();
        let new = NewAccount::new(&id, &s.email, &s.password_hash, s.role, None, &s.display_name, &profile);
        accounts::insert(conn, &new.verified())?;
        let detail = Some(format!("role {}", s.role));
        AuditEvent::account(&id, &admin, AuditAction::AccountCreate, detail).insert(conn)?;
        accounts::find(conn, &id)
    })?)
}

/// An admin's change to an account: a staff role, or disabled/enabled.
pub struct AccountEdit {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Changes an account. Admins cannot change themselves; registrants keep their role; a
/// disabled account loses its tokens at once. A change to nothing changes nothing.
pub fn update(conn: &mut Conn, admin: Actor, id: String, edit: AccountEdit) -> ApiResult<AccountRow> {
    db::transaction(conn, move |conn| {
        let current = accounts::find(conn, &id)?;
        if id == admin.id {
            return Err(ApiError::conflict(
                "cannot_change_self",
                "Admins cannot change their own role or disable themselves.",
            ));
        }
        let mut changes = AccountChanges::default();
        let mut events = Vec::new();
        if let Some(role) = edit.role {
            if current.role == Role::Registrant {
                return Err(ApiError::conflict(
                    "not_staff",
                    "Registrant accounts keep their role; create a staff account instead.",
                ));
            }
            if current.role != role {
                changes.role = Some(role.as_str().to_owned());
                events.push((AuditAction::AccountRole, Some(format!("{} -> {}", current.role, role))));
            }
        }
        if let Some(disabled) = edit.disabled {
            if disabled != current.disabled_at.is_some() {
                changes.disabled_at = Some(disabled.then(now));
                let action = if disabled {
                    AuditAction::AccountDisable
                } else {
                    AuditAction::AccountEnable
                };
                events.push((action, None));
            }
        }
        if events.is_empty() {
            return Ok(current);
        }
        let updated = accounts::update(conn, &id, changes, true)?;
        if updated.disabled_at.is_some() {
            tokens::revoke_all(conn, &id)?;
        }
        for (action, detail) in events {
            AuditEvent::account(&id, &admin, action, detail).insert(conn)?;
        }
        Ok(updated)
    })
}

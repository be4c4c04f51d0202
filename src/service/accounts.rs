//! An account's own data: its profile, its email address and its password; and the
//! `create-admin` command.

use crate::auth::password::Hasher;
use crate::db::accounts::{self, AccountChanges, AccountRow, AuthView};
use crate::db::{self, activities, generation, mail_tokens, new_id, tokens, Conn, DbConn};
use crate::domain::account::{self, Profile, ProfileInput};
use crate::domain::codes::{Kind, Role, TokenPurpose};
use crate::error::{ApiError, ApiResult};
use crate::mail::{compose, Mailer};
use crate::service::verification;

/// Creates an admin from the command line, with the same rules as the API; returns the new
/// account's id and its email as stored.
pub fn create_admin(
    conn: &mut DbConn,
    hasher: &Hasher,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<(String, String), String> {
    let email = account::email(email).map_err(|e| format!("--email {}", e.message))?;
    account::password("password", password).map_err(|e| format!("password {}", e.message))?;
    let display_name = account::display_name(display_name).map_err(|e| format!("--display-name {}", e.message))?;
    let id = new_id();
    let hash = hasher.hash(password);
    let profile = Profile::default();
    let new = accounts::NewAccount::new(&id, &email, &hash, Role::Admin, None, &display_name, &profile).verified();
    match accounts::insert(conn, &new) {
        Ok(()) => Ok((id, email)),
        Err(db::Error::Duplicate(db::Unique::AccountEmail)) => Err(format!("an account with the email {email} exists")),
        Err(e) => Err(format!("database: {e}")),
    }
}

/// The signed-in account's own row.
pub fn find(conn: &mut Conn, id: &str) -> ApiResult<AccountRow> {
    Ok(accounts::find(conn, id)?)
}

/// What a bearer token's account is now, for authentication (`None`: no such account).
pub fn auth_view(conn: &mut Conn, id: &str) -> ApiResult<Option<AuthView>> {
    Ok(accounts::auth_view(conn, id)?)
}

/// An account's edit of itself, as the client sent it.
pub struct ProfileEdit {
    pub display_name: Option<String>,
    pub profile: ProfileInput,
    pub email: Option<String>,
    pub notify_digest: Option<bool>,
}

/// Applies an account's edit of itself. Organization-only fields are refused for
/// individuals; a new email address waits for its mailed confirmation and the current one is
/// told; a changed industry follows into the account's public activities.
pub fn update_profile(conn: &mut Conn, mailer: &Mailer, id: String, edit: ProfileEdit) -> ApiResult<AccountRow> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let current = accounts::find(conn, &id)?;
        let kind = match (current.role, current.kind()?) {
            (_, Some(kind)) => kind,
            (Role::Registrant, None) => return Err(ApiError::internal("a registrant account has no kind")),
            // Staff accounts have no kind; their profile follows the individual's rules.
            (_, None) => Kind::Individual,
        };
        let mut errors = Vec::new();
        let display_name = edit
            .display_name
            .as_deref()
            .map(account::display_name)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let profile = account::build_profile(&current.profile(), edit.profile, kind)
            .map_err(|e| errors.extend(e))
            .ok();
        let email = edit
            .email
            .as_deref()
            .map(account::email)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let (Some(profile), true) = (profile, errors.is_empty()) else {
            return Err(ApiError::validation(errors));
        };
        let industry_changed = profile.industry != current.industry;
        let mut changes = AccountChanges::profile(display_name, profile);
        changes.notify_digest = edit.notify_digest;
        // A new address waits for its confirmation; the current one cancels a pending change.
        let new_email = match email {
            Some(e) if e == current.email => {
                changes.pending_email = Some(None);
                None
            }
            Some(e) if current.pending_email.as_deref() == Some(e.as_str()) => None,
            Some(e) => {
                if accounts::find_by_email(conn, &e)?.is_some() {
                    return Err(db::Error::Duplicate(db::Unique::AccountEmail).into());
                }
                changes.pending_email = Some(Some(e.clone()));
                Some(e)
            }
            None => None,
        };
        let updated = accounts::update(conn, &id, changes, false)?;
        if industry_changed {
            activities::set_owner_industry(conn, &id, updated.industry.as_deref())?;
            generation::bump(conn)?;
        }
        if let Some(new_email) = new_email {
            let name = &updated.display_name;
            verification::send(conn, &mailer, &id, name, &new_email, true)?;
            let notice = compose::email_change_notice(&current.email, name, &new_email).map(|m| m.to_account(&id));
            mailer.enqueue(conn, notice)?;
        }
        Ok(updated)
    })
}

/// The stored password hash, for checking the current password off the database thread.
pub fn password_hash(conn: &mut Conn, id: &str) -> ApiResult<String> {
    Ok(accounts::find(conn, id)?.password_hash)
}

/// Sets a new password hash. Every token of the account stops working, and reset links
/// mailed before the change die with them.
pub fn set_password(conn: &mut Conn, id: String, new_hash: String) -> ApiResult<()> {
    Ok(db::transaction(conn, move |conn| {
        let changes = AccountChanges {
            password_hash: Some(new_hash),
            ..Default::default()
        };
        accounts::update(conn, &id, changes, true)?;
        mail_tokens::void_all(conn, &id, TokenPurpose::PasswordReset, db::now())?;
        tokens::revoke_all(conn, &id)
    })?)
}

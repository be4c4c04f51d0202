//! Accounts outside the request path: the `create-admin` command.

use crate::auth::password::Hasher;
use crate::db::{self, accounts, new_id, DbConn};
use crate::domain::account::{self, Profile};
use crate::domain::codes::Role;

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

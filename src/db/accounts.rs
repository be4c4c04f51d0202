//! The `accounts` table. Rows never reach serde: the API maps them to its own DTOs.

use super::schema::accounts;
use super::{now, DbConn};
use super::{Error, Result};
use crate::domain::account::Profile;
use crate::domain::codes::{Kind, Role};
use crate::domain::page::Cursor;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A whole account row. It holds the password hash, so it derives no `Debug`.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub kind: Option<String>,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub name_kana: Option<String>,
    pub industry: Option<String>,
    pub prefecture: Option<String>,
    pub employee_band: Option<String>,
    pub website: Option<String>,
    pub corporate_number: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub token_version: i64,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub email_verified_at: Option<NaiveDateTime>,
    /// A new address waiting for verification; `email` stays in force until then.
    pub pending_email: Option<String>,
    /// Staff: whether the moderator digest is wanted.
    pub notify_digest: bool,
}

/// A registrant's kind as stored: `None` for staff; unknown text is corrupt data.
fn kind_of(kind: &Option<String>) -> Result<Option<Kind>> {
    kind.clone()
        .map(Kind::try_from)
        .transpose()
        .map_err(|e| Error::Corrupt(e.to_string()))
}

impl AccountRow {
    pub fn kind(&self) -> Result<Option<Kind>> {
        kind_of(&self.kind)
    }

    pub fn profile(&self) -> Profile {
        Profile {
            legal_name: self.legal_name.clone(),
            name_kana: self.name_kana.clone(),
            industry: self.industry.clone(),
            prefecture: self.prefecture.clone(),
            employee_band: self.employee_band.clone(),
            website: self.website.clone(),
            corporate_number: self.corporate_number.clone(),
            contact_name: self.contact_name.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// What the auth extractor needs to accept a token.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AuthView {
    pub id: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub kind: Option<String>,
    pub display_name: String,
    pub industry: Option<String>,
    pub token_version: i64,
    pub disabled_at: Option<NaiveDateTime>,
    pub email_verified_at: Option<NaiveDateTime>,
}

impl AuthView {
    pub fn kind(&self) -> Result<Option<Kind>> {
        kind_of(&self.kind)
    }
}

pub fn auth_view(conn: &mut DbConn, id: &str) -> Result<Option<AuthView>> {
    Ok(accounts::table
        .find(id)
        .select(AuthView::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub kind: Option<&'a str>,
    pub display_name: &'a str,
    pub legal_name: Option<&'a str>,
    pub name_kana: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub prefecture: Option<&'a str>,
    pub employee_band: Option<&'a str>,
    pub website: Option<&'a str>,
    pub corporate_number: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Set for accounts whose address is vouched for (staff, the seed); registrants verify.
    pub email_verified_at: Option<NaiveDateTime>,
}

impl<'a> NewAccount<'a> {
    pub fn new(
        id: &'a str,
        email: &'a str,
        password_hash: &'a str,
        role: Role,
        kind: Option<Kind>,
        display_name: &'a str,
        profile: &'a Profile,
    ) -> Self {
        let at = now();
        Self {
            id,
            email,
            password_hash,
            role: role.as_str(),
            kind: kind.map(Kind::as_str),
            display_name,
            legal_name: profile.legal_name.as_deref(),
            name_kana: profile.name_kana.as_deref(),
            industry: profile.industry.as_deref(),
            prefecture: profile.prefecture.as_deref(),
            employee_band: profile.employee_band.as_deref(),
            website: profile.website.as_deref(),
            corporate_number: profile.corporate_number.as_deref(),
            contact_name: profile.contact_name.as_deref(),
            phone: profile.phone.as_deref(),
            token_version: 0,
            created_at: at,
            updated_at: at,
            email_verified_at: None,
        }
    }

    /// The account with its email counted as verified from now.
    pub fn verified(mut self) -> Self {
        self.email_verified_at = Some(self.created_at);
        self
    }
}

/// Inserts an account; a taken email or corporate number is `Error::Duplicate`.
pub fn insert(conn: &mut DbConn, new: &NewAccount) -> Result<()> {
    diesel::insert_into(accounts::table).values(new).execute(conn)?;
    if let Some(number) = new.corporate_number {
        super::duplicates::remember_corporate_number(conn, new.id, number, new.created_at)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<AccountRow> {
    accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Several accounts by id, in one query.
pub fn find_many(conn: &mut DbConn, ids: &[&str]) -> Result<std::collections::HashMap<String, AccountRow>> {
    Ok(accounts::table
        .filter(accounts::id.eq_any(ids))
        .select(AccountRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect())
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> Result<Option<AccountRow>> {
    Ok(accounts::table
        .filter(accounts::email.eq(email))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

/// Changes to an account: `None` leaves a column alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = accounts)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub legal_name: Option<Option<String>>,
    pub name_kana: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub prefecture: Option<Option<String>>,
    pub employee_band: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub corporate_number: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub role: Option<String>,
    pub password_hash: Option<String>,
    pub disabled_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
    pub email: Option<String>,
    pub email_verified_at: Option<Option<NaiveDateTime>>,
    pub pending_email: Option<Option<String>>,
    pub notify_digest: Option<bool>,
}

impl AccountChanges {
    pub fn profile(display_name: Option<String>, p: Profile) -> Self {
        Self {
            display_name,
            legal_name: Some(p.legal_name),
            name_kana: Some(p.name_kana),
            industry: Some(p.industry),
            prefecture: Some(p.prefecture),
            employee_band: Some(p.employee_band),
            website: Some(p.website),
            corporate_number: Some(p.corporate_number),
            contact_name: Some(p.contact_name),
            phone: Some(p.phone),
            ..Default::default()
        }
    }
}

/// Applies changes; with `revoke_tokens` the account's token version moves, so every access
/// token issued before stops working at once.
pub fn update(conn: &mut DbConn, id: &str, mut changes: AccountChanges, revoke_tokens: bool) -> Result<AccountRow> {
    changes.updated_at = Some(now());
    let target = accounts::table.find(id);
    let n = if revoke_tokens {
        diesel::update(target)
            .set((&changes, accounts::token_version.eq(accounts::token_version + 1)))
            .execute(conn)
    } else {
        diesel::update(target).set(&changes).execute(conn)
    }?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    if let (Some(Some(number)), Some(at)) = (&changes.corporate_number, changes.updated_at) {
        super::duplicates::remember_corporate_number(conn, id, number, at)?;
    }
    find(conn, id)
}

/// Filters of the admin account list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub role: Option<Role>,
    pub kind: Option<Kind>,
    pub disabled: Option<bool>,
    /// Substring of the email or display name.
    pub q: Option<String>,
}

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Accounts, newest first, keyset-paginated.
pub fn list(conn: &mut DbConn, f: &ListFilter, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<AccountRow>> {
    let mut q = accounts::table.select(AccountRow::as_select()).into_boxed();
    if let Some(role) = &f.role {
        q = q.filter(accounts::role.eq(role.as_str()));
    }
    if let Some(kind) = &f.kind {
        q = q.filter(accounts::kind.eq(kind.as_str()));
    }
    match f.disabled {
        Some(true) => q = q.filter(accounts::disabled_at.is_not_null()),
        Some(false) => q = q.filter(accounts::disabled_at.is_null()),
        None => {}
    }
    if let Some(text) = &f.q {
        let pattern = format!("%{}%", super::like_escape(&text.to_lowercase()));
        // PostgreSQL's LIKE heeds letter case (SQLite's does not, for ASCII): compare lower case.
        q = q.filter(
            lower(accounts::email)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(accounts::display_name).like(pattern).escape('\\')),
        );
    }
    if let Some(c) = cursor {
        q = q.filter(
            accounts::created_at
                .lt(c.at)
                .or(accounts::created_at.eq(c.at).and(accounts::id.lt(c.id.clone()))),
        );
    }
    Ok(q.order((accounts::created_at.desc(), accounts::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

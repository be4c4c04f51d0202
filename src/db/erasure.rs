//! Erasure of an account's private data (APPI): its contact data, profile and sign-in are
//! overwritten or deleted, its tokens and the history of its corporate number deleted, and
//! the mail to its addresses kept without recipient or body. Its id stays, so the audit log
//! keeps its events, now of a pseudonym.

use super::activities::{ActivityRow, WithSlug};
use super::schema::{
    accounts, activities, campaigns, corporate_numbers, event_sessions, idempotency_keys, mail_tokens, outbox,
    refresh_tokens,
};
use super::{Backend, DbConn, Result};
use crate::domain::codes::{OutboxChannel, OutboxState};
use crate::domain::workflow::Status;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

/// SQL: the text `$column` holds `$value` (SQLite `instr`, PostgreSQL `strpos`).
macro_rules! holds {
    ($conn:expr, $column:literal, $value:expr) => {
        sql::<Bool>(match $conn.backend() {
            Backend::Sqlite => concat!("instr(", $column, ", "),
            Backend::Postgres => concat!("strpos(", $column, ", "),
        })
        .bind::<Text, _>($value)
        .sql(") > 0")
    };
}

/// The name an erased account shows.
pub const ERASED_NAME: &str = "削除されたアカウント";

/// Why mail not sent when its recipient's data was erased never will be.
const ERASED_ERROR: &str = "the recipient's data was erased";

/// The address an erased account is left with: unique, and never deliverable (`.invalid`).
pub fn erased_email(account_id: &str) -> String {
    format!("erased-{account_id}@erased.invalid")
}

/// The account's activities that are not withdrawn, to withdraw before erasing.
pub fn not_withdrawn(conn: &mut DbConn, account_id: &str) -> Result<Vec<WithSlug>> {
    Ok(activities::table
        .inner_join(campaigns::table)
        .filter(activities::account_id.eq(account_id))
        .filter(activities::status.ne(Status::Withdrawn.as_str()))
        .select((ActivityRow::as_select(), campaigns::slug))
        .load(conn)?)
}

/// Takes a new version of every activity of the account, in the erasure's transaction: an
/// owner's step read before fails its conditional update (a lost race), and on PostgreSQL
/// one not yet committed is waited for, so the check that follows sees it.
pub fn hold_activities(conn: &mut DbConn, account_id: &str) -> Result<()> {
    diesel::update(activities::table.filter(activities::account_id.eq(account_id)))
        .set(activities::version.eq(activities::version + 1))
        .execute(conn)?;
    Ok(())
}

/// Erases the account's private data; call it in a transaction. Returns the message ids of
/// the mails it forgot (for the `.eml` files of the files transport).
pub fn erase(conn: &mut DbConn, account_id: &str, at: NaiveDateTime) -> Result<Vec<String>> {
    let (email, pending): (String, Option<String>) = accounts::table
        .find(account_id)
        .select((accounts::email, accounts::pending_email))
        .first(conn)?;
    for address in std::iter::once(&email).chain(&pending) {
        forget_answers_holding(conn, address)?;
    }
    let erased = erased_email(account_id);
    diesel::update(accounts::table.find(account_id))
        .set((
            accounts::email.eq(&erased),
            accounts::pending_email.eq(None::<String>),
            // No password hash has this form: nobody can sign in.
            accounts::password_hash.eq("!erased"),
            accounts::display_name.eq(ERASED_NAME),
            accounts::legal_name.eq(None::<String>),
            accounts::name_kana.eq(None::<String>),
            accounts::website.eq(None::<String>),
            accounts::corporate_number.eq(None::<String>),
            accounts::contact_name.eq(None::<String>),
            accounts::phone.eq(None::<String>),
            accounts::email_verified_at.eq(None::<NaiveDateTime>),
            accounts::disabled_at.eq(Some(at)),
            // Every access token of the account stops working.
            accounts::token_version.eq(accounts::token_version + 1),
            accounts::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::account_id.eq(account_id))).execute(conn)?;
    diesel::delete(mail_tokens::table.filter(mail_tokens::account_id.eq(account_id))).execute(conn)?;
    diesel::delete(corporate_numbers::table.filter(corporate_numbers::account_id.eq(account_id))).execute(conn)?;
    // The online rooms of its sessions are private too.
    diesel::update(
        event_sessions::table.filter(
            event_sessions::activity_id.eq_any(
                activities::table
                    .filter(activities::account_id.eq(account_id))
                    .select(activities::id),
            ),
        ),
    )
    .set(event_sessions::online_url.eq(None::<String>))
    .execute(conn)?;
    let addresses: Vec<String> = std::iter::once(email).chain(pending).collect();
    // Its mail, also to the addresses it had before (mail written for it), and any other
    // mail to the addresses it has now.
    forget_mail(conn, Some(account_id), &addresses, &erased, at)
}

/// The account's name where its activities, all withdrawn, show it as their organizer (by
/// default they do; for an individual it is a person's name): in the row, with the search
/// text made from it and no duplicate key, and in the public views that webhook events
/// about them carry (kept after delivery for replay). Call it before [`erase`], in its
/// transaction. A purge, which leaves the activities public, does not.
pub fn forget_organizer_name(conn: &mut DbConn, account_id: &str) -> Result<()> {
    let name: String = accounts::table
        .find(account_id)
        .select(accounts::display_name)
        .first(conn)?;
    let field = |v: &str| format!("\"organizer_name\":{}", serde_json::Value::from(v));
    let (shown, erased) = (field(&name), field(ERASED_NAME));
    let named: Vec<ActivityRow> = activities::table
        .filter(activities::account_id.eq(account_id))
        .filter(activities::organizer_name.eq(&name))
        .select(ActivityRow::as_select())
        .load(conn)?;
    for mut row in named {
        let mut text = row.text();
        text.organizer_name = ERASED_NAME.to_owned();
        row.set_text(text);
        // The erased name is every erased account's: it marks no duplicates.
        row.organizer_key = Some(String::new());
        diesel::update(activities::table.find(&row.id))
            .set((
                activities::organizer_name.eq(&row.organizer_name),
                activities::search_text.eq(&row.search_text),
                activities::organizer_key.eq(&row.organizer_key),
            ))
            .execute(conn)?;
        diesel::update(
            outbox::table
                .filter(outbox::channel.eq("webhook"))
                .filter(holds!(conn, "body", row.id.clone()))
                .filter(holds!(conn, "body", shown.clone())),
        )
        .set(
            outbox::body.eq(sql::<Nullable<Text>>("replace(body, ")
                .bind::<Text, _>(shown.clone())
                .sql(", ")
                .bind::<Text, _>(erased.clone())
                .sql(")")),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The answers kept for replay under an idempotency key that show the account's contact
/// data (a bulk decision's items carry their owners'), found by its address as a JSON
/// string (quoted, so that no other address holding it matches).
fn forget_answers_holding(conn: &mut DbConn, email: &str) -> Result<()> {
    let quoted = serde_json::Value::from(email).to_string();
    diesel::delete(idempotency_keys::table.filter(holds!(conn, "response", quoted))).execute(conn)?;
    Ok(())
}

/// The mail to `addresses`: what is not sent yet is not sent, and every row is kept as a
/// record without its recipient (now `erased`), subject or body. Returns the message ids.
pub fn forget_mail_to(conn: &mut DbConn, addresses: &[String], erased: &str, at: NaiveDateTime) -> Result<Vec<String>> {
    forget_mail(conn, None, addresses, erased, at)
}

/// [`forget_mail_to`] for the mail to `addresses` and the mail written for `account`.
fn forget_mail(
    conn: &mut DbConn,
    account: Option<&str>,
    addresses: &[String],
    erased: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>> {
    // With no account, `account_id = NULL`: true of no row.
    let theirs = || outbox::recipient.eq_any(addresses).or(outbox::account_id.eq(account));
    let mails: Vec<String> = outbox::table
        .filter(theirs())
        .filter(outbox::channel.eq(OutboxChannel::Mail.as_str()))
        .select(outbox::message_id)
        .load(conn)?;
    diesel::update(
        outbox::table
            .filter(theirs())
            .filter(outbox::state.eq_any([OutboxState::Pending.as_str(), OutboxState::Sending.as_str()])),
    )
    .set((
        outbox::state.eq(OutboxState::Dead.as_str()),
        outbox::last_error.eq(Some(ERASED_ERROR)),
        outbox::lease_owner.eq(None::<String>),
    ))
    .execute(conn)?;
    // A failure's text may quote the address (a mail server's refusal, from before such text
    // was kept without it).
    diesel::update(
        outbox::table
            .filter(theirs())
            .filter(outbox::last_error.ne(ERASED_ERROR)),
    )
    .set(outbox::last_error.eq(Some("(erased)")))
    .execute(conn)?;
    diesel::update(outbox::table.filter(theirs()))
        .set((
            outbox::recipient.eq(erased),
            outbox::subject.eq("(erased)"),
            outbox::body.eq(None::<String>),
            outbox::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(mails)
}

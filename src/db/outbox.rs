//! The outbox: every mail the registry sends, written in the transaction of the change it
//! reports and delivered later by a worker. Workers claim due rows with a lease (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so processes never claim the same row), and
//! record each outcome only while they still hold the lease.

use super::schema::outbox;
use super::{new_id, now, DbConn, Error, Result};
use crate::domain::codes::{MailKind, OutboxChannel, OutboxState};
use crate::domain::page::Cursor;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

/// A new outbox row of either channel (mail, or a webhook's event).
pub(super) struct NewRow<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: Option<&'a str>,
    pub secret: bool,
    pub state: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub channel: &'a str,
    pub webhook_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

static_insert!(InsertRow, InsertRowId, NewRow<'q>, outbox, {
    id: Text,
    message_id: Text,
    kind: Text,
    recipient: Text,
    subject: Text,
    body: Nullable<Text>,
    secret: Bool,
    state: Text,
    attempts: Integer,
    next_attempt_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
    channel: Text,
    webhook_id: Nullable<Text>,
    account_id: Nullable<Text>,
});

/// A mail to write: who to, what, and whether its body holds a one-time link.
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The body holds a token: it is erased also when the row is dead.
    pub secret: bool,
    /// The account it is written for, if any: erasing the account forgets it.
    pub account_id: Option<String>,
}

impl Mail {
    /// The same mail, written for the account `id`.
    pub fn to_account(mut self, id: &str) -> Self {
        self.account_id = Some(id.to_owned());
        self
    }
}

/// Writes `mail` as a pending row due now, with the message id `<row id@domain>`; returns
/// the row id. Call it inside the transaction of the change the mail reports.
pub fn insert(conn: &mut DbConn, mail: &Mail, domain: &str) -> Result<String> {
    let id = new_id();
    let message_id = format!("<{id}@{domain}>");
    let at = now();
    InsertRow(&NewRow {
        id: &id,
        message_id: &message_id,
        kind: mail.kind.as_str(),
        recipient: &mail.recipient,
        subject: &mail.subject,
        body: Some(&mail.body),
        secret: mail.secret,
        state: OutboxState::Pending.as_str(),
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
        channel: OutboxChannel::Mail.as_str(),
        webhook_id: None,
        account_id: mail.account_id.as_deref(),
    })
    .execute(conn)?;
    Ok(id)
}

/// A row as the admin list shows it: everything but the body.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub message_id: String,
    #[diesel(deserialize_as = String)]
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    #[diesel(deserialize_as = String)]
    pub state: OutboxState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// A row a worker has claimed, with what it needs to deliver it.
#[derive(QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub body: Option<String>,
    #[diesel(sql_type = Bool)]
    pub secret: bool,
    /// Attempts so far, this one included.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// `mail` or `webhook`.
    #[diesel(sql_type = Text)]
    pub channel: String,
    /// The webhook an event row is for.
    #[diesel(sql_type = Nullable<Text>)]
    pub webhook_id: Option<String>,
}

impl Claimed {
    pub fn is_webhook(&self) -> bool {
        self.channel == OutboxChannel::Webhook.as_str()
    }
}

const CLAIM_SQLITE: &str = "UPDATE outbox SET state = 'sending', lease_owner = ?, next_attempt_at = ?, \
     attempts = attempts + 1, updated_at = ? \
     WHERE id IN (SELECT id FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ? \
     AND body IS NOT NULL AND channel = ? ORDER BY next_attempt_at LIMIT ?) \
     RETURNING id, message_id, kind, recipient, subject, body, secret, attempts, channel, webhook_id";

const CLAIM_POSTGRES: &str = "UPDATE outbox SET state = 'sending', lease_owner = $1, next_attempt_at = $2, \
     attempts = attempts + 1, updated_at = $3 \
     WHERE id IN (SELECT id FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= $4 \
     AND body IS NOT NULL AND channel = $5 ORDER BY next_attempt_at LIMIT $6 FOR UPDATE SKIP LOCKED) \
     RETURNING id, message_id, kind, recipient, subject, body, secret, attempts, channel, webhook_id";

/// The condition of `outbox_due_idx`, written out: SQLite uses a partial index only for a
/// query whose own terms imply its `WHERE`, which bound parameters never do.
const DUE_STATES: &str = "state IN ('pending', 'sending')";

/// Whether any row is due at `at`: a read, so that an idle worker takes no write lock.
pub fn any_due(conn: &mut DbConn, at: NaiveDateTime, channel: OutboxChannel) -> Result<bool> {
    let due: Option<String> = outbox::table
        .filter(outbox::channel.eq(channel.as_str()))
        .filter(diesel::dsl::sql::<Bool>(DUE_STATES))
        .filter(outbox::next_attempt_at.le(at))
        .select(outbox::id)
        .first(conn)
        .optional()?;
    Ok(due.is_some())
}

/// Claims up to `limit` rows of `channel` due at `at` for `owner` until `lease_until`: pending rows whose
/// time has come and sending rows whose lease has run out (their worker died). On
/// PostgreSQL rows another worker is claiming are skipped, not waited for.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    at: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
    channel: OutboxChannel,
) -> Result<Vec<Claimed>> {
    macro_rules! claim_on {
        ($c:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(lease_until)
                .bind::<Timestamp, _>(at)
                .bind::<Timestamp, _>(at)
                .bind::<Text, _>(channel.as_str())
                .bind::<BigInt, _>(limit)
                .load::<Claimed>($c)
        };
    }
    Ok(match conn {
        DbConn::Sqlite(c) => claim_on!(c, CLAIM_SQLITE),
        DbConn::Pg(c) => claim_on!(c, CLAIM_POSTGRES),
    }?)
}

/// Records a delivery; false when `owner` no longer held the row. A mail's body is erased;
/// an event's is kept (it holds no secret, and a replay sends it again).
pub fn mark_sent(conn: &mut DbConn, id: &str, owner: &str, keep_body: bool, at: NaiveDateTime) -> Result<bool> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::lease_owner.eq(owner))
        .filter(outbox::state.eq(OutboxState::Sending.as_str()));
    let done = (
        outbox::state.eq(OutboxState::Sent.as_str()),
        outbox::sent_at.eq(Some(at)),
        outbox::lease_owner.eq(None::<String>),
        outbox::updated_at.eq(at),
    );
    let n = if keep_body {
        diesel::update(target).set(done).execute(conn)?
    } else {
        diesel::update(target)
            .set((done, outbox::body.eq(None::<String>)))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// What to do with a row whose attempt failed.
pub enum Failure {
    /// Try again at this time.
    RetryAt(NaiveDateTime),
    /// Out of attempts (or refused for good): `dead`; `erase` drops the body too.
    Dead { erase: bool },
}

/// Records a failed attempt; false when `owner` no longer held the row.
pub fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    error: &str,
    failure: Failure,
    at: NaiveDateTime,
) -> Result<bool> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::lease_owner.eq(owner))
        .filter(outbox::state.eq(OutboxState::Sending.as_str()));
    let error: String = error.chars().take(500).collect();
    let common = (
        outbox::lease_owner.eq(None::<String>),
        outbox::last_error.eq(Some(error)),
        outbox::updated_at.eq(at),
    );
    let n = match failure {
        Failure::RetryAt(next) => diesel::update(target)
            .set((
                common,
                outbox::state.eq(OutboxState::Pending.as_str()),
                outbox::next_attempt_at.eq(next),
            ))
            .execute(conn)?,
        Failure::Dead { erase: false } => diesel::update(target)
            .set((common, outbox::state.eq(OutboxState::Dead.as_str())))
            .execute(conn)?,
        Failure::Dead { erase: true } => diesel::update(target)
            .set((
                common,
                outbox::state.eq(OutboxState::Dead.as_str()),
                outbox::body.eq(None::<String>),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// One mail (events are a webhook's deliveries, not mail).
pub fn find(conn: &mut DbConn, id: &str) -> Result<OutboxRow> {
    outbox::table
        .find(id)
        .filter(outbox::channel.eq(OutboxChannel::Mail.as_str()))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Why a row cannot be retried.
#[derive(Debug, PartialEq, Eq)]
pub enum RetryRefused {
    /// Only dead rows are retried.
    NotDead(OutboxState),
    /// Its one-time link was erased with the body; the recipient must ask for a new mail.
    BodyErased,
}

/// Makes a dead row pending again, due now, with a fresh count of attempts.
pub fn retry(conn: &mut DbConn, id: &str) -> Result<std::result::Result<OutboxRow, RetryRefused>> {
    let at = now();
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::channel.eq(OutboxChannel::Mail.as_str()))
            .filter(outbox::state.eq(OutboxState::Dead.as_str()))
            .filter(outbox::body.is_not_null()),
    )
    .set((
        outbox::state.eq(OutboxState::Pending.as_str()),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(at),
        outbox::updated_at.eq(at),
    ))
    .execute(conn)?;
    let row = find(conn, id)?;
    Ok(match (n, row.state) {
        (1, _) => Ok(row),
        (_, OutboxState::Dead) => Err(RetryRefused::BodyErased),
        (_, state) => Err(RetryRefused::NotDead(state)),
    })
}

/// Mails newest first, optionally in one state, keyset-paginated.
pub fn list(
    conn: &mut DbConn,
    state: Option<OutboxState>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<OutboxRow>> {
    let mut q = outbox::table
        .select(OutboxRow::as_select())
        .filter(outbox::channel.eq(OutboxChannel::Mail.as_str()))
        .into_boxed();
    if let Some(s) = state {
        q = q.filter(outbox::state.eq(s.as_str()));
    }
    if let Some(c) = cursor {
        q = q.filter(
            outbox::created_at
                .lt(c.at)
                .or(outbox::created_at.eq(c.at).and(outbox::id.lt(c.id.clone()))),
        );
    }
    Ok(q.order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

//! Bulk decisions: one request decides up to [`MAX_ITEMS`] items, each on its own (its own
//! conditional update, audit event, outbox rows and public generation bump), under an
//! idempotency key that makes a retry return the first answer instead of deciding again.

use crate::db::accounts::{self, AccountRow};
use crate::db::activities::{self, WithSlug};
use crate::db::claims::{self as db_claims, Claim};
use crate::db::idempotency::{self, Begun};
use crate::db::{self, now, Conn, Pool};
use crate::domain::actor::Actor;
use crate::domain::codes::ReasonCode;
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::claims::claimed_by_other;
use crate::service::moderation::Moderated;
use crate::service::workflow::{self, Planned, Step, StepError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The most items one request decides.
pub const MAX_ITEMS: usize = 500;
/// How long a key and its answer are kept.
pub const KEY_HOURS: i64 = 24;
/// A run that has not finished after this long is taken as abandoned (its process died).
pub const STALE_MINUTES: i64 = 10;

/// What the key says to do.
pub enum Start {
    Run,
    /// The stored answer of the first request with this key.
    Replay(String),
}

/// A fingerprint of a request body, to tell a retry from another request under one key.
pub fn fingerprint(canonical_body: &str) -> String {
    Sha256::digest(canonical_body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Claims `key` for this request: 422 `idempotency_key_reused` when it came with another
/// body, 409 `idempotency_in_progress` while the first request runs.
pub fn start(conn: &mut Conn, caller: &str, key: String, hash: String) -> ApiResult<Start> {
    let caller = caller.to_owned();
    let at = now();
    let begun = db::transaction(conn, move |conn| {
        idempotency::begin(
            conn,
            &caller,
            &key,
            &hash,
            at,
            at + chrono::Duration::hours(KEY_HOURS),
            at - chrono::Duration::minutes(STALE_MINUTES),
        )
    });
    let begun = match begun {
        // A concurrent request with this key inserted it first.
        Err(db::Error::Duplicate(_)) => Begun::InProgress,
        other => other?,
    };
    match begun {
        Begun::Run => Ok(Start::Run),
        Begun::Done(body) => Ok(Start::Replay(body)),
        Begun::Reused => Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "This Idempotency-Key came with another request body; use a new key for a new request.",
        )),
        Begun::InProgress => Err(ApiError::conflict(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still running; retry once it is done.",
        )),
    }
}

/// Keeps a request's answer under its key (a write that fails only with the database).
pub fn finish(conn: &mut Conn, caller: String, key: String, body: String) -> ApiResult<()> {
    Ok(db::transaction_bare(conn, move |conn| {
        idempotency::finish(conn, &caller, &key, &body)
    })?)
}

/// Forgets the key of a request that failed as a whole.
pub fn abandon(conn: &mut Conn, caller: String, key: String) -> ApiResult<()> {
    Ok(db::transaction(conn, move |conn| {
        idempotency::abandon(conn, &caller, &key)
    })?)
}

/// One item to decide: its id (as sent) and the version the moderator saw.
pub struct Item {
    pub id: String,
    pub version: i64,
}

/// How one item went (an id that is not a UUID is a 404 like an unknown one).
pub type Decided = Result<Moderated, StepError>;

/// Items per write: on SQLite one thread runs every write transaction (see
/// `db::writer`), so a transaction of many items costs that
/// thread one hand-over and a share of one commit instead of one each; their reads are made
/// beforehand, off that thread, in one query per table. On PostgreSQL a transaction of one
/// item: one that held several items' rows and the public generation's row at once could
/// deadlock with another bulk request's or a single decision's.
pub const CHUNK_ONE_WRITER: usize = 50;
/// Chunks decided at once, each by a thread of its own (on PostgreSQL each holds a
/// connection for its whole transaction, so few do).
pub const LANES: usize = 4;
pub const LANES_ONE_WRITER: usize = 20;

/// Decides every item, each with its own conditional update, [`LANES`] chunks at a
/// time; an item's failure does not stop the others. A failure of the database itself stops
/// the request. The results are in the order of `items`.
pub fn decide_all(
    pool: &Pool,
    mailer: &Mailer,
    moderator: &Actor,
    action: Action,
    reason: Option<(ReasonCode, String)>,
    items: Vec<Item>,
) -> ApiResult<Vec<Decided>> {
    let n = items.len();
    let (size, lanes) = if pool.writes_on_one_thread() {
        (CHUNK_ONE_WRITER, LANES_ONE_WRITER)
    } else {
        (1, LANES)
    };
    let mut chunks: Vec<Vec<(usize, Item)>> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match chunks.last_mut() {
            Some(c) if c.len() < size => c.push((i, item)),
            _ => chunks.push(vec![(i, item)]),
        }
    }
    let lanes = lanes.min(chunks.len()).max(1);
    let mut shares: Vec<Vec<Vec<(usize, Item)>>> = (0..lanes).map(|_| Vec::new()).collect();
    for (k, chunk) in chunks.into_iter().enumerate() {
        shares[k % lanes].push(chunk);
    }
    let how = How {
        pool,
        mailer,
        moderator,
        action,
        reason: &reason,
    };
    let lane = |share: Vec<Vec<(usize, Item)>>| -> ApiResult<Vec<(usize, Decided)>> {
        let mut out = Vec::new();
        for chunk in share {
            out.extend(decide_chunk(&how, chunk)?);
        }
        Ok(out)
    };
    let done: Vec<ApiResult<Vec<(usize, Decided)>>> = std::thread::scope(|s| {
        let running: Vec<_> = shares.into_iter().map(|share| s.spawn(|| lane(share))).collect();
        running
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(ApiError::internal("a bulk lane panicked")))
            })
            .collect()
    });
    let mut slots: Vec<Option<Decided>> = (0..n).map(|_| None).collect();
    for lane in done {
        for (i, d) in lane? {
            slots[i] = Some(d);
        }
    }
    slots
        .into_iter()
        .map(|d| d.ok_or_else(|| ApiError::internal("a bulk item was not decided")))
        .collect()
}

/// What every item of a request is decided with.
struct How<'a> {
    pool: &'a Pool,
    mailer: &'a Mailer,
    moderator: &'a Actor,
    action: Action,
    reason: &'a Option<(ReasonCode, String)>,
}

/// A server error stops the request; any other is the item's result.
fn item_error(e: StepError) -> ApiResult<StepError> {
    match e {
        StepError::Failed(e) if e.is_server_error() => Err(e),
        e => Ok(e),
    }
}

/// Decides the items of one chunk: reads them (one query for the rows, one for the claims,
/// one for the owners), works out each step, and writes every step that can be made in one
/// transaction (an item that is not decided leaves the others alone).
fn decide_chunk(how: &How, chunk: Vec<(usize, Item)>) -> ApiResult<Vec<(usize, Decided)>> {
    let mut out: Vec<(usize, Decided)> = Vec::with_capacity(chunk.len());
    let (planned, owners) = db::with_conn(how.pool, |conn| plan_chunk(conn, how, chunk, &mut out))?;
    if planned.is_empty() {
        return Ok(out);
    }
    let mailer = how.mailer.clone();
    // Bare (`db::transaction_bare`), for the reasons its items go without savepoints below.
    let written = db::with_conn(how.pool, move |conn| {
        db::transaction_bare(conn, move |conn| -> ApiResult<Vec<(usize, Written)>> {
            let mut done = Vec::with_capacity(planned.len());
            for (i, p) in planned {
                let (id, slug) = (p.id().to_owned(), p.slug().to_owned());
                // No savepoint of its own: a step that lost its race wrote nothing (its
                // conditional update is its first write), and any other failure of a write
                // stops the request.
                match workflow::apply(conn, p, &mailer) {
                    Ok(Some(row)) => done.push((i, Ok((row, slug)))),
                    Ok(None) => return Err(ApiError::internal("a moderation step deleted an activity")),
                    // The item's answer is the state that won.
                    Err(StepError::Lost) => done.push((i, Err(item_error(workflow::lost(conn, &id))?))),
                    Err(StepError::Failed(e)) => return Err(e),
                    Err(e) => return Err(ApiError::internal(format!("a bulk step failed: {e:?}"))),
                }
            }
            Ok(done)
        })
    })?;
    for (i, w) in written {
        out.push((
            i,
            w.and_then(|item| match owners.get(&item.0.account_id) {
                Some(owner) => Ok(Moderated {
                    owner: owner.clone(),
                    item,
                }),
                None => Err(StepError::Failed(ApiError::internal("a decided activity has no owner"))),
            }),
        ));
    }
    Ok(out)
}

/// An item as written, before its owner is attached.
type Written = Result<WithSlug, StepError>;

/// A chunk's steps to write, by position in the request, and the owners of its items.
type Plans = (Vec<(usize, Planned)>, HashMap<String, AccountRow>);

/// Reads a chunk's items and works out their steps; the items that cannot be decided get
/// their result in `out`. Returns the planned steps and the owners of the chunk's items.
fn plan_chunk(
    conn: &mut Conn,
    how: &How,
    chunk: Vec<(usize, Item)>,
    out: &mut Vec<(usize, Decided)>,
) -> ApiResult<Plans> {
    // An id that is not a UUID is a 404 like an unknown one.
    let ids: Vec<Option<String>> = chunk
        .iter()
        .map(|(_, it)| uuid::Uuid::parse_str(&it.id).ok().map(|u| u.hyphenated().to_string()))
        .collect();
    let known: Vec<&str> = ids.iter().flatten().map(String::as_str).collect();
    let rows = activities::find_many(conn, &known)?;
    let claims: HashMap<String, Claim> = db_claims::live(conn, &known, now())?
        .into_iter()
        .map(|c| (c.activity_id.clone(), c))
        .collect();
    let owner_ids: Vec<&str> = rows.values().map(|(a, _)| a.account_id.as_str()).collect();
    let owners = accounts::find_many(conn, &owner_ids)?;
    let mut planned = Vec::with_capacity(chunk.len());
    for ((i, item), id) in chunk.into_iter().zip(ids) {
        // The same id twice in one request: the second finds the first's version stale.
        let Some(current) = id.as_ref().and_then(|id| rows.get(id)).cloned() else {
            out.push((i, Err(StepError::Failed(ApiError::not_found("No such activity.")))));
            continue;
        };
        if let Some(c) = claims.get(&current.0.id).filter(|c| c.moderator_id != how.moderator.id) {
            out.push((i, Err(StepError::Failed(claimed_by_other(c)))));
            continue;
        }
        let step = Step {
            action: how.action,
            version: item.version,
            reason: how.reason.clone(),
            edit: None,
        };
        match workflow::plan(conn, current, how.moderator, step) {
            Ok(mut p) => {
                if p.notice_kind().is_some() {
                    let Some(owner) = owners.get(p.account_id()) else {
                        return Err(ApiError::internal("an activity has no owner"));
                    };
                    p.compose_notice(how.mailer, owner);
                }
                planned.push((i, p));
            }
            Err(e) => out.push((i, Err(item_error(e)?))),
        }
    }
    Ok((planned, owners))
}

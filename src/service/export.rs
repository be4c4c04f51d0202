//! Exports streamed from one snapshot: the open data (every approved activity of a campaign
//! in the public view) and the secretariat's registrations (every activity of a campaign
//! with its owner's account). Rows are read and encoded page by page on a blocking thread
//! and handed to the response a few pages ahead, so memory stays flat however many rows.

use crate::db::audit::AuditEvent;
use crate::db::campaigns::{self, CampaignRow};
use crate::db::export::{self as db_export, Registration};
use crate::db::public::{self as db_public, PublicFilter};
use crate::db::snapshot::Snapshot;
use crate::db::{self, generation, DbConn, Pool};
use crate::domain::actor::Actor;
use crate::domain::codes::AuditAction;
use crate::domain::page::Cursor;
use crate::error::{ApiError, ApiResult};
use crate::service::public::{sessions, PublicActivity};
use actix_web::web::Bytes;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Rows read (and encoded) at a time.
pub const PAGE: i64 = 500;
/// Encoded pages waiting for the client at most.
const AHEAD: usize = 4;
/// How long a client may take to read one page before the export is given up: an export
/// holds a connection, a blocking thread and a snapshot (which keeps SQLite's log from
/// starting over) while it waits.
const STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a client turned away for want of a free export slot is told to wait.
pub const BUSY_RETRY_SECS: u64 = 5;

/// The public exports one process runs at once: each holds a pooled connection and a
/// blocking thread for as long as its client reads (ten seconds for a million rows, up to
/// [`STALL`] per page for a slow reader), so without a bound a few anonymous downloads could
/// take every connection of the pool from all other requests.
#[derive(Debug)]
pub struct Slots(Arc<Semaphore>);

/// A slot taken; the export gives it back when it ends, however it ends.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    pub fn new(n: usize) -> Self {
        Self(Arc::new(Semaphore::new(n)))
    }

    /// A free slot, or 503 `exports_busy` with `Retry-After` (never a wait: a queued
    /// download would hold its client's connection for nothing).
    pub fn take(&self) -> ApiResult<Slot> {
        self.0
            .clone()
            .try_acquire_owned()
            .map(|permit| Slot { _permit: permit })
            .map_err(|_| ApiError::exports_busy(BUSY_RETRY_SECS))
    }
}

/// Turns an export's rows into the bytes of its body.
pub trait Encoder<R>: Send + 'static {
    /// What comes before the rows; `campaign` is the exported campaign.
    fn head(&mut self, campaign: &CampaignRow) -> ApiResult<Bytes>;
    fn rows(&mut self, rows: &[R]) -> ApiResult<Bytes>;
    /// What comes after the last row; `count` rows came before.
    fn tail(&mut self, count: u64) -> ApiResult<Bytes>;
}

/// An export under way: the data generation its snapshot saw (for the ETag), and the body.
pub struct Streamed {
    pub generation: i64,
    /// The body's chunks; an `Err` is a failure after the first byte (the response breaks
    /// off). Dropping it stops the export.
    pub body: mpsc::Receiver<ApiResult<Bytes>>,
}

/// Where an export's rows come from, page by page, inside its snapshot.
trait Source: Send + 'static {
    type Row: Send;
    /// The first reads: the campaign (400 `unknown_campaign` if there is none).
    fn open(&mut self, conn: &mut DbConn) -> ApiResult<CampaignRow>;
    /// The next page; empty after the last.
    fn page(&mut self, conn: &mut DbConn) -> ApiResult<Vec<Self::Row>>;
}

fn campaign(conn: &mut DbConn, slug: &str) -> ApiResult<CampaignRow> {
    campaigns::by_slug(conn, slug)?
        .ok_or_else(|| ApiError::field("campaign", "unknown_campaign", format!("there is no campaign `{slug}`")))
}

/// Every approved activity of the campaign `slug` in the public view, newest approval
/// first; with `sessions`, each with its event sessions.
pub async fn public<E: Encoder<PublicActivity>>(
    pool: &Pool,
    slot: Slot,
    slug: String,
    sessions: bool,
    enc: E,
) -> ApiResult<Streamed> {
    let source = PublicSource {
        slug,
        sessions,
        filter: PublicFilter::default(),
        cursor: None,
        done: false,
    };
    stream(pool, Some(slot), source, enc).await
}

struct PublicSource {
    slug: String,
    sessions: bool,
    filter: PublicFilter,
    cursor: Option<Cursor>,
    done: bool,
}

impl Source for PublicSource {
    type Row = PublicActivity;

    fn open(&mut self, conn: &mut DbConn) -> ApiResult<CampaignRow> {
        let c = campaign(conn, &self.slug)?;
        self.filter.campaign_id = Some(c.id.clone());
        Ok(c)
    }

    fn page(&mut self, conn: &mut DbConn) -> ApiResult<Vec<PublicActivity>> {
        if self.done {
            return Ok(Vec::new());
        }
        let mut rows = db_public::list(conn, &self.filter, self.cursor.as_ref(), PAGE)?;
        self.done = rows.len() as i64 <= PAGE;
        rows.truncate(PAGE as usize);
        self.cursor = rows.last().map(|(r, _)| Cursor {
            at: r.approved_at.unwrap_or_default(),
            id: r.id.clone(),
        });
        let mut of = if self.sessions {
            sessions::of_rows(conn, rows.iter().map(|(r, _)| r))?
        } else {
            Default::default()
        };
        Ok(rows.into_iter().map(|r| PublicActivity::with(r, &mut of)).collect())
    }
}

/// Every activity of the campaign `slug` with its owner's account, in id order, for the
/// secretariat. The download is audited (who, which campaign, how many rows) before the
/// first row leaves.
pub async fn registrations<E: Encoder<Registration>>(
    pool: &Pool,
    admin: Actor,
    slug: String,
    enc: E,
) -> ApiResult<Streamed> {
    let source = RegistrationSource {
        pool: pool.clone(),
        admin,
        slug,
        campaign_id: String::new(),
        after: None,
        done: false,
    };
    stream(pool, None, source, enc).await
}

struct RegistrationSource {
    pool: Pool,
    admin: Actor,
    slug: String,
    campaign_id: String,
    after: Option<String>,
    done: bool,
}

impl Source for RegistrationSource {
    type Row = Registration;

    fn open(&mut self, conn: &mut DbConn) -> ApiResult<CampaignRow> {
        let c = campaign(conn, &self.slug)?;
        self.campaign_id = c.id.clone();
        let n = db_export::count_registrations(conn, &c.id)?;
        let event = AuditEvent::campaign(
            &c.id,
            &self.admin,
            AuditAction::ExportRegistrations,
            Some(format!("registrations of {}: {n} rows", c.slug)),
        );
        // On a connection of its own: the snapshot's is read-only.
        db::with_conn(&self.pool, |conn| db::transaction(conn, move |conn| event.insert(conn)))?;
        Ok(c)
    }

    fn page(&mut self, conn: &mut DbConn) -> ApiResult<Vec<Registration>> {
        if self.done {
            return Ok(Vec::new());
        }
        let rows = db_export::registrations(conn, &self.campaign_id, self.after.as_deref(), PAGE)?;
        self.done = (rows.len() as i64) < PAGE;
        self.after = rows.last().map(|(a, _)| a.id.clone());
        Ok(rows)
    }
}

/// Runs an export on a blocking thread; `slot`, if any, is given back when it has ended,
/// before its body's end reaches the client.
async fn stream<S: Source, E: Encoder<S::Row>>(
    pool: &Pool,
    slot: Option<Slot>,
    mut source: S,
    mut enc: E,
) -> ApiResult<Streamed> {
    let (tx, body) = mpsc::channel(AHEAD);
    let (started, start) = oneshot::channel::<ApiResult<i64>>();
    let pool = pool.clone();
    tokio::task::spawn_blocking(crate::request_id::carry(move || {
        let mut started = Some(started);
        let outcome = produce(&pool, &mut source, &mut enc, &tx, &mut started);
        // The body ends when `tx` is dropped, after this: a client that has read it all
        // finds the slot free.
        drop(slot);
        match (outcome, started.take()) {
            // Before the first byte: the client gets the problem.
            (Err(e), Some(s)) => {
                let _ = s.send(Err(e));
            }
            (Err(e), None) => {
                log::error!("an export broke off: {e}");
                let _ = tx.blocking_send(Err(e));
            }
            (Ok(()), _) => {}
        }
    }));
    let generation = start
        .await
        .map_err(|_| ApiError::internal("the export stopped before it began"))??;
    Ok(Streamed { generation, body })
}

/// Reads and encodes the whole export; stops early, without an error, when the client has
/// gone (or never wanted the body: a 304).
fn produce<S: Source, E: Encoder<S::Row>>(
    pool: &Pool,
    source: &mut S,
    enc: &mut E,
    tx: &mpsc::Sender<ApiResult<Bytes>>,
    started: &mut Option<oneshot::Sender<ApiResult<i64>>>,
) -> ApiResult<()> {
    let mut conn = pool.get().map_err(db::Error::from)?;
    let mut snap = Snapshot::begin(&mut conn)?;
    let (generation, campaign) = db::budgeted(pool, || -> ApiResult<_> {
        let generation = generation::get(snap.conn())?;
        Ok((generation, source.open(snap.conn())?))
    })?;
    let head = enc.head(&campaign)?;
    let Some(s) = started.take() else {
        return Ok(());
    };
    if s.send(Ok(generation)).is_err() || !hand_over(tx, head) {
        return Ok(());
    }
    let mut count = 0;
    loop {
        let rows = db::budgeted(pool, || source.page(snap.conn()))?;
        if rows.is_empty() {
            break;
        }
        count += rows.len() as u64;
        if !hand_over(tx, enc.rows(&rows)?) {
            return Ok(());
        }
    }
    snap.end()?;
    hand_over(tx, enc.tail(count)?);
    Ok(())
}

/// Gives the response one more chunk, waiting while it is [`AHEAD`] chunks behind; false
/// when the client has gone or has not read for [`STALL`] (the response then breaks off).
fn hand_over(tx: &mpsc::Sender<ApiResult<Bytes>>, chunk: Bytes) -> bool {
    let started = std::time::Instant::now();
    let mut chunk = Ok(chunk);
    loop {
        match tx.try_send(chunk) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
            Err(mpsc::error::TrySendError::Full(back)) if started.elapsed() < STALL => {
                chunk = back;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                log::warn!(
                    "an export was given up: its client read nothing for {} s",
                    STALL.as_secs()
                );
                return false;
            }
        }
    }
}

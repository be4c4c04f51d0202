//! Copies the SQLite write-ahead log back into the database file on a thread of its own,
//! beside the write thread (`super::writer`) rather than on it.
//!
//! SQLite's automatic checkpoint runs on the connection that commits, so the write thread
//! spent a share of its time copying pages into the database file and syncing it while every
//! writer waited: 13 % of its time in a profile of the bulk-approve benchmark (100k rows). A
//! passive checkpoint from another connection does the same work without blocking writers.
//! While writes keep coming such a checkpoint may never catch up with the log's end, and the
//! log restarts from its beginning only once all of it is in the database, so when the log
//! has grown past [`FORCE_FRAMES`] the write thread checkpoints itself between two groups: by
//! then little is left to copy, and the log starts over with the next group.

use super::{open, DbConn, DbTarget};
use diesel::sql_types::Integer;
use diesel::RunQueryDsl;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Log frames (pages) past which the write thread checkpoints itself (64 MiB of 4 KiB pages).
pub const FORCE_FRAMES: i64 = 16_000;
/// The pause after each checkpoint: pages that many commits rewrite meanwhile are copied once.
const PAUSE: Duration = Duration::from_millis(50);

/// The write thread's side: tells the checkpoint thread that commits happened.
pub struct Checkpoints {
    nudge: SyncSender<()>,
    /// The log's length in frames, as the last checkpoint found it.
    log_frames: Arc<AtomicI64>,
    /// Past this many frames the write thread checkpoints itself.
    force_frames: i64,
}

#[derive(diesel::QueryableByName, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// 1 when the checkpoint could not run to its end (another one was running).
    #[diesel(sql_type = Integer)]
    pub busy: i32,
    /// Frames in the log.
    #[diesel(sql_type = Integer)]
    pub log: i32,
    /// Frames of it now in the database file.
    #[diesel(sql_type = Integer)]
    pub checkpointed: i32,
}

/// A passive checkpoint on `conn`: copies what no reader still needs, blocks nobody.
pub fn passive(conn: &mut DbConn) -> super::Result<Outcome> {
    Ok(diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)?)
}

impl Checkpoints {
    /// Starts the checkpoint thread of `target`; it ends when this is dropped. The write
    /// thread checkpoints itself once the log is `force_frames` long.
    pub fn start(target: &DbTarget, force_frames: i64) -> Self {
        let (nudge, nudged) = mpsc::sync_channel(1);
        let log_frames = Arc::new(AtomicI64::new(0));
        let (target, frames) = (target.clone(), log_frames.clone());
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&target, &nudged, &frames));
        if let Err(e) = spawned {
            // The log is then copied back only by the write thread, past FORCE_FRAMES.
            log::error!("cannot start the SQLite checkpoint thread: {e}");
        }
        Self {
            nudge,
            log_frames,
            force_frames,
        }
    }

    /// After a commit: wakes the checkpoint thread (a nudge while one waits is enough), and
    /// checkpoints on `conn`, the write connection, when the log has grown too long.
    pub fn committed(&self, conn: &mut DbConn) {
        match self.nudge.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            // No checkpoint thread: the write thread does it all.
            Err(TrySendError::Disconnected(())) => self.log_frames.store(self.force_frames, Ordering::Relaxed),
        }
        if self.log_frames.load(Ordering::Relaxed) < self.force_frames {
            return;
        }
        match passive(conn) {
            // Copied to its end: the next group starts the log over.
            Ok(o) if o.busy == 0 && o.log == o.checkpointed => self.log_frames.store(0, Ordering::Relaxed),
            // Readers still need part of it: try again after the next group.
            Ok(o) => self.log_frames.store(i64::from(o.log), Ordering::Relaxed),
            Err(e) => log::warn!("a checkpoint on the write connection failed: {e}"),
        }
    }
}

fn checkpoint_loop(target: &DbTarget, nudged: &Receiver<()>, log_frames: &AtomicI64) {
    let mut conn: Option<DbConn> = None;
    while nudged.recv().is_ok() {
        if conn.is_none() {
            match open(target) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    log::warn!("the checkpoint thread cannot open the database: {e}");
                    std::thread::sleep(PAUSE * 20);
                    continue;
                }
            }
        }
        match passive(conn.as_mut().expect("opened above")) {
            Ok(o) => log_frames.store(i64::from(o.log), Ordering::Relaxed),
            Err(e) => {
                log::warn!("a checkpoint failed: {e}");
                conn = None;
            }
        }
        std::thread::sleep(PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    fn wal_pages(path: &str) -> u64 {
        std::fs::metadata(format!("{path}-wal"))
            .map(|m| m.len() / 4096)
            .unwrap_or(0)
    }

    /// Writes from one connection without automatic checkpoints, as the write thread does,
    /// while another thread copies the log back: the log starts over instead of growing.
    #[test]
    fn the_log_is_copied_back_and_starts_over_while_writes_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db").to_str().unwrap().to_owned();
        let target = DbTarget::Sqlite(path.clone());
        let mut conn = open(&target).unwrap();
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
             CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL);",
        )
        .unwrap();
        let force = 200;
        let checkpoints = Checkpoints::start(&target, force);
        let mut largest = 0;
        // 2,000 commits of about one page each, ten times the bound, in rounds with a pause.
        for i in 0..2_000 {
            diesel::sql_query("INSERT INTO t (k, v) VALUES (?, printf('%.3000c', 'x'))")
                .bind::<diesel::sql_types::Integer, _>(i)
                .execute(&mut conn)
                .unwrap();
            checkpoints.committed(&mut conn);
            largest = largest.max(wal_pages(&path));
            if i % 50 == 49 {
                std::thread::sleep(Duration::from_millis(40));
            }
        }
        // The log started over: without the checkpoints it would be 2,000 pages long at
        // least (a frame or more per commit). Its length is about the threshold and what a
        // checkpoint's pause lets pile up, less than 600 pages, or more where the test
        // threads are starved of the CPU on a loaded machine (1,000 was exceeded there).
        assert!(largest < 2_000, "the log grew to {largest} pages");
        // What was written is in the database file once the log is copied back.
        drop(checkpoints);
        // (The checkpoint thread may still be finishing one: the next waits for it.)
        let mut done = passive(&mut conn).unwrap();
        for _ in 0..200 {
            if done.busy == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            done = passive(&mut conn).unwrap();
        }
        assert_eq!((done.busy, done.log), (0, done.checkpointed), "{done:?}");
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(n.n, 2_000);
    }
}

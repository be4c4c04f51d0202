//! The outbox workers' queries: asking whether anything is due and claiming a batch read the
//! due rows of their channel in order from `outbox_due_idx`, however many mails wait. (With
//! an index on the time alone, SQLite claimed through `outbox_state_idx` and sorted every
//! pending row, on the one write thread, at every claim.)

use crate::common::TestDb;
use crate::plan_util::{plan, record, sql_of, stop_recording};
use telework_registry::db::outbox::{self, Mail};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};
use telework_registry::domain::codes::{MailKind, OutboxChannel};

#[test]
fn outbox_workers_read_the_due_rows_of_their_channel_in_order() {
    let tdb = TestDb::new();
    let target = DbTarget::parse(&tdb.url).unwrap();
    let options = PoolOptions {
        max_size: 1,
        timeout: std::time::Duration::from_secs(5),
        statement_timeout: None,
    };
    let pool = db::connect(&target, &options).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let conn: &mut DbConn = &mut conn;
    // A wave of decisions whose notices wait, as the workers find it (not analyzed: the
    // planner sees the outbox as a running server does).
    db::transaction_on(conn, |c| {
        for i in 0..3000 {
            let mail = Mail {
                kind: MailKind::ActivityApproved,
                recipient: format!("owner{i}@example.jp"),
                subject: "【承認】".into(),
                body: "本文".into(),
                secret: false,
                account_id: None,
            };
            outbox::insert(c, &mail, "example.jp")?;
        }
        Ok::<_, db::Error>(())
    })
    .unwrap();
    let at = db::now() + chrono::Duration::seconds(1);
    let log = record(conn);
    for channel in [OutboxChannel::Mail, OutboxChannel::Webhook] {
        outbox::any_due(conn, at, channel).unwrap();
        let claimed = db::transaction_on(conn, |c| {
            outbox::claim(c, "plans", at, at + chrono::Duration::minutes(2), 50, channel)
        })
        .unwrap();
        let expected = if channel == OutboxChannel::Mail { 50 } else { 0 };
        assert_eq!(claimed.len(), expected, "{channel:?} claimed");
    }
    stop_recording(conn);
    let queries: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|q| sql_of(q).contains("outbox") && !sql_of(q).starts_with("INSERT"))
        .cloned()
        .collect();
    assert_eq!(queries.len(), 4, "two asks and two claims: {queries:#?}");
    for recorded in queries {
        let text = plan(conn, &recorded).join("\n");
        let sql = sql_of(&recorded);
        assert!(text.contains("outbox_due_idx"), "not on the due index:\n{sql}\n{text}");
        for sorts in ["TEMP B-TREE", "Sort", "Seq Scan"] {
            assert!(!text.contains(sorts), "{sorts}:\n{sql}\n{text}");
        }
    }
}

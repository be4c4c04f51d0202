//! Writes that change what the public routes show start a new generation (which the caches
//! and ETags of every process follow), even where the public view could only change later.

use crate::common::world;
use crate::event_util::session;
use serde_json::json;
use telework_registry::db::generation;

fn generation_of(app: &crate::common::TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    generation::get(&mut conn).unwrap()
}

/// A session written while its activity is pending: an approval committing at the same
/// time on PostgreSQL would not see it, so the write starts a generation itself.
#[actix_web::test]
async fn a_session_write_starts_a_generation_whatever_the_status_it_read() {
    let w = world().await;
    let d = crate::claims::pending(&w.app, &w.org, &w.campaign, "審査中の説明会").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let before = generation_of(&w.app);
    session(&w.app, &w.org, &id, json!({})).await;
    assert!(
        generation_of(&w.app) > before,
        "the session write started no generation"
    );
}

/// A process starting its clock starts a generation first: an application window may have
/// passed while no process ran.
#[actix_web::test]
async fn the_event_clock_starts_with_a_generation() {
    let w = world().await;
    let before = generation_of(&w.app);
    let mailer = telework_registry::mail::Mailer::new(&w.app.config);
    telework_registry::service::event_clock::spawn(w.app.pool.clone(), mailer, std::time::Duration::from_secs(3600))
        .unwrap();
    assert_eq!(generation_of(&w.app), before + 1);
}

/// A database starts its generations from the clock, so one created again never repeats an
/// earlier one's generations and ETags (a client's old ETag would be answered 304).
#[actix_web::test]
async fn a_new_database_starts_its_generations_from_the_clock() {
    let app = crate::common::TestApp::new().await;
    let micros = chrono::Utc::now().timestamp_micros();
    let started = generation_of(&app);
    let hour = 3_600_000_000;
    assert!(
        (micros - hour..=micros + hour).contains(&started),
        "{started} against {micros}"
    );
}

//! The request id: in every log line written while serving a request, and in the RFC 9457
//! `instance` of a 5xx problem, so a report names the log lines that explain it.

use crate::common::TestDb;
use crate::proc_util::{agent, open, Server};
use diesel::connection::SimpleConnection;
use serde_json::Value;
use telework_registry::db::DbConn;

/// Drops a table the server needs, under the running server: its next use of it fails.
fn drop_campaigns(database_url: &str) {
    let (_pool, mut conn) = open(database_url);
    match &mut *conn {
        DbConn::Sqlite(c) => c.batch_execute("DROP TABLE campaigns"),
        DbConn::Pg(c) => c.batch_execute("DROP TABLE campaigns CASCADE"),
    }
    .expect("drop the campaigns table");
}

/// GET `path` with an optional `X-Request-Id`; returns status, the id answered, the body.
fn get(server: &Server, path: &str, id: Option<&str>) -> (u16, String, Value) {
    let mut req = agent().get(&server.url(path));
    if let Some(id) = id {
        req = req.set("X-Request-Id", id);
    }
    let res = match req.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = res.status();
    let answered = res.header("x-request-id").unwrap_or_default().to_owned();
    let body = serde_json::from_str(&res.into_string().unwrap()).unwrap_or(Value::Null);
    (status, answered, body)
}

#[test]
fn server_errors_name_their_request_in_the_body_and_the_log() {
    let db = TestDb::new();
    let mut server = Server::start(&db.url, &[("RUST_LOG", "info")]);
    assert_eq!(get(&server, "/api/v1/campaigns", None).0, 200);
    drop_campaigns(&db.url);

    let too_long = "a".repeat(129);
    let sent = [
        None,
        Some("report-42.a_b~C"),
        Some("x\"><y"),
        Some("urn:x"),
        Some(too_long.as_str()),
    ];
    let mut ids = Vec::new();
    for client_id in sent {
        let (status, id, body) = get(&server, "/api/v1/campaigns", client_id);
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["code"], "internal_error", "{body}");
        assert!(!id.is_empty(), "no X-Request-Id on the 500");
        match client_id {
            Some(safe @ "report-42.a_b~C") => assert_eq!(id, safe, "a safe client id is kept"),
            Some(unsafe_id) => assert_ne!(id, unsafe_id, "an unsafe client id was echoed"),
            None => {}
        }
        assert!(
            id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
            "{id}"
        );
        assert_eq!(body["instance"], format!("urn:request:{id}"), "{body}");
        ids.push(id);
    }
    server.kill();

    let log = std::fs::read_to_string(&server.log).unwrap();
    for id in &ids {
        let tag = format!(" request_id={id}");
        let lines: Vec<&str> = log.lines().filter(|l| l.ends_with(&tag)).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("ERROR") && (l.contains("no such table") || l.contains("does not exist"))),
            "no error line with{tag}:\n{log}"
        );
        assert!(
            lines.iter().any(|l| l.contains("\"GET /api/v1/campaigns\" 500")),
            "no access log line with{tag}:\n{log}"
        );
    }
}

/// The blocking thread that runs a request's queries logs with the request's id.
#[actix_web::test]
async fn database_work_runs_with_the_request_id() {
    use telework_registry::{db, request_id};
    let app = crate::common::TestApp::new().await;
    let work = db::run(&app.pool, |_| {
        Ok::<_, db::Error>((request_id::current(), std::thread::current().id()))
    });
    let (seen, thread) = request_id::in_scope("req-db-1".into(), work).await.unwrap();
    assert_ne!(thread, std::thread::current().id(), "the work ran on this thread");
    assert_eq!(seen.as_deref(), Some("req-db-1"));
    let (seen, _) = db::run(&app.pool, |_| Ok::<_, db::Error>((request_id::current(), ())))
        .await
        .unwrap();
    assert_eq!(seen, None, "an id outlived its request");
}

//! Running the real binary from tests: server processes on free loopback ports, a small
//! HTTP client, and direct checks of the store.

use crate::common::{TestDb, PASSWORD};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_telework-registry");
pub(crate) const SECRET: &str = "process-level-test-secret-that-is-long-enough";
pub(crate) const ADMIN_EMAIL: &str = "admin@example.jp";

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/// The environment every child gets: nothing from the test's own environment but what a
/// process needs to run and to reach PostgreSQL.
pub(crate) fn base_command(database_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().current_dir(dir);
    for (k, v) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name == "PATH" || name == "HOME" || name.starts_with("PG") {
            cmd.env(&k, &v);
        }
    }
    cmd.env("APP_ENV", "test")
        .env("JWT_SECRET", SECRET)
        .env("AUTH_RATE_LIMIT_PER_MINUTE", "100000")
        .env("DATABASE_URL", database_url)
        .env("REQUIRE_EMAIL_VERIFICATION", "false")
        .env("RUST_LOG", "warn");
    cmd
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

pub(crate) fn tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    text[start..].to_owned()
}

/// A running server process; killed (SIGKILL) and reaped when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) log: PathBuf,
    pub(crate) _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `serve` on a free loopback port and waits until `/readyz` answers 200.
    pub(crate) fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let mut failures = String::new();
        for _attempt in 0..3 {
            let mut server = Server::spawn(database_url, free_port(), extra_env);
            match server.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return server,
                Err(e) => {
                    let log = tail(&server.log);
                    failures.push_str(&format!("{e}\n{log}\n"));
                    // Another process took the port between the probe and the bind: try again.
                    if !log.contains("cannot listen") {
                        break;
                    }
                }
            }
        }
        panic!("the server did not become ready:\n{failures}");
    }

    /// Starts `serve` on `port` without waiting; its stdout and stderr go to its log.
    pub(crate) fn spawn(database_url: &str, port: u16, extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("server dir");
        let log = dir.path().join("server.log");
        let mut cmd = base_command(database_url, dir.path());
        cmd.arg("serve").env("BIND_ADDR", format!("127.0.0.1:{port}"));
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("start the server binary");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    pub(crate) fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let agent = agent();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited with {status}"));
            }
            if let Ok(r) = send(&agent, "GET", &self.url("/readyz"), None, None) {
                if r.status == 200 {
                    return Ok(());
                }
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err(format!("/readyz was not 200 within {limit:?}"))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn api(&self) -> Api {
        Api {
            agent: agent(),
            base: self.base.clone(),
        }
    }

    /// SIGKILL, then reap.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            eprintln!("--- log of the server at {} ---\n{}", self.base, tail(&self.log));
        }
    }
}

/// Runs `create-admin --email E` with the password on standard input.
pub(crate) fn create_admin(database_url: &str, email: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("create-admin.log");
    let mut child = base_command(database_url, dir.path())
        .args(["create-admin", "--email", email])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("run create-admin");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("write the password");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for create-admin") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("create-admin did not finish within 60 s:\n{}", tail(&log));
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "create-admin failed ({status}):\n{}", tail(&log));
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

pub(crate) fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(2))
        .timeout(Duration::from_secs(15))
        .build()
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: Value,
}

impl Reply {
    /// Asserts the reply is a problem+json with `status`.
    pub(crate) fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert!(self.body["code"].is_string(), "{}", self.body);
    }
}

/// One request; `Err` only when no HTTP answer came (refused, reset, timed out).
pub(crate) fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Reply, String> {
    let mut req = agent.request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let res = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let res = match res {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = res.status();
    let content_type = res.header("content-type").unwrap_or("").to_owned();
    let text = res.into_string().map_err(|e| e.to_string())?;
    Ok(Reply {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    })
}

/// A client of one server; its methods panic when no HTTP answer comes.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) agent: ureq::Agent,
    pub(crate) base: String,
}

impl Api {
    pub(crate) fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let url = format!("{}{path}", self.base);
        send(&self.agent, method, &url, token, body.as_ref()).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None)
    }

    pub(crate) fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call("POST", path, token, Some(body))
    }

    /// Posts and asserts `status`; returns the body.
    pub(crate) fn expect(&self, status: u16, path: &str, token: Option<&str>, body: Value) -> Value {
        let r = self.post(path, token, body);
        assert_eq!(r.status, status, "POST {path}: {}", r.body);
        r.body
    }

    pub(crate) fn login(&self, email: &str) -> String {
        let body = self.expect(
            200,
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        );
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    pub(crate) fn register(&self, email: &str) -> String {
        let body = self.expect(
            201,
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "kind": "individual",
                   "display_name": "テレワーク 花子", "phone": "090-1111-2222"}),
        );
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    pub(crate) fn open_campaign(&self, admin: &str, slug: &str) {
        let now = chrono::Utc::now();
        self.expect(
            201,
            "/api/v1/admin/campaigns",
            Some(admin),
            json!({
                "slug": slug, "title": "テレワーク月間 2026",
                "starts_on": "2026-11-01", "ends_on": "2026-11-30",
                "registration_opens_at": (now - chrono::Duration::days(1)).to_rfc3339(),
                "registration_closes_at": (now + chrono::Duration::days(30)).to_rfc3339(),
            }),
        );
    }

    pub(crate) fn moderator(&self, admin: &str, email: &str) -> String {
        self.expect(
            201,
            "/api/v1/admin/accounts",
            Some(admin),
            json!({"email": email, "password": PASSWORD, "role": "moderator", "display_name": email}),
        );
        self.login(email)
    }
}

pub(crate) fn draft_body(campaign: &str, title: &str) -> Value {
    json!({
        "campaign": campaign,
        "categories": ["try_practice"],
        "title": title,
        "description": "全社員が週2日テレワークを実践します。",
        "prefecture": "13",
        "format": "online",
    })
}

// ---------------------------------------------------------------------------------------
// The database, read directly
// ---------------------------------------------------------------------------------------

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

#[derive(QueryableByName)]
pub(crate) struct IntegrityRow {
    #[diesel(sql_type = Text)]
    pub(crate) integrity_check: String,
}

pub(crate) fn open(database_url: &str) -> (db::Pool, db::Conn) {
    let target = DbTarget::parse(database_url).expect("database url");
    let pool = db::connect(
        &target,
        &PoolOptions {
            max_size: 1,
            timeout: Duration::from_secs(10),
            statement_timeout: None,
        },
    )
    .expect("pool");
    let conn = pool.get().expect("connection");
    (pool, conn)
}

pub(crate) fn count(conn: &mut DbConn, sql: &str) -> i64 {
    let rows: Vec<Count> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Pg(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows[0].n
}

/// The store as a crash left it: SQLite's own check passes, and no activity lacks the audit
/// event written in its transaction. Returns how many activities exist.
pub(crate) fn check_store(database_url: &str) -> i64 {
    let (_pool, mut conn) = open(database_url);
    if let DbConn::Sqlite(c) = &mut *conn {
        let rows: Vec<IntegrityRow> = diesel::sql_query("PRAGMA integrity_check")
            .load(c)
            .expect("integrity_check");
        let result: Vec<&str> = rows.iter().map(|r| r.integrity_check.as_str()).collect();
        assert_eq!(result, vec!["ok"], "PRAGMA integrity_check");
    }
    let orphans = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM activities a WHERE NOT EXISTS \
         (SELECT 1 FROM audit_events e WHERE e.activity_id = a.id AND e.action = 'create')",
    );
    assert_eq!(orphans, 0, "activities without their `create` audit event");
    count(&mut conn, "SELECT COUNT(*) AS n FROM activities")
}

/// A fresh PostgreSQL database, or `None` (with a note) when `TEST_DATABASE_URL` is unset.
pub(crate) fn pg_db(test: &str) -> Option<TestDb> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(TestDb::new()),
        _ => {
            eprintln!("{test}: skipped (set TEST_DATABASE_URL to a PostgreSQL server to run it)");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1, 2: SIGKILL while writing loses no acknowledged write
// ---------------------------------------------------------------------------------------

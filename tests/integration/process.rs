//! Process-level tests of the real binary: killed while writing, two processes sharing one
//! PostgreSQL database, and a database that goes away and comes back. The PostgreSQL tests
//! run when `TEST_DATABASE_URL` is set and are skipped otherwise.

use crate::common::{TestDb, PASSWORD};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};

const BIN: &str = env!("CARGO_BIN_EXE_telework-registry");
const SECRET: &str = "process-level-test-secret-that-is-long-enough";
const ADMIN_EMAIL: &str = "admin@example.jp";

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/// The environment every child gets: nothing from the test's own environment but what a
/// process needs to run and to reach PostgreSQL.
fn base_command(database_url: &str, dir: &std::path::Path) -> Command {
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
        .env("RUST_LOG", "warn");
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    text[start..].to_owned()
}

/// A running server process; killed (SIGKILL) and reaped when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `serve` on a free loopback port and waits until `/readyz` answers 200.
    fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let mut failures = String::new();
        for _attempt in 0..3 {
            let dir = tempfile::tempdir().expect("server dir");
            let log = dir.path().join("server.log");
            let port = free_port();
            let mut cmd = base_command(database_url, dir.path());
            cmd.arg("serve").env("BIND_ADDR", format!("127.0.0.1:{port}"));
            for (k, v) in extra_env {
                cmd.env(k, v);
            }
            let stderr = std::fs::File::create(&log).expect("log file");
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("start the server binary");
            let mut server = Server {
                child,
                base: format!("http://127.0.0.1:{port}"),
                log,
                _dir: dir,
            };
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

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
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

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn api(&self) -> Api {
        Api {
            agent: agent(),
            base: self.base.clone(),
        }
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
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
fn create_admin(database_url: &str, email: &str) {
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

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(2))
        .timeout(Duration::from_secs(15))
        .build()
}

#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

impl Reply {
    /// Asserts the reply is a problem+json with `status`.
    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert!(self.body["code"].is_string(), "{}", self.body);
    }
}

/// One request; `Err` only when no HTTP answer came (refused, reset, timed out).
fn send(
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
struct Api {
    agent: ureq::Agent,
    base: String,
}

impl Api {
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let url = format!("{}{path}", self.base);
        send(&self.agent, method, &url, token, body.as_ref()).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None)
    }

    fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call("POST", path, token, Some(body))
    }

    /// Posts and asserts `status`; returns the body.
    fn expect(&self, status: u16, path: &str, token: Option<&str>, body: Value) -> Value {
        let r = self.post(path, token, body);
        assert_eq!(r.status, status, "POST {path}: {}", r.body);
        r.body
    }

    fn login(&self, email: &str) -> String {
        let body = self.expect(
            200,
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        );
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    fn register(&self, email: &str) -> String {
        let body = self.expect(
            201,
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "kind": "individual",
                   "display_name": "テレワーク 花子", "phone": "090-1111-2222"}),
        );
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    fn open_campaign(&self, admin: &str, slug: &str) {
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

    fn moderator(&self, admin: &str, email: &str) -> String {
        self.expect(
            201,
            "/api/v1/admin/accounts",
            Some(admin),
            json!({"email": email, "password": PASSWORD, "role": "moderator", "display_name": email}),
        );
        self.login(email)
    }
}

fn draft_body(campaign: &str, title: &str) -> Value {
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
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn open(database_url: &str) -> (db::Pool, db::PooledConn) {
    let target = DbTarget::parse(database_url).expect("database url");
    let pool = db::connect(
        &target,
        &PoolOptions {
            max_size: 1,
            timeout: Duration::from_secs(10),
        },
    )
    .expect("pool");
    let conn = pool.get().expect("connection");
    (pool, conn)
}

fn count(conn: &mut DbConn, sql: &str) -> i64 {
    let rows: Vec<Count> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConn::Pg(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows[0].n
}

/// The store as a crash left it: SQLite's own check passes, and no activity lacks the audit
/// event written in its transaction. Returns how many activities exist.
fn check_store(database_url: &str) -> i64 {
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
fn pg_db(test: &str) -> Option<TestDb> {
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

fn crash_keeps_every_acknowledged_write(database_url: &str) {
    let started = Instant::now();
    let mut server = Server::start(database_url, &[]);
    create_admin(database_url, ADMIN_EMAIL);
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL);
    api.open_campaign(&admin, "crash");
    let owner_email = "owner@example.jp";
    let owner = api.register(owner_email);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let killing = Arc::new(AtomicBool::new(false));
    let writers: Vec<JoinHandle<Result<usize, String>>> = (0..4)
        .map(|w| {
            let (acknowledged, killing, owner, url) = (
                acknowledged.clone(),
                killing.clone(),
                owner.clone(),
                server.url("/api/v1/activities"),
            );
            thread::spawn(move || {
                let agent = agent();
                let deadline = Instant::now() + Duration::from_secs(10);
                let mut refused = 0;
                for i in 0..100_000 {
                    if Instant::now() > deadline {
                        return Err("the server was not killed within 10 s".into());
                    }
                    let body = draft_body("crash", &format!("書き込み {w}-{i}"));
                    match send(&agent, "POST", &url, Some(&owner), Some(&body)) {
                        Ok(r) if r.status == 201 => {
                            let id = r.body["id"].as_str().ok_or("201 without an id")?.to_owned();
                            acknowledged.lock().unwrap().push(id);
                        }
                        Ok(r) => return Err(format!("create answered {}: {}", r.status, r.body)),
                        Err(e) if !killing.load(Ordering::SeqCst) => {
                            return Err(format!("request failed before the kill: {e}"))
                        }
                        // The server is gone; a few more tries show it stays gone.
                        Err(_) => {
                            refused += 1;
                            if refused >= 3 {
                                return Ok(i + 1);
                            }
                        }
                    }
                }
                Err("the request budget ran out before the kill".into())
            })
        })
        .collect();

    thread::sleep(Duration::from_millis(1500));
    let before_kill = acknowledged.lock().unwrap().len();
    killing.store(true, Ordering::SeqCst);
    server.kill();
    let mut requests = 0;
    for w in writers {
        requests += w.join().expect("writer thread").unwrap_or_else(|e| panic!("{e}"));
    }
    let ids = acknowledged.lock().unwrap().clone();
    assert!(
        before_kill >= 20,
        "too few writes before the kill ({before_kill}) to test anything"
    );
    eprintln!(
        "{} creates acknowledged of {requests} requests; the server was killed while writing",
        ids.len()
    );

    let stored = check_store(database_url);
    assert!(stored >= ids.len() as i64, "{stored} rows < {} acknowledged", ids.len());

    let server = Server::start(database_url, &[]);
    let api = server.api();
    let owner = api.login(owner_email);
    for id in &ids {
        let r = api.get(&format!("/api/v1/activities/{id}"), Some(&owner));
        assert_eq!(r.status, 200, "acknowledged activity {id} is gone: {}", r.body);
        assert_eq!(r.body["id"], id.as_str());
        assert_eq!(r.body["status"], "draft");
    }
    drop(server);
    check_store(database_url);
    eprintln!("crash test took {:?}", started.elapsed());
}

#[test]
fn crash_keeps_every_acknowledged_write_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    crash_keeps_every_acknowledged_write(&url);
}

#[test]
fn crash_keeps_every_acknowledged_write_postgres() {
    let Some(db) = pg_db("crash_keeps_every_acknowledged_write_postgres") else {
        return;
    };
    crash_keeps_every_acknowledged_write(&db.url);
}

// ---------------------------------------------------------------------------------------
// 3: two processes on one PostgreSQL database
// ---------------------------------------------------------------------------------------

#[test]
fn two_processes_share_postgres() {
    let Some(db) = pg_db("two_processes_share_postgres") else {
        return;
    };
    let started = Instant::now();
    let a = Server::start(&db.url, &[]);
    let b = Server::start(&db.url, &[]);
    let (api_a, api_b) = (a.api(), b.api());
    create_admin(&db.url, ADMIN_EMAIL);
    let admin = api_a.login(ADMIN_EMAIL);
    api_a.open_campaign(&admin, "shared");
    let moderators = [
        api_a.moderator(&admin, "mod-a@example.jp"),
        api_b.moderator(&admin, "mod-b@example.jp"),
    ];
    let owner = api_b.register("owner@example.jp");
    let draft = api_b.expect(
        201,
        "/api/v1/activities",
        Some(&owner),
        draft_body("shared", "二つのプロセスで承認"),
    );
    let id = draft["id"].as_str().unwrap().to_owned();
    let pending = api_a.expect(
        200,
        &format!("/api/v1/activities/{id}/submit"),
        Some(&owner),
        json!({"version": draft["version"]}),
    );

    // Ten approvals of the same version at once, half on each process.
    let n = 10;
    let barrier = Arc::new(Barrier::new(n));
    let path = format!("/api/v1/moderation/activities/{id}/approve");
    let deciders: Vec<JoinHandle<Reply>> = (0..n)
        .map(|i| {
            let api = if i % 2 == 0 { a.api() } else { b.api() };
            let (token, barrier, path) = (moderators[i % 2].clone(), barrier.clone(), path.clone());
            let body = json!({"version": pending["version"]});
            thread::spawn(move || {
                barrier.wait();
                api.post(&path, Some(&token), body)
            })
        })
        .collect();
    let replies: Vec<Reply> = deciders.into_iter().map(|t| t.join().expect("approver")).collect();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "exactly one approval wins: {statuses:?}"
    );
    for r in replies.iter().filter(|r| r.status != 200) {
        r.assert_problem(409);
    }
    let approved = replies.iter().find(|r| r.status == 200).unwrap().body.clone();
    assert_eq!(approved["status"], "approved");

    let history = api_b.get(&format!("/api/v1/activities/{id}/history"), Some(&moderators[1]));
    assert_eq!(history.status, 200, "{}", history.body);
    let approvals = history.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "approve")
        .count();
    assert_eq!(approvals, 1, "{}", history.body);

    // B shows the approval (and caches it), then A's withdrawal reaches B within a second,
    // on the activity itself and on the listing.
    let one = format!("/api/v1/public/activities/{id}");
    let listing = "/api/v1/public/activities?campaign=shared";
    let public_on_b = || -> (bool, bool) {
        let r = api_b.get(&one, None);
        let l = api_b.get(listing, None);
        assert_eq!(l.status, 200, "{}", l.body);
        let listed = l.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|a| a["id"] == id.as_str());
        (r.status == 200, listed)
    };
    let on_b_within = |want: (bool, bool)| -> Option<Duration> {
        let t = Instant::now();
        for _ in 0..100 {
            if public_on_b() == want {
                return Some(t.elapsed());
            }
            if t.elapsed() >= Duration::from_secs(1) {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
        None
    };
    assert!(
        on_b_within((true, true)).is_some(),
        "the approval did not reach B's public endpoints within 1 s"
    );
    for _ in 0..3 {
        assert_eq!(public_on_b(), (true, true));
    }
    api_a.expect(
        200,
        &format!("/api/v1/activities/{id}/withdraw"),
        Some(&owner),
        json!({"version": approved["version"]}),
    );
    let seen = on_b_within((false, false));
    assert!(
        seen.is_some(),
        "B still serves the withdrawn activity 1 s later: (one, listed) = {:?}",
        public_on_b()
    );
    eprintln!(
        "withdrawal visible on B after {:?}; test took {:?}",
        seen.unwrap(),
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// 4: the database goes away and comes back
// ---------------------------------------------------------------------------------------

/// A loopback TCP proxy that can be cut: while cut it closes new connections at once, and
/// cutting closes every open one.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Self {
        assert!(upstream.ip().is_loopback(), "the proxy only forwards to loopback");
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (cut, stop, open) = (cut.clone(), stop.clone(), open.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let client = match listener.accept() {
                        Ok((client, _)) => client,
                        Err(_) => {
                            thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                    };
                    let mut guard = open.lock().unwrap();
                    if cut.load(Ordering::SeqCst) {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    }
                    let _ = client.set_nonblocking(false);
                    let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
                        continue;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    for (from, to) in [(&client, &server), (&server, &client)] {
                        if let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) {
                            thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = from.shutdown(Shutdown::Both);
                                let _ = to.shutdown(Shutdown::Both);
                            });
                        }
                    }
                    guard.push(client);
                    guard.push(server);
                }
            })
        };
        Self {
            addr,
            cut,
            stop,
            open,
            acceptor: Some(acceptor),
        }
    }

    fn cut(&self) {
        let mut open = self.open.lock().unwrap();
        self.cut.store(true, Ordering::SeqCst);
        for s in open.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// The host and port of a `postgres://[user[:pw]@]host[:port]/db` URL (5432 when absent).
fn pg_host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 5432,
    };
    Some((host.to_owned(), port))
}

/// The URL with its host and port replaced by `hostport`, user and password kept.
fn with_host_port(url: &str, hostport: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}{hostport}{tail}")
}

#[test]
fn database_outage_gives_503_and_recovers() {
    let Some(db) = pg_db("database_outage_gives_503_and_recovers") else {
        return;
    };
    let upstream = pg_host_port(&db.url).and_then(|(h, p)| (h.as_str(), p).to_socket_addrs().ok()?.next());
    let Some(upstream) = upstream.filter(|a| a.ip().is_loopback()) else {
        eprintln!("database_outage_gives_503_and_recovers: skipped (PostgreSQL is not on a loopback TCP address)");
        return;
    };
    let started = Instant::now();
    let proxy = Proxy::start(upstream);
    let proxied = with_host_port(&db.url, &proxy.addr.to_string());
    let server = Server::start(&proxied, &[("DATABASE_POOL_TIMEOUT_MS", "1000")]);
    // A hung request fails the test after 5 s instead of the default 15 s.
    let api = Api {
        agent: ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build(),
        base: server.base.clone(),
    };
    let token = api.register("outage@example.jp");
    assert_eq!(api.get("/api/v1/me", Some(&token)).status, 200);
    assert_eq!(api.get("/readyz", None).status, 200);

    proxy.cut();
    // Several times, so both pooled connections that broke and fresh connects are tried.
    let mut slowest = Duration::ZERO;
    for round in 0..3 {
        for (path, auth) in [("/readyz", None), ("/api/v1/me", Some(token.as_str()))] {
            let t = Instant::now();
            let r = send(&api.agent, "GET", &server.url(path), auth, None);
            let took = t.elapsed();
            let r = r.unwrap_or_else(|e| panic!("{path} gave no answer during the outage after {took:?}: {e}"));
            assert!(took < Duration::from_secs(3), "{path} took {took:?} during the outage");
            r.assert_problem(503);
            assert_eq!(
                r.body["code"], "service_unavailable",
                "round {round} {path}: {}",
                r.body
            );
            slowest = slowest.max(took);
        }
    }
    eprintln!("slowest 503 during the outage: {slowest:?}");

    proxy.restore();
    let t = Instant::now();
    let mut ready = false;
    while t.elapsed() < Duration::from_secs(10) {
        if api.get("/readyz", None).status == 200 {
            ready = true;
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert!(
        ready,
        "/readyz did not return to 200 within 10 s of the database coming back"
    );
    eprintln!("ready again {:?} after the database came back", t.elapsed());
    assert_eq!(api.get("/api/v1/me", Some(&token)).status, 200);
    drop(server);
    drop(proxy);
    eprintln!("outage test took {:?}", started.elapsed());
}

#[test]
fn pg_urls_are_split_and_rebuilt() {
    assert_eq!(
        pg_host_port("postgres://u:p@127.0.0.1:5433/db?sslmode=disable"),
        Some(("127.0.0.1".into(), 5433))
    );
    assert_eq!(
        pg_host_port("postgres://localhost/db"),
        Some(("localhost".into(), 5432))
    );
    assert_eq!(pg_host_port("postgres://[::1]:6000/db"), Some(("::1".into(), 6000)));
    assert_eq!(pg_host_port("postgres://[::1]/db"), Some(("::1".into(), 5432)));
    assert_eq!(pg_host_port("postgres:///db?host=/run/postgresql"), None);
    assert_eq!(
        with_host_port("postgres://u:p@127.0.0.1:5432/db?x=1", "127.0.0.1:9"),
        "postgres://u:p@127.0.0.1:9/db?x=1"
    );
    assert_eq!(
        with_host_port("postgres://h/db", "127.0.0.1:9"),
        "postgres://127.0.0.1:9/db"
    );
}

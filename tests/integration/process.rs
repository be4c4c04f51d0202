//! Process-level tests of the real binary: killed while writing, two processes sharing one
//! PostgreSQL database, and a database that goes away and comes back. The PostgreSQL tests
//! run when `TEST_DATABASE_URL` is set and are skipped otherwise.

use crate::proc_util::*;
use crate::proxy::Proxy;
use serde_json::json;
use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
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

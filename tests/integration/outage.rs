//! A database outage under a live server: 503s while it lasts, recovery after.

use crate::proc_util::*;
use crate::proxy::Proxy;
use std::net::ToSocketAddrs;
use std::thread::{self};
use std::time::{Duration, Instant};

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

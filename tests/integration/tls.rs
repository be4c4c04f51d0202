//! The libpq built from source (pq-sys's `bundled` feature) must speak TLS: without OpenSSL
//! it refuses every `sslmode` that asks for encryption before it even connects.

use diesel::{Connection, PgConnection};
use std::net::TcpListener;

/// What libpq says when it was built without TLS (`fe-connect.c`).
const NO_TLS_BUILD: &str = "invalid when SSL support is not compiled in";

#[test]
fn libpq_accepts_sslmode_require() {
    // A loopback port nothing listens on: past the check of its options, libpq fails to
    // connect.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/test?sslmode=require&connect_timeout=2");
    let err = PgConnection::establish(&url)
        .err()
        .expect("nothing listens there")
        .to_string();
    assert!(!err.contains(NO_TLS_BUILD), "libpq was built without TLS: {err}");
    assert!(err.contains("Connection refused"), "{err}");
}

/// Against `TEST_DATABASE_URL`: a server with TLS gives an encrypted session; one without
/// gives libpq's answer to that, never the answer of a build without TLS.
#[test]
fn libpq_negotiates_tls_with_the_server() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL").map(|u| u.trim().to_owned()) else {
        eprintln!("libpq_negotiates_tls_with_the_server: skipped (set TEST_DATABASE_URL to a PostgreSQL server)");
        return;
    };
    if !base.starts_with("postgres") {
        return;
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    match PgConnection::establish(&format!("{base}{sep}sslmode=require")) {
        Ok(mut conn) => {
            #[derive(diesel::QueryableByName)]
            struct Ssl {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                ssl: bool,
            }
            let row: Ssl = diesel::RunQueryDsl::get_result(
                diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
                &mut conn,
            )
            .expect("pg_stat_ssl");
            assert!(row.ssl, "sslmode=require connected without TLS");
        }
        Err(e) => {
            let err = e.to_string();
            assert!(!err.contains(NO_TLS_BUILD), "libpq was built without TLS: {err}");
            assert!(
                err.contains("server does not support SSL, but SSL was required"),
                "{err}"
            );
        }
    }
}

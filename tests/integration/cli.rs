//! The binary's command line: refusals at start-up name what to fix, `openapi` prints the
//! committed spec, `create-admin` reads the password from standard input only.

use crate::common::TestDb;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_telework-registry"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_database_scheme_is_refused_with_a_clear_message() {
    let out = run(&["serve"], &[("DATABASE_URL", "mysql://root@localhost/x")], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("DATABASE_URL") && err.contains("mysql://"), "{err}");
}

#[test]
fn production_without_a_long_secret_is_refused() {
    let out = run(&["serve"], &[("APP_ENV", "production")], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("JWT_SECRET"), "{}", stderr(&out));
    let out = run(
        &["serve"],
        &[("APP_ENV", "production"), ("JWT_SECRET", "too-short")],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("at least 32 bytes") || stderr(&out).contains("shorter than 32"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn openapi_prints_the_committed_spec() {
    let out = run(&["openapi"], &[], None);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let db = TestDb::new();
    let env = [("DATABASE_URL", db.url.as_str())];
    let out = run(&["create-admin", "--email", "root@example.jp"], &env, Some(""));
    assert!(!out.status.success(), "an empty password must be refused");
    assert!(stderr(&out).contains("standard input"), "{}", stderr(&out));
    let out = run(&["create-admin", "--email", "root@example.jp"], &env, Some("short\n"));
    assert!(!out.status.success());
    let out = run(
        &["create-admin", "--email", "Root@Example.jp"],
        &env,
        Some("a good long password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("root@example.jp"));
    let again = run(
        &["create-admin", "--email", "root@example.jp"],
        &env,
        Some("a good long password\n"),
    );
    assert!(
        !again.status.success(),
        "a second admin with the same email must be refused"
    );
    // There is no way to pass the password as an argument.
    let arg = run(
        &[
            "create-admin",
            "--email",
            "x@example.jp",
            "--password",
            "a good long password",
        ],
        &env,
        None,
    );
    assert!(!arg.status.success());
}

#[test]
fn migrate_is_idempotent() {
    let db = TestDb::new();
    let env = [("DATABASE_URL", db.url.as_str())];
    assert!(run(&["migrate"], &env, None).status.success());
    let out = run(&["migrate"], &env, None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}

/// An in-memory SQLite database would be a different, empty database on every pooled
/// connection (and the write thread's), so start-up refuses it and says what to use instead.
#[test]
fn in_memory_sqlite_is_refused_at_start_up() {
    let port = crate::proc_util::free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    for url in [
        "sqlite://:memory:",
        ":memory:",
        "sqlite:file::memory:?cache=shared",
        "sqlite://file:x?mode=memory",
    ] {
        let out = run(&["migrate"], &[("DATABASE_URL", url)], None);
        assert!(!out.status.success(), "migrate accepted {url}");
        let err = stderr(&out);
        assert!(err.contains("DATABASE_URL") && err.contains("file"), "{url}: {err}");

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_telework-registry"));
        let mut child = cmd
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", url)
            .env("BIND_ADDR", &addr)
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_TARGET_TMPDIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve started on {url} instead of refusing it");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(!status.success(), "serve accepted {url}");
    }
}

/// Production does not write mail to files unless told so; SMTP needs a sender. The
/// messages name the variable to set.
#[test]
fn production_mail_needs_smtp_or_an_explicit_choice_of_files() {
    let secret = ("JWT_SECRET", "a-production-secret-that-is-long-enough-42");
    let out = run(&["migrate"], &[("APP_ENV", "production"), secret], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("SMTP_URL") && err.contains("MAIL_TRANSPORT=files"),
        "{err}"
    );
    let out = run(&["migrate"], &[("SMTP_URL", "smtp://127.0.0.1:2525")], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("MAIL_FROM"), "{}", stderr(&out));
    let out = run(&["migrate"], &[("SMTP_URL", "http://mail.example.jp")], None);
    assert!(stderr(&out).contains("SMTP_URL"), "{}", stderr(&out));
}

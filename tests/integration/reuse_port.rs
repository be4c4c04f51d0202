//! BIND_REUSE_PORT: several `serve` processes listen on one port, and the port keeps
//! answering while one of them is gone; without it a second process cannot listen there.

use crate::proc_util::*;
use std::process::Stdio;
use std::time::Duration;

/// Starts `serve` on `port` with `extra_env`, its stdout and stderr in its log.
fn spawn(database_url: &str, port: u16, extra_env: &[(&str, &str)]) -> Server {
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

/// Waits until the process has said it listens (or has exited), up to 30 s.
fn listening(server: &mut Server) -> bool {
    for _ in 0..600 {
        if tail(&server.log).contains("listening on") {
            return true;
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn processes_share_a_port_with_bind_reuse_port() {
    let db = crate::common::TestDb::new();
    let port = free_port();
    let shared = [("BIND_REUSE_PORT", "true")];
    let mut a = spawn(&db.url, port, &shared);
    a.wait_ready(Duration::from_secs(30)).expect("first process ready");
    let mut b = spawn(&db.url, port, &shared);
    assert!(listening(&mut b), "second process:\n{}", tail(&b.log));

    // Without the option the port is taken.
    let mut c = spawn(&db.url, port, &[("BIND_REUSE_PORT", "false")]);
    let status = c.child.wait().expect("third process exits");
    assert!(!status.success());
    assert!(tail(&c.log).contains("cannot listen"), "{}", tail(&c.log));

    // The port answers with the first process gone: the second serves it alone.
    a.kill();
    b.wait_ready(Duration::from_secs(10)).expect("the port still answers");
    let r = b.api().get("/healthz", None);
    assert_eq!(r.status, 200);
}

//! BIND_REUSE_PORT: several `serve` processes listen on one port, and the port keeps
//! answering while one of them is gone; without it a second process cannot listen there.

use crate::proc_util::*;
use std::time::Duration;

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
    let mut a = Server::spawn(&db.url, port, &shared);
    a.wait_ready(Duration::from_secs(30)).expect("first process ready");
    let mut b = Server::spawn(&db.url, port, &shared);
    assert!(listening(&mut b), "second process:\n{}", tail(&b.log));

    // Without the option the port is taken.
    let mut c = Server::spawn(&db.url, port, &[("BIND_REUSE_PORT", "false")]);
    let status = c.child.wait().expect("third process exits");
    assert!(!status.success());
    assert!(tail(&c.log).contains("cannot listen"), "{}", tail(&c.log));

    // The port answers with the first process gone: the second serves it alone.
    a.kill();
    b.wait_ready(Duration::from_secs(10)).expect("the port still answers");
    let r = b.api().get("/healthz", None);
    assert_eq!(r.status, 200);
}

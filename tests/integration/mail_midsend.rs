//! A kill in the middle of a send: the SMTP server has stored the notice but its `250` has
//! not reached the registry when the process dies. After a restart the notice goes out again
//! under the same Message-ID, so a receiver can tell the copy for what it is.

use crate::proc_util::*;
use crate::smtp::{received, smtp, unique_address, wait_for, Smtp};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A loopback SMTP proxy that, once armed, swallows the server's answer to the end of a
/// message sent to `hold_for`: the server has the message, the client never hears so.
struct HoldingProxy {
    addr: SocketAddr,
    hold_for: Arc<Mutex<Option<String>>>,
    held: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl HoldingProxy {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().unwrap();
        let hold_for: Arc<Mutex<Option<String>>> = Arc::default();
        let held = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, n, s) = (hold_for.clone(), held.clone(), stop.clone());
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        if let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) {
                            relay(client, server, h.clone(), n.clone());
                        }
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            addr,
            hold_for,
            held,
            stop,
        }
    }

    fn arm(&self, recipient: &str) {
        *self.hold_for.lock().unwrap() = Some(recipient.to_owned());
    }
}

impl Drop for HoldingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies both ways. The client's side is watched for the end of a message (`CRLF.CRLF`);
/// when the message since the last `MAIL FROM` names the armed recipient, everything the
/// server says afterwards on this connection is dropped.
fn relay(client: TcpStream, server: TcpStream, hold_for: Arc<Mutex<Option<String>>>, held: Arc<AtomicUsize>) {
    let holding = Arc::new(AtomicBool::new(false));
    let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let hold = holding.clone();
    thread::spawn(move || {
        let mut txn: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = from_client.read(&mut buf) {
            if n == 0 {
                break;
            }
            txn.extend_from_slice(&buf[..n]);
            if let Some(end) = txn.windows(5).position(|w| w == b"\r\n.\r\n") {
                let text = String::from_utf8_lossy(&txn[..end]).to_string();
                let started = text.rfind("MAIL FROM").unwrap_or(0);
                let wanted = hold_for.lock().unwrap().clone();
                if wanted.is_some_and(|to| text[started..].contains(&to)) {
                    // Set before the end of the message reaches the server, so its answer
                    // cannot slip through.
                    hold.store(true, Ordering::SeqCst);
                    held.fetch_add(1, Ordering::SeqCst);
                }
                txn.drain(..end + 5);
            }
            if to_server.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_server.shutdown(Shutdown::Both);
    });
    let (mut from_server, mut to_client) = (server, client);
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from_server.read(&mut buf) {
            if n == 0 {
                break;
            }
            if !holding.load(Ordering::SeqCst) && to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
    });
}

fn env(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("SMTP_URL", url),
        ("MAIL_FROM", "テレワーク月間事務局 <noreply@example.jp>"),
        ("OUTBOX_POLL_MS", "50"),
        // The shortest lease: the restarted worker may take the dead process's row after 5 s.
        ("OUTBOX_LEASE_SECS", "5"),
    ]
}

fn a_kill_mid_send_delivers_again_under_the_same_message_id(database_url: &str, smtp: &Smtp) {
    let started = Instant::now();
    let proxy = HoldingProxy::start(smtp.addr());
    let proxy_url = format!("smtp://{}", proxy.addr);
    let mut server = Server::start(database_url, &env(&proxy_url));
    create_admin(database_url, ADMIN_EMAIL);
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL);
    api.open_campaign(&admin, "mid-send");
    let moderator = api.moderator(&admin, &unique_address("midsend-mod"));
    let owner_email = unique_address("midsend-owner");
    let owner = api.register(&owner_email);
    // The verification mail passes the proxy untouched.
    assert_eq!(
        wait_for(&smtp.maildir, &owner_email, 1, Duration::from_secs(20)).len(),
        1
    );
    let draft = api.expect(
        201,
        "/api/v1/activities",
        Some(&owner),
        draft_body("mid-send", "送信中の停止"),
    );
    let id = draft["id"].as_str().unwrap();
    let p = api.expect(
        200,
        &format!("/api/v1/activities/{id}/submit"),
        Some(&owner),
        json!({"version": draft["version"]}),
    );
    proxy.arm(&owner_email);
    api.expect(
        200,
        &format!("/api/v1/moderation/activities/{id}/approve"),
        Some(&moderator),
        json!({"version": p["version"]}),
    );
    // The server stores the notice; its answer is held; the process dies waiting for it.
    let got = wait_for(&smtp.maildir, &owner_email, 2, Duration::from_secs(10));
    assert_eq!(got.len(), 2, "the notice reached the SMTP server: {got:#?}");
    assert_eq!(proxy.held.load(Ordering::SeqCst), 1, "the server's answer was held");
    server.kill();
    let (_pool, mut conn) = open(database_url);
    let state = |conn: &mut telework_registry::db::DbConn, s: &str| {
        count(
            conn,
            &format!("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'activity_approved' AND state = '{s}'"),
        )
    };
    assert_eq!(state(&mut conn, "sent"), 0, "the killed process never heard the 250");

    let _server = Server::start(database_url, &env(&smtp.url));
    let deadline = Instant::now() + Duration::from_secs(30);
    while state(&mut conn, "sent") == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(state(&mut conn, "sent"), 1, "the restarted worker finished the send");
    let is_notice = |m: &&crate::smtp::Received| m.subject.contains("【承認】");
    let all = received(&smtp.maildir, &owner_email);
    let notices: Vec<_> = all.iter().filter(is_notice).collect();
    assert_eq!(notices.len(), 2, "one copy per attempt: {all:#?}");
    assert_eq!(
        notices[0].message_id, notices[1].message_id,
        "both copies carry one Message-ID"
    );
    let stored = count(
        &mut conn,
        &format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE message_id = '{}' AND state = 'sent'",
            notices[0].message_id.replace('\'', "")
        ),
    );
    assert_eq!(stored, 1, "the Message-ID is the outbox row's");
    eprintln!("mid-send kill test took {:?}", started.elapsed());
}

#[test]
fn a_kill_mid_send_delivers_again_under_the_same_message_id_sqlite() {
    let Some(smtp) = smtp("a_kill_mid_send_delivers_again_under_the_same_message_id_sqlite") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    a_kill_mid_send_delivers_again_under_the_same_message_id(&url, &smtp);
}

#[test]
fn a_kill_mid_send_delivers_again_under_the_same_message_id_postgres() {
    let Some(smtp) = smtp("a_kill_mid_send_delivers_again_under_the_same_message_id_postgres") else {
        return;
    };
    let Some(db) = pg_db("a_kill_mid_send_delivers_again_under_the_same_message_id_postgres") else {
        return;
    };
    a_kill_mid_send_delivers_again_under_the_same_message_id(&db.url, &smtp);
}

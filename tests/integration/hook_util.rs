//! For the webhook tests: a real HTTP receiver on loopback that records every request and
//! answers with scripted status codes, the delivery worker run on demand, and two
//! independent checks of a Standard Webhooks signature (HMAC written here from the
//! specification, and the `standardwebhooks` package from PyPI that `.ci/run` installs).

use crate::common::TestApp;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use telework_registry::config::mail::MailTransport;
use telework_registry::config::webhooks::WebhookConfig;
use telework_registry::mail::transport::Transport;
use telework_registry::mail::worker::{Pacing, Worker};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Got {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// Statuses to answer with, each with an optional `Location`.
type Script = Arc<Mutex<VecDeque<(u16, Option<String>)>>>;

/// The receiver: answers each request with the next scripted status (200 once the script
/// is used up).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Got>>>,
    script: Script,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("receiver");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let script: Script = Arc::default();
        let (g, s) = (got.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                g.lock().unwrap().push(request);
                let (status, location) = s.lock().unwrap().pop_front().unwrap_or((200, None));
                let body = if status == 200 { "ok" } else { "receiver failure" };
                let location = location.map(|l| format!("location: {l}\r\n")).unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\n{location}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { url, got, script }
    }

    /// The next requests get these statuses, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses.iter().map(|s| (*s, None)));
    }

    /// The next request gets `302 Found` to `location`.
    pub fn redirect(&self, location: &str) {
        self.script.lock().unwrap().push_back((302, Some(location.to_owned())));
    }

    pub fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Got> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let n: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; n];
    reader.read_exact(&mut body).ok()?;
    Some(Got {
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// The delivery worker for `app`, with the app's webhook settings or others.
pub fn worker(app: &TestApp, webhooks: WebhookConfig) -> Arc<Worker> {
    let mut mail = app.config.mail.clone();
    let dir = std::env::temp_dir().join(format!("hook-mail-{}", uuid::Uuid::new_v4().simple()));
    mail.transport = MailTransport::Files(dir);
    Arc::new(built(app, &mail, webhooks).for_webhooks())
}

/// The mail worker for `app`, through the app's own mail transport.
pub fn mail_worker(app: &TestApp) -> Arc<Worker> {
    Arc::new(built(app, &app.config.mail, app.config.webhooks))
}

fn built(app: &TestApp, mail: &telework_registry::config::mail::MailConfig, webhooks: WebhookConfig) -> Worker {
    let transport = Transport::from_config(mail).expect("mail transport");
    let pacing = Pacing {
        max_attempts: 8,
        backoff_base: Duration::from_millis(10),
        lease: Duration::from_secs(60),
    };
    Worker::new(app.pool.clone(), transport, pacing, webhooks).expect("worker")
}

/// One round of the worker, as if it ran a day from now (so every retry is due).
pub async fn round(worker: &Arc<Worker>) -> usize {
    let w = worker.clone();
    actix_web::web::block(move || w.deliver_due(telework_registry::db::now() + chrono::Duration::days(1)))
        .await
        .expect("blocking task")
        .expect("delivery round")
}

/// Whether `signature` (the header, space-separated `v1,` entries) holds one that `secret`
/// made over the message: HMAC-SHA256 with the base64-decoded key after `whsec_`, over
/// `{id}.{timestamp}.{body}`, base64, as the Standard Webhooks specification states it.
pub fn spec_verify(secret: &str, got: &Got) -> bool {
    use base64::Engine;
    use hmac::Mac;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        got.header("webhook-id"),
        got.header("webhook-timestamp"),
        got.body
    );
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    got.header("webhook-signature").split(' ').any(|s| s == expected)
}

/// The `standardwebhooks` package's verdict, when `.ci/run` named its Python in
/// `TEST_WEBHOOK_VERIFIER` (required under `CI=true`); `None` without it.
pub fn package_verify(secret: &str, got: &Got) -> Option<bool> {
    let python = match std::env::var("TEST_WEBHOOK_VERIFIER") {
        Ok(p) if !p.is_empty() => p,
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("TEST_WEBHOOK_VERIFIER must name a Python with standardwebhooks under CI=true")
        }
        _ => return None,
    };
    let script = "import json, sys\n\
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError\n\
        m = json.load(sys.stdin)\n\
        try:\n    Webhook(m['secret']).verify(m['body'], m['headers']); print('ok')\n\
        except WebhookVerificationError as e:\n    print('bad', e)\n";
    let input = serde_json::json!({"secret": secret, "body": got.body, "headers": got.headers}).to_string();
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the webhook verifier's Python");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().expect("verifier output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the verifier failed: {text}");
    Some(text.trim() == "ok")
}

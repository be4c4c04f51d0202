//! The test harness: a fresh database per test (a temporary SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` points at one), the real App factory, and a
//! client per role.

use actix_web::body::{to_bytes, BoxBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use actix_web::web::{Bytes, Data};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use futures_util::future::LocalBoxFuture;
use serde_json::{json, Value};
use std::rc::Rc;
use telework_registry::app;
use telework_registry::config::{Config, PasswordCost};
use telework_registry::db::{self, DbTarget, Pool};
use telework_registry::state::AppState;

pub const JWT_SECRET: &str = "integration-test-secret-that-is-long-enough";
pub const PASSWORD: &str = "correct horse battery";

type Call = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        {
            Some(base) => {
                let name = format!("tr_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = diesel::PgConnection::establish(&base).expect("TEST_DATABASE_URL must be reachable");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = replace_db_name(&base, &name);
                Self {
                    url,
                    _dir: None,
                    pg_drop: Some((base, name)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                    pg_drop: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.pg_drop {
            if let Ok(mut admin) = diesel::PgConnection::establish(base) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A test configuration: cheap password hashing, a known secret, a generous rate limit.
pub fn test_config(url: &str) -> Config {
    let url = url.to_owned();
    let mut config = Config::from_lookup(move |k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "APP_ENV" => Some("test".into()),
        "JWT_SECRET" => Some(JWT_SECRET.into()),
        "AUTH_RATE_LIMIT_PER_MINUTE" => Some("100000".into()),
        "DATABASE_POOL_SIZE" => Some("4".into()),
        "CORS_ALLOWED_ORIGINS" => Some("https://telework.example.jp".into()),
        // Tests about verification turn it on; the others submit with fresh accounts.
        "REQUIRE_EMAIL_VERIFICATION" => Some("false".into()),
        _ => None,
    })
    .expect("test config");
    config.password_cost = PasswordCost {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    config.public_cache_refresh = std::time::Duration::from_millis(100);
    config
}

/// A response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub raw: Bytes,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
    pub refresh: String,
}

pub struct TestApp {
    call: Call,
    pub pool: Pool,
    /// Kept so the database lives as long as the app.
    _db: TestDb,
    pub config: Config,
    counter: std::cell::Cell<u32>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new();
        let mut config = test_config(&db.url);
        adjust(&mut config);
        let target = DbTarget::parse(&db.url).unwrap();
        let pool = db::connect(&target, &config.pool).expect("pool");
        db::migrate(&mut pool.get().expect("connection")).expect("migrations");
        let state = Data::new(AppState::new(config.clone(), pool.clone()));
        let svc = Rc::new(test::init_service(app::build(state)).await);
        let call: Call = Rc::new(move |req| {
            let svc = svc.clone();
            Box::pin(async move {
                match svc.call(req).await {
                    Ok(res) => res.map_into_boxed_body(),
                    Err(e) => panic!("service error escaped the error mapper: {e}"),
                }
            })
        });
        Self {
            call,
            pool,
            _db: db,
            config,
            counter: std::cell::Cell::new(0),
        }
    }

    /// Sends a request and leaves its body unread (a streamed body waits for its reader).
    pub async fn open(&self, req: TestRequest) -> ServiceResponse<BoxBody> {
        (self.call)(req.to_request()).await
    }

    /// Sends a request and reads the response, checking nothing (HEAD answers have no body).
    pub async fn send_raw(&self, req: TestRequest) -> Resp {
        let res = (self.call)(req.to_request()).await;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let raw = to_bytes(res.into_body()).await.unwrap_or_default();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            raw,
            body,
        }
    }

    /// Sends a request; an error must be a problem+json and never a 500.
    pub async fn send(&self, req: TestRequest) -> Resp {
        let r = self.send_raw(req).await;
        let (status, body) = (r.status, &r.body);
        if status >= 400 {
            let ctype = r.header("content-type").unwrap_or("");
            assert_eq!(
                ctype, "application/problem+json",
                "error {status} without problem+json: {:?}",
                r.raw
            );
            assert_eq!(body["status"], status, "problem status mismatch: {body}");
        }
        assert_ne!(status, 500, "server error: {body}");
        r
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = TestRequest::default().method(method).uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// Registers a registrant of `kind` and returns it signed in.
    pub async fn registrant(&self, kind: &str) -> User {
        let n = self.next();
        let email = format!("{kind}{n}@example.jp");
        let name = if kind == "organization" {
            format!("株式会社テスト{n}")
        } else {
            format!("山田 太郎{n}")
        };
        let mut body = json!({"email": email, "password": PASSWORD, "kind": kind, "display_name": name});
        if kind == "organization" {
            body["industry"] = json!("G");
            body["prefecture"] = json!("13");
            body["contact_name"] = json!("連絡 担当");
            body["phone"] = json!("03-1234-5678");
        } else {
            body["phone"] = json!("090-1111-2222");
        }
        let r = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        User {
            id: r.body["account"]["id"].as_str().unwrap().into(),
            email,
            token: r.body["access_token"].as_str().unwrap().into(),
            refresh: r.body["refresh_token"].as_str().unwrap().into(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// An admin, created the way the `create-admin` command does.
    pub async fn admin(&self) -> User {
        let n = self.next();
        let email = format!("admin{n}@example.jp");
        let hasher = telework_registry::auth::password::Hasher::new(self.config.password_cost);
        let mut conn = self.pool.get().unwrap();
        let (id, _) =
            telework_registry::service::accounts::create_admin(&mut conn, &hasher, &email, PASSWORD, "管理者").unwrap();
        let r = self.login(&email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        User {
            id,
            email,
            token: r.body["access_token"].as_str().unwrap().into(),
            refresh: r.body["refresh_token"].as_str().unwrap().into(),
        }
    }

    /// A moderator, created by an admin through the API.
    pub async fn moderator(&self) -> User {
        let admin = self.admin().await;
        self.staff(&admin, "moderator").await
    }

    pub async fn staff(&self, admin: &User, role: &str) -> User {
        let n = self.next();
        let email = format!("{role}{n}@example.jp");
        let r = self
            .post(
                "/api/v1/admin/accounts",
                Some(&admin.token),
                json!({"email": email, "password": PASSWORD, "role": role, "display_name": format!("{role} {n}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let r = self.login(&email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        User {
            id,
            email,
            token: r.body["access_token"].as_str().unwrap().into(),
            refresh: r.body["refresh_token"].as_str().unwrap().into(),
        }
    }

    /// Creates a campaign whose registration is open now; returns its slug.
    pub async fn open_campaign(&self, admin: &User) -> String {
        let slug = format!("c{}", self.next());
        let now = chrono::Utc::now();
        let r = self
            .post(
                "/api/v1/admin/campaigns",
                Some(&admin.token),
                json!({
                    "slug": slug, "title": "テレワーク月間 2026",
                    "starts_on": "2026-11-01", "ends_on": "2026-11-30",
                    "registration_opens_at": (now - chrono::Duration::days(1)).to_rfc3339(),
                    "registration_closes_at": (now + chrono::Duration::days(30)).to_rfc3339(),
                }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        slug
    }

    /// A new draft of `owner` in `campaign` with `title`.
    pub async fn draft(&self, owner: &User, campaign: &str, title: &str) -> Value {
        let r = self
            .post(
                "/api/v1/activities",
                Some(&owner.token),
                json!({
                    "campaign": campaign,
                    "categories": ["try_practice"],
                    "title": title,
                    "description": "全社員が週2日テレワークを実践します。",
                    "prefecture": "13",
                    "format": "online",
                }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    /// Runs an action and asserts it succeeded; returns the activity.
    pub async fn act(&self, who: &User, path: &str, body: Value) -> Value {
        let r = self.post(path, Some(&who.token), body).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.body
    }

    /// A draft taken through submit and approve.
    pub async fn approved(&self, owner: &User, moderator: &User, campaign: &str, title: &str) -> Value {
        let d = self.draft(owner, campaign, title).await;
        let id = d["id"].as_str().unwrap().to_owned();
        let s = self
            .act(
                owner,
                &format!("/api/v1/activities/{id}/submit"),
                json!({"version": d["version"]}),
            )
            .await;
        self.act(
            moderator,
            &format!("/api/v1/moderation/activities/{id}/approve"),
            json!({"version": s["version"]}),
        )
        .await
    }
}

/// The usual cast: an app with an admin, an open campaign, an organization, an individual
/// and a moderator.
pub struct World {
    pub app: TestApp,
    pub admin: User,
    pub campaign: String,
    pub org: User,
    pub ind: User,
    pub moderator: User,
}

pub async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let org = app.registrant("organization").await;
    let ind = app.registrant("individual").await;
    let moderator = app.staff(&admin, "moderator").await;
    World {
        app,
        admin,
        campaign,
        org,
        ind,
        moderator,
    }
}

/// Waits out the public cache's generation refresh, so the next read sees the last write.
pub async fn settle() {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(150)).await;
}

//! Typed configuration from the environment. Every variable, with its default, is listed in
//! `.env.example`; each error names the variable to fix.

pub mod mail;
pub mod webhooks;

use crate::client_addr::TrustedProxies;
use crate::db::{DbTarget, PoolOptions};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A secret string whose `Debug` and `Display` print nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
    Test,
}

/// Cost of argon2id password hashing (memory in KiB, iterations, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordCost {
    /// OWASP's recommended argon2id setting.
    pub const DEFAULT: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DbTarget,
    pub bind_addr: SocketAddr,
    /// Whether the listening socket takes SO_REUSEPORT (`BIND_REUSE_PORT`), so that several
    /// processes on one host share `bind_addr` and the kernel spreads connections over them.
    pub bind_reuse_port: bool,
    /// Where clients reach the API (`PUBLIC_BASE_URL`), without a trailing slash; every link
    /// the API writes starts from it, never from request headers.
    pub public_base_url: String,
    pub app_env: AppEnv,
    pub jwt_secret: Secret,
    /// True when no secret was configured and one was generated for this process.
    pub jwt_secret_ephemeral: bool,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub cors_allowed_origins: Vec<String>,
    /// The CSP `frame-ancestors` sources of `GET /embed` (`EMBED_ALLOWED_ORIGINS`): `*`, or
    /// origins separated by spaces.
    pub embed_frame_ancestors: String,
    pub auth_rate_limit_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    pub pool: PoolOptions,
    /// Public exports running at once per process (`EXPORT_CONCURRENCY`).
    pub export_concurrency: usize,
    pub workers: usize,
    /// How long a client may take to send a request's headers before it gets 408.
    pub client_request_timeout: Duration,
    pub password_cost: PasswordCost,
    /// How long a process trusts its last read of the public data generation.
    pub public_cache_refresh: Duration,
    /// Mail: transport, sender, links, outbox pacing, digest (see [`mail::MailConfig`]).
    pub mail: mail::MailConfig,
    /// Webhooks: which URLs subscriptions may name (see [`webhooks::WebhookConfig`]).
    pub webhooks: webhooks::WebhookConfig,
    /// How long a moderator's claim on a queue item lasts (`CLAIM_TTL_SECS`).
    pub claim_ttl: Duration,
    /// How many live claims one moderator may hold (`MAX_CLAIMS_PER_MODERATOR`).
    pub max_claims: i64,
    /// The licence of the open data exports (`PUBLIC_DATA_LICENSE_URL`).
    pub public_data_license_url: String,
}

/// A variable that is present but unusable.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl std::error::Error for ConfigError {}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/telework-registry.db";
/// 公共データ利用規約（第1.0版）, the Public Data License 1.0 of the Digital Agency.
pub const DEFAULT_PUBLIC_DATA_LICENSE_URL: &str =
    "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0";
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment (after loading a local `.env`, if any).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds the configuration from any variable source; used by tests.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let app_env = match get("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some("test") => AppEnv::Test,
            Some(other) => {
                return Err(err(
                    "APP_ENV",
                    format!("`{other}` is not one of development, production, test"),
                ))
            }
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let database = DbTarget::parse(&database_url).map_err(|m| err("DATABASE_URL", m))?;
        if let DbTarget::Sqlite(path) = &database {
            if sqlite_in_memory(path) {
                return Err(err(
                    "DATABASE_URL",
                    format!("`{database_url}` is an in-memory SQLite database, which SQLite gives each pooled connection separately (empty, without the migrated tables); use a file instead, e.g. `sqlite://data/telework-registry.db`, or for a throwaway database a file in a temporary folder (`sqlite:///tmp/telework-registry/test.db`)"),
                ));
            }
        }
        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .trim()
            .parse()
            .map_err(|_| err("BIND_ADDR", "must be HOST:PORT with an IP address, e.g. 127.0.0.1:8080"))?;
        let public_base_url = match get("PUBLIC_BASE_URL") {
            Some(raw) => base_url(&raw).map_err(|m| err("PUBLIC_BASE_URL", m))?,
            None => format!("http://{bind_addr}"),
        };

        let (jwt_secret, jwt_secret_ephemeral) = match get("JWT_SECRET") {
            Some(s) if s.len() >= MIN_JWT_SECRET_BYTES => (Secret::new(s), false),
            Some(_) if app_env == AppEnv::Production => {
                return Err(err(
                    "JWT_SECRET",
                    format!("is shorter than {MIN_JWT_SECRET_BYTES} bytes; set a long random value (e.g. `openssl rand -base64 48`)"),
                ))
            }
            None if app_env == AppEnv::Production => {
                return Err(err(
                    "JWT_SECRET",
                    format!("is required when APP_ENV=production; set at least {MIN_JWT_SECRET_BYTES} random bytes (e.g. `openssl rand -base64 48`)"),
                ))
            }
            _ => (Secret::new(random_secret()), true),
        };

        let cors_allowed_origins = get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mail = mail::MailConfig::from_lookup(&get, app_env, &public_base_url)?;
        let default_pool = match database.backend() {
            crate::db::Backend::Sqlite => 8,
            crate::db::Backend::Postgres => 16,
        };
        let pool_size = number(&get, "DATABASE_POOL_SIZE", default_pool, 1, 512)?;
        Ok(Self {
            database,
            bind_addr,
            bind_reuse_port: flag(&get, "BIND_REUSE_PORT")?,
            public_base_url,
            app_env,
            jwt_secret,
            jwt_secret_ephemeral,
            jwt_issuer: get("JWT_ISSUER").unwrap_or_else(|| "telework-registry".into()),
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "telework-registry-api".into()),
            access_token_ttl: Duration::from_secs(number(&get, "ACCESS_TOKEN_TTL_SECS", 900, 30, 86_400)?),
            refresh_token_ttl: Duration::from_secs(number(&get, "REFRESH_TOKEN_TTL_DAYS", 30, 1, 365)? * 86_400),
            cors_allowed_origins,
            embed_frame_ancestors: frame_ancestors(get("EMBED_ALLOWED_ORIGINS").as_deref())
                .map_err(|m| err("EMBED_ALLOWED_ORIGINS", m))?,
            auth_rate_limit_per_minute: number(&get, "AUTH_RATE_LIMIT_PER_MINUTE", 10, 1, 1_000_000)? as u32,
            trusted_proxies: get("TRUSTED_PROXIES")
                .unwrap_or_default()
                .parse()
                .map_err(|m: String| err("TRUSTED_PROXIES", format!("{m}; list networks like 10.0.0.0/8,::1")))?,
            pool: PoolOptions {
                max_size: pool_size as u32,
                timeout: Duration::from_millis(number(&get, "DATABASE_POOL_TIMEOUT_MS", 5_000, 50, 120_000)?),
                statement_timeout: match number(&get, "STATEMENT_TIMEOUT_MS", 2_000, 0, 600_000)? {
                    0 => None,
                    ms => Some(Duration::from_millis(ms)),
                },
            },
            // Each export holds a pooled connection while its client reads: a quarter of
            // the pool by default, so downloads never take every connection.
            export_concurrency: number(&get, "EXPORT_CONCURRENCY", (pool_size / 4).max(1), 1, pool_size)? as usize,
            workers: number(&get, "WORKERS", default_workers(), 1, 256)? as usize,
            client_request_timeout: Duration::from_millis(number(
                &get,
                "CLIENT_REQUEST_TIMEOUT_MS",
                10_000,
                100,
                300_000,
            )?),
            password_cost: PasswordCost::DEFAULT,
            public_cache_refresh: Duration::from_millis(250),
            mail,
            webhooks: webhooks::WebhookConfig::from_lookup(&get)?,
            claim_ttl: Duration::from_secs(number(&get, "CLAIM_TTL_SECS", 900, 10, 86_400)?),
            max_claims: number(&get, "MAX_CLAIMS_PER_MODERATOR", 20, 1, 1_000)? as i64,
            public_data_license_url: match get("PUBLIC_DATA_LICENSE_URL") {
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => u.trim().to_owned(),
                Some(_) => return Err(err("PUBLIC_DATA_LICENSE_URL", "must be an http:// or https:// URL")),
                None => DEFAULT_PUBLIC_DATA_LICENSE_URL.to_owned(),
            },
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

/// A `true`/`false` (or `1`/`0`) variable, false when unset.
pub(crate) fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(err(name, format!("must be true or false, got `{other}`"))),
    }
}

fn err(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

/// Whether SQLite opens `path` as an in-memory database: `:memory:`, or a `file:` URI naming
/// `:memory:` or with `mode=memory`.
fn sqlite_in_memory(path: &str) -> bool {
    if path == ":memory:" {
        return true;
    }
    let Some(uri) = path.strip_prefix("file:") else {
        return false;
    };
    let (name, query) = uri.split_once('?').unwrap_or((uri, ""));
    name == ":memory:" || query.split('&').any(|p| p.eq_ignore_ascii_case("mode=memory"))
}

/// An absolute http(s) URL without credentials, query or fragment, returned normalized and
/// without a trailing slash, so that `{base}/api/v1/…` is a link.
fn base_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let bad = |why: &str| {
        Err(format!(
            "must be an absolute http:// or https:// URL ({why}), got `{raw}`"
        ))
    };
    let url = match url::Url::parse(raw) {
        Ok(url) => url,
        Err(e) => return bad(&e.to_string()),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad("the scheme is not http or https");
    }
    if !url.has_host() {
        return bad("it names no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("it must not carry credentials");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("it must not have a query or fragment");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `EMBED_ALLOWED_ORIGINS` as CSP `frame-ancestors` sources: `*` when unset, else each
/// comma-separated entry as `http(s)://host[:port]` (the host may start with `*.`), so
/// nothing but origins can reach the header.
fn frame_ancestors(raw: Option<&str>) -> Result<String, String> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.is_empty() || raw == "*" {
        return Ok("*".into());
    }
    let mut out = Vec::new();
    for entry in raw.split(',').map(|e| e.trim().trim_end_matches('/')) {
        let bad = || {
            format!("`{entry}` is not an origin: use `*`, or scheme, host and optional port such as https://partner.example.jp")
        };
        let rest = entry
            .strip_prefix("https://")
            .or_else(|| entry.strip_prefix("http://"))
            .ok_or_else(bad)?;
        let (host, port) = rest.split_once(':').unwrap_or((rest, "0"));
        let bare = host.strip_prefix("*.").unwrap_or(host);
        let host_ok = !bare.is_empty()
            && bare
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !host_ok || port.parse::<u16>().is_err() {
            return Err(bad());
        }
        out.push(entry.to_ascii_lowercase());
    }
    Ok(out.join(" "))
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(err(
                variable,
                format!("must be a whole number from {min} to {max}, got `{raw}`"),
            )),
        },
    }
}

fn default_workers() -> u64 {
    std::thread::available_parallelism().map_or(2, |n| n.get() as u64)
}

fn random_secret() -> String {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;

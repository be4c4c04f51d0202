//! Unit tests of reading the configuration.

use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_are_development_on_sqlite() {
    let c = config(&[]).unwrap();
    assert_eq!(c.app_env, AppEnv::Development);
    assert_eq!(c.database, DbTarget::Sqlite("data/telework-registry.db".into()));
    assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.public_base_url, "http://127.0.0.1:8080");
    assert!(c.jwt_secret_ephemeral);
    assert!(c.jwt_secret.expose().len() >= MIN_JWT_SECRET_BYTES);
}

#[test]
fn production_requires_a_long_secret() {
    let e = config(&[("APP_ENV", "production")]).unwrap_err();
    assert_eq!(e.variable, "JWT_SECRET");
    let e = config(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]).unwrap_err();
    assert_eq!(e.variable, "JWT_SECRET");
    let long = "x".repeat(32);
    let c = config(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", &long),
        ("MAIL_TRANSPORT", "files"),
    ])
    .unwrap();
    assert!(!c.jwt_secret_ephemeral);
}

#[test]
fn bad_values_name_their_variable() {
    assert_eq!(
        config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().variable,
        "DATABASE_URL"
    );
    assert_eq!(config(&[("BIND_ADDR", "nope")]).unwrap_err().variable, "BIND_ADDR");
    assert!(!config(&[]).unwrap().bind_reuse_port);
    assert!(config(&[("BIND_REUSE_PORT", "true")]).unwrap().bind_reuse_port);
    assert_eq!(
        config(&[("BIND_REUSE_PORT", "yes")]).unwrap_err().variable,
        "BIND_REUSE_PORT"
    );
    assert_eq!(
        config(&[("AUTH_RATE_LIMIT_PER_MINUTE", "0")]).unwrap_err().variable,
        "AUTH_RATE_LIMIT_PER_MINUTE"
    );
    assert_eq!(config(&[("APP_ENV", "staging")]).unwrap_err().variable, "APP_ENV");
    assert_eq!(
        config(&[("TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")])
            .unwrap_err()
            .variable,
        "TRUSTED_PROXIES"
    );
}

#[test]
fn in_memory_sqlite_is_refused() {
    for url in [
        "sqlite://:memory:",
        ":memory:",
        "sqlite:file::memory:",
        "file:x.db?cache=shared&mode=memory",
    ] {
        let e = config(&[("DATABASE_URL", url)]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL", "{url}");
        assert!(e.message.contains("file"), "{}", e.message);
    }
    for url in ["sqlite://data/x.db", "sqlite://file:x.db?cache=shared", "memory.db"] {
        assert!(config(&[("DATABASE_URL", url)]).is_ok(), "{url}");
    }
}

#[test]
fn trusted_proxies_default_to_none() {
    let c = config(&[]).unwrap();
    assert!(!c.trusted_proxies.trusts("127.0.0.1".parse().unwrap()));
    let c = config(&[("TRUSTED_PROXIES", "127.0.0.1, 2001:db8::/32")]).unwrap();
    assert!(c.trusted_proxies.trusts("127.0.0.1".parse().unwrap()));
    assert!(c.trusted_proxies.trusts("2001:db8::1".parse().unwrap()));
}

#[test]
fn public_base_url_is_absolute_http_without_trailing_slash() {
    let base = |v: &str| config(&[("PUBLIC_BASE_URL", v)]).map(|c| c.public_base_url);
    assert_eq!(
        base("https://telework.example.jp/").unwrap(),
        "https://telework.example.jp"
    );
    assert_eq!(
        base("https://Telework.Example.jp/registry/").unwrap(),
        "https://telework.example.jp/registry"
    );
    assert_eq!(
        config(&[("BIND_ADDR", "[::1]:9000")]).unwrap().public_base_url,
        "http://[::1]:9000"
    );
    for bad in [
        "telework.example.jp",
        "/api",
        "ftp://telework.example.jp",
        "https://",
        "https://user:pw@telework.example.jp",
        "https://telework.example.jp/?a=1",
        "https://telework.example.jp/#x",
    ] {
        let e = base(bad).unwrap_err();
        assert_eq!(e.variable, "PUBLIC_BASE_URL", "{bad}");
    }
}

#[test]
fn statement_timeout_defaults_to_two_seconds_and_zero_lifts_it() {
    assert_eq!(
        config(&[]).unwrap().pool.statement_timeout,
        Some(Duration::from_secs(2))
    );
    let c = config(&[("STATEMENT_TIMEOUT_MS", "250")]).unwrap();
    assert_eq!(c.pool.statement_timeout, Some(Duration::from_millis(250)));
    assert_eq!(
        config(&[("STATEMENT_TIMEOUT_MS", "0")]).unwrap().pool.statement_timeout,
        None
    );
    for bad in ["-1", "2s", "600001"] {
        assert_eq!(
            config(&[("STATEMENT_TIMEOUT_MS", bad)]).unwrap_err().variable,
            "STATEMENT_TIMEOUT_MS"
        );
    }
}

#[test]
fn secrets_do_not_print() {
    let s = Secret::new("hunter2-hunter2");
    assert!(!format!("{s:?} {s}").contains("hunter2"));
    let c = config(&[("JWT_SECRET", "a-very-long-secret-value-of-40-bytes-xx")]).unwrap();
    assert!(!format!("{c:?}").contains("a-very-long-secret"));
}

#[test]
fn cors_origins_are_split_and_trimmed() {
    let c = config(&[("CORS_ALLOWED_ORIGINS", "https://a.example/, https://b.example")]).unwrap();
    assert_eq!(c.cors_allowed_origins, vec!["https://a.example", "https://b.example"]);
}

#[test]
fn embed_origins_default_to_any_and_are_checked() {
    assert_eq!(config(&[]).unwrap().embed_frame_ancestors, "*");
    let c = config(&[(
        "EMBED_ALLOWED_ORIGINS",
        "https://partner.example.jp/, http://localhost:3000,https://*.example.com",
    )])
    .unwrap();
    assert_eq!(
        c.embed_frame_ancestors,
        "https://partner.example.jp http://localhost:3000 https://*.example.com"
    );
    for bad in [
        "partner.example.jp",
        "https://a.example/page",
        "https://a.example; script-src *",
        "javascript:alert(1)",
        "https://a b.example",
        "*, https://a.example",
        "https://a.example:99999",
    ] {
        let e = config(&[("EMBED_ALLOWED_ORIGINS", bad)]).unwrap_err();
        assert_eq!(e.variable, "EMBED_ALLOWED_ORIGINS", "{bad}");
    }
}

#[test]
fn exports_take_a_quarter_of_the_pool_unless_told() {
    assert_eq!(config(&[]).unwrap().export_concurrency, 2);
    let pg = config(&[("DATABASE_URL", "postgres://u@h/db")]).unwrap();
    assert_eq!(pg.export_concurrency, 4);
    assert_eq!(config(&[("DATABASE_POOL_SIZE", "2")]).unwrap().export_concurrency, 1);
    assert_eq!(config(&[("EXPORT_CONCURRENCY", "8")]).unwrap().export_concurrency, 8);
    // Never more than the pool, never none.
    for bad in ["9", "0"] {
        assert_eq!(
            config(&[("EXPORT_CONCURRENCY", bad)]).unwrap_err().variable,
            "EXPORT_CONCURRENCY"
        );
    }
}

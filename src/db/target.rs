//! Where the data lives: the backend chosen from `DATABASE_URL`'s scheme.

use super::Backend;

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A file path for SQLite.
    Sqlite(String),
    /// A `postgres://` URL.
    Postgres(String),
}

impl DbTarget {
    /// Chooses the backend from the URL scheme: `sqlite://path`, `sqlite:path` or a plain path
    /// for SQLite; `postgres://` or `postgresql://` for PostgreSQL. Anything else is refused.
    pub fn parse(url: &str) -> std::result::Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("DATABASE_URL names no SQLite file after `sqlite://`".into());
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "DATABASE_URL has the unsupported scheme `{scheme}://`; use `sqlite://PATH`, a plain file path, or `postgres://USER@HOST/DB`"
            ));
        }
        Ok(Self::Sqlite(url.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_chosen_by_scheme() {
        assert_eq!(
            DbTarget::parse("sqlite://data/x.db").unwrap(),
            DbTarget::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DbTarget::parse("data/x.db").unwrap(),
            DbTarget::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DbTarget::parse("postgresql://u@h/db").unwrap(),
            DbTarget::Postgres("postgresql://u@h/db".into())
        );
        let err = DbTarget::parse("mysql://root@localhost/x").unwrap_err();
        assert!(err.contains("mysql://") && err.contains("DATABASE_URL"), "{err}");
        assert!(DbTarget::parse("  ").is_err());
    }

    #[test]
    fn password_is_redacted() {
        let t = DbTarget::parse("postgres://app:s3cret@db:5432/reg").unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@db:5432/reg");
    }
}

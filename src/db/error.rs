//! The database layer's own error: what went wrong, in the database's terms, without any
//! of its text meant for clients. The API maps each kind to a problem.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use std::fmt;

/// A unique index a write ran into. The names are the same on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    AccountEmail,
    AccountCorporateNumber,
    CampaignSlug,
    /// Another unique index (a bug if a client could reach it).
    Other,
}

/// Each unique index: its name (PostgreSQL reports it) and the columns SQLite names in
/// its fixed `UNIQUE constraint failed: table.column` report.
const UNIQUE_INDEXES: [(&str, &str, Unique); 3] = [
    ("accounts_email_key", "accounts.email", Unique::AccountEmail),
    (
        "accounts_corporate_number_key",
        "accounts.corporate_number",
        Unique::AccountCorporateNumber,
    ),
    ("campaigns_slug_key", "campaigns.slug", Unique::CampaignSlug),
];

impl Unique {
    fn of(info: &dyn DatabaseErrorInformation) -> Self {
        let sqlite_columns = info.message().strip_prefix("UNIQUE constraint failed: ");
        UNIQUE_INDEXES
            .iter()
            .find(|(index, columns, _)| info.constraint_name() == Some(index) || sqlite_columns == Some(columns))
            .map_or(Unique::Other, |(_, _, u)| *u)
    }
}

/// Why a database call failed.
#[derive(Debug)]
pub enum Error {
    /// The row asked for does not exist.
    NotFound,
    /// A write would break a unique index.
    Duplicate(Unique),
    /// The database cannot answer now (unreachable, pool exhausted, locked): retry later.
    Unavailable(String),
    /// A statement ran past its time budget.
    Timeout,
    /// Data in the database that the code cannot read (a bug or a hand edit).
    Corrupt(String),
    /// Anything else: a bug or a broken database.
    Other(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The cause, for the server's log only.
    pub fn cause(&self) -> String {
        match self {
            Error::NotFound => "not found".into(),
            Error::Duplicate(u) => format!("unique index {u:?}"),
            Error::Timeout => "statement time budget exceeded".into(),
            Error::Unavailable(c) | Error::Corrupt(c) | Error::Other(c) => c.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause())
    }
}

impl std::error::Error for Error {}

/// SQLite's fixed text for `SQLITE_BUSY`/`SQLITE_LOCKED` (diesel reports no result codes
/// for SQLite, only `sqlite3_errmsg`).
fn sqlite_busy(message: &str) -> bool {
    message == "database is locked" || message.starts_with("database table is locked") || message == "database is busy"
}

impl From<DieselError> for Error {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => Error::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Error::Duplicate(Unique::of(&**info))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Error::Unavailable(err.to_string()),
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => {
                Error::Unavailable(err.to_string())
            }
            DieselError::DatabaseError(_, info) if sqlite_busy(info.message()) => Error::Unavailable(err.to_string()),
            DieselError::DeserializationError(e) => Error::Corrupt(e.to_string()),
            _ => Error::Other(err.to_string()),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        Error::Unavailable(format!("database pool: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn unique_indexes_are_named_by_sqlite_columns() {
        let e = Error::from(db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: accounts.email",
        ));
        assert!(matches!(e, Error::Duplicate(Unique::AccountEmail)), "{e:?}");
        let e = Error::from(db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: x.email",
        ));
        assert!(matches!(e, Error::Duplicate(Unique::Other)), "{e:?}");
    }

    /// What PostgreSQL reports: the index by name, and text that must not matter.
    struct PgInfo(&'static str);

    impl DatabaseErrorInformation for PgInfo {
        fn message(&self) -> &str {
            "duplicate key value violates unique constraint"
        }
        fn details(&self) -> Option<&str> {
            Some("Key (email)=(someone@example.jp) already exists.")
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            Some("accounts")
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            Some(self.0)
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    #[test]
    fn unique_indexes_are_named_by_postgres_constraint_names() {
        for (name, want) in [
            ("accounts_email_key", Unique::AccountEmail),
            ("accounts_corporate_number_key", Unique::AccountCorporateNumber),
            ("campaigns_slug_key", Unique::CampaignSlug),
            ("refresh_tokens_hash_key", Unique::Other),
        ] {
            let e = Error::from(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                Box::new(PgInfo(name)),
            ));
            assert!(matches!(e, Error::Duplicate(u) if u == want), "{name}: {e:?}");
        }
    }

    #[test]
    fn busy_is_unavailable_and_bad_rows_are_corrupt() {
        assert!(matches!(
            Error::from(db_error(DatabaseErrorKind::Unknown, "database is locked")),
            Error::Unavailable(_)
        ));
        assert!(matches!(Error::from(DieselError::NotFound), Error::NotFound));
        let bad = DieselError::DeserializationError("unknown status `x`".into());
        assert!(matches!(Error::from(bad), Error::Corrupt(_)));
    }
}

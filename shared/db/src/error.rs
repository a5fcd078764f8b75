use napoleon_kernel::ErrorCode;

/// Errors of the database layer. Messages are for operators' logs; the web edge renders the
/// [`ErrorCode`] in French and never shows these details to agents.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be obtained (server down, pool exhausted, timeout).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A statement failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Connecting failed.
    #[error("database connection failed: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// Migrations could not be read or applied.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// A stored value no longer parses as its type (a state, a code): never read as a
    /// default, always an error naming the column.
    #[error("stored value does not parse: {0}")]
    Corrupt(String),
}

impl DbError {
    /// A stored value of `column` that does not parse.
    #[must_use]
    pub fn corrupt(column: &str, value: &str) -> Self {
        Self::Corrupt(format!("{column} = {value:?}"))
    }
}

impl DbError {
    /// True when the statement matched no row (a 404 for callers).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Query(diesel::result::Error::NotFound))
    }
}

impl ErrorCode for DbError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) | Self::Connection(_) => "db.unavailable",
            Self::Query(diesel::result::Error::NotFound) => "db.not_found",
            Self::Query(e) if connection_lost(e) => "db.unavailable",
            Self::Query(_) => "db.query_failed",
            Self::Migration(_) => "db.migration_failed",
            Self::Corrupt(_) => "db.corrupt",
        }
    }
}

/// Whether the connection, not the statement, failed: the socket closed under the query, or
/// the server ended the session (SQLSTATE class 57, operator intervention: its shutdown, the
/// crash of another backend, a server still recovering). The database is then unavailable
/// (a 503 the client may retry), not the request wrong. diesel-async keeps no SQLSTATE for
/// these, only the server's message, in English: the clusters run with `lc_messages = C`
/// (operations guide).
fn connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("terminating connection")
                || message.starts_with("the database system is")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn a_lost_connection_is_unavailability_and_a_failed_statement_is_not() {
        for lost in [
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to unexpected postmaster exit",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "the database system is in recovery mode",
            ),
            db_error(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            db_error(DatabaseErrorKind::ClosedConnection, "closed"),
        ] {
            assert_eq!(lost.code(), "db.unavailable", "{lost}");
        }
        for failed in [
            db_error(DatabaseErrorKind::Unknown, "division by zero"),
            db_error(DatabaseErrorKind::UniqueViolation, "duplicate key value"),
        ] {
            assert_eq!(failed.code(), "db.query_failed", "{failed}");
        }
    }
}

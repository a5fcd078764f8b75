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
            Self::Query(_) => "db.query_failed",
            Self::Migration(_) => "db.migration_failed",
            Self::Corrupt(_) => "db.corrupt",
        }
    }
}

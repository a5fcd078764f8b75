/// A stable, machine-readable error code, rendered into French only at the web edge.
///
/// Codes are part of the public contract (problem+json `code`, logs, dashboards): once shipped,
/// a code keeps its meaning. They are dotted lowercase, e.g. `db.unavailable`.
pub trait ErrorCode {
    /// The stable code of this error.
    fn code(&self) -> &'static str;
}

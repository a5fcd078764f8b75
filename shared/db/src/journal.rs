//! The append-only journal: one hash chain per tenant.
//!
//! Events are appended in the same transaction as the change they record (they take the
//! [`TenantConn`] of that change). The database computes `seq`, `occurred_at`, `prev_hash` and
//! `hash` in a trigger (see the migration), so the application can neither choose nor forge a
//! link. [`verify`] recomputes every hash here, in Rust, from the stored columns: a row edited
//! or deleted by someone who got around the grants and triggers breaks the chain at that row.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Text};
use diesel_async::RunQueryDsl;
use napoleon_kernel::{
    AgentId, ApiTokenId, AwardId, CampaignId, DossierId, JobId, JournalSeq, MembershipId,
    OrgUnitId, ProposalImportId, RegistryImportId, SavedViewId, TenantId,
};
use sha2::{Digest, Sha256};

use crate::schema::events;
use crate::{DbError, TenantConn, TenantRead};

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The platform itself (seeding, migrations, scheduled work), named by its component.
    System(&'static str),
    /// An agent.
    Agent(AgentId),
    /// A system calling the API with one of the tenant's tokens.
    ApiToken(ApiTokenId),
    /// A background job, acting for whoever enqueued it (its own record names them).
    Job(JobId),
}

impl Actor {
    /// As stored (`agent:<id>`, `token:<id>`, `job:<id>`, `system:<component>`).
    #[must_use]
    pub fn render(self) -> String {
        match self {
            Self::System(component) => format!("system:{component}"),
            Self::Agent(id) => format!("agent:{id}"),
            Self::ApiToken(id) => format!("token:{id}"),
            Self::Job(id) => format!("job:{id}"),
        }
    }
}

/// What the event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The tenant as a whole.
    Tenant(TenantId),
    /// One organisational unit.
    OrgUnit(OrgUnitId),
    /// One membership (a role granted at a unit).
    Membership(MembershipId),
    /// The tenant's authorization policy.
    Policy,
    /// The tenant's catalogue of distinctions.
    Catalogue,
    /// A campaign (and its list of decisions).
    Campaign(CampaignId),
    /// A nomination dossier.
    Dossier(DossierId),
    /// An award of the laureate registry not linked to a dossier.
    Award(AwardId),
    /// A background job.
    Job(JobId),
    /// One import of a file into the laureate registry.
    RegistryImport(RegistryImportId),
    /// One file of proposals imported into a campaign.
    ProposalImport(ProposalImportId),
    /// An agent's saved search.
    SavedView(SavedViewId),
}

impl Subject {
    fn render(self) -> String {
        match self {
            Self::Tenant(id) => format!("tenant:{id}"),
            Self::OrgUnit(id) => format!("org_unit:{id}"),
            Self::Membership(id) => format!("membership:{id}"),
            Self::Policy => "policy".to_owned(),
            Self::Catalogue => "catalogue".to_owned(),
            Self::Campaign(id) => format!("campaign:{id}"),
            Self::Dossier(id) => format!("dossier:{id}"),
            Self::Award(id) => format!("award:{id}"),
            Self::Job(id) => format!("job:{id}"),
            Self::RegistryImport(id) => format!("registry_import:{id}"),
            Self::ProposalImport(id) => format!("proposal_import:{id}"),
            Self::SavedView(id) => format!("saved_view:{id}"),
        }
    }
}

/// The kinds of event, each a stable dotted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A tenant was created.
    TenantCreated,
    /// An organisational unit was created.
    OrgUnitCreated,
    /// A role was granted (or an agent admitted without role).
    MembershipGranted,
    /// A grant was withdrawn.
    MembershipRevoked,
    /// Rules were added to the authorization policy.
    PolicyRulesAdded,
    /// Rules were removed from the authorization policy.
    PolicyRulesRemoved,
    /// Distinctions were added to the tenant's catalogue.
    CatalogueLoaded,
    /// A catalogue document was added or changed by the tenant.
    CatalogueUpdated,
    /// An admission rule was added.
    AdmissionRuleAdded,
    /// An admission rule was removed.
    AdmissionRuleRemoved,
    /// An operator changed how the tenant's agents log in: trusted providers, idps, acr.
    TenantLoginChanged,
    /// A campaign was created.
    CampaignCreated,
    /// A draft dossier was created.
    DossierCreated,
    /// A draft (or a dossier under complement) was saved.
    DossierSaved,
    /// The filing unit submitted the dossier.
    DossierSubmitted,
    /// An instructor took the dossier.
    DossierTaken,
    /// An instructor recorded an opinion.
    DossierOpinionGiven,
    /// The level was validated and the dossier transmitted to the ministry's bureau.
    DossierTransmitted,
    /// The dossier was returned to the filing unit for a complement.
    DossierReturned,
    /// The bureau changed the dossier's rank.
    DossierRanked,
    /// The bureau decided (retained, deferred, refused).
    DossierDecided,
    /// The campaign's list was closed (frozen).
    ListClosed,
    /// The decree was published: the retained dossier became an award.
    DossierPublished,
    /// The laureate's réception (prise de rang) was recorded.
    AwardReceived,
    /// A draft was created to propose a laureate for the next grade.
    DossierProposedForPromotion,
    /// Reads older than the retention period were removed from the read log.
    ReadLogPurged,
    /// An agent started a background job.
    JobRequested,
    /// An agent asked a background job to stop.
    JobCancelRequested,
    /// Finished jobs and delivered messages past their retention were removed.
    JobsPurged,
    /// A piece was attached to a dossier (its payload: the piece, its kind, its SHA-256).
    PieceAttached,
    /// A piece was withdrawn from a draft (it stays stored, in the dossier's history).
    PieceRemoved,
    /// clamd found a piece clean: it may be downloaded.
    PieceScanned,
    /// clamd found a piece infected: quarantined, never served.
    PieceQuarantined,
    /// The bureau established the dossier's final mémoire de proposition, stored as a piece
    /// (its payload: the piece, its SHA-256, the mémoire it replaced).
    MemoireEstablished,
    /// An import into the registry started (its file's name, SHA-256, size and format).
    RegistryImportStarted,
    /// One batch of an import committed: the file's SHA-256, the rows it covers and its counts
    /// (one event per batch, not per row).
    RegistryImportBatch,
    /// An import read its file's last row (its totals).
    RegistryImportFinished,
    /// An import was undone as a whole (what it had added removed).
    RegistryImportUndone,
    /// An export's file was downloaded by the agent who asked it (each download: the file
    /// holds personal data in bulk; the people it holds are in the read log once, when it was
    /// written).
    ExportDownloaded,
    /// An instructeur confirmed or dismissed a possible duplicate of a dossier (issue 18).
    DuplicateReviewed,
    /// The tenant opted in or out of the cross-ministry lookup of proposals (issue 18).
    TenantCrossMinistrySet,
    /// One batch of a file of proposals committed: the file's SHA-256, the rows it covers,
    /// the drafts it created and the rows already imported (each draft also has its own
    /// `dossier.created`).
    ProposalImportBatch,
    /// A file of proposals was recorded, checked or to import: its name, SHA-256, size, mode,
    /// campaign and unit (and the checked file it imports).
    ProposalImportStarted,
    /// A file of proposals was read to its end: its counts.
    ProposalImportFinished,
    /// An agent saved a search (its name, and the unit it is shared with).
    SavedViewCreated,
    /// An agent deleted a saved search.
    SavedViewDeleted,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [Self; 46] = [
        Self::TenantCreated,
        Self::OrgUnitCreated,
        Self::MembershipGranted,
        Self::MembershipRevoked,
        Self::PolicyRulesAdded,
        Self::PolicyRulesRemoved,
        Self::CatalogueLoaded,
        Self::CatalogueUpdated,
        Self::AdmissionRuleAdded,
        Self::AdmissionRuleRemoved,
        Self::TenantLoginChanged,
        Self::CampaignCreated,
        Self::DossierCreated,
        Self::DossierSaved,
        Self::DossierSubmitted,
        Self::DossierTaken,
        Self::DossierOpinionGiven,
        Self::DossierTransmitted,
        Self::DossierReturned,
        Self::DossierRanked,
        Self::DossierDecided,
        Self::ListClosed,
        Self::DossierPublished,
        Self::AwardReceived,
        Self::DossierProposedForPromotion,
        Self::ReadLogPurged,
        Self::JobRequested,
        Self::JobCancelRequested,
        Self::JobsPurged,
        Self::PieceAttached,
        Self::PieceRemoved,
        Self::PieceScanned,
        Self::PieceQuarantined,
        Self::MemoireEstablished,
        Self::RegistryImportStarted,
        Self::RegistryImportBatch,
        Self::RegistryImportFinished,
        Self::RegistryImportUndone,
        Self::ExportDownloaded,
        Self::DuplicateReviewed,
        Self::TenantCrossMinistrySet,
        Self::ProposalImportBatch,
        Self::ProposalImportStarted,
        Self::ProposalImportFinished,
        Self::SavedViewCreated,
        Self::SavedViewDeleted,
    ];

    /// Parses a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TenantCreated => "tenant.created",
            Self::OrgUnitCreated => "org_unit.created",
            Self::MembershipGranted => "membership.granted",
            Self::MembershipRevoked => "membership.revoked",
            Self::PolicyRulesAdded => "policy.rules_added",
            Self::PolicyRulesRemoved => "policy.rules_removed",
            Self::CatalogueLoaded => "catalogue.loaded",
            Self::CatalogueUpdated => "catalogue.updated",
            Self::AdmissionRuleAdded => "admission_rule.added",
            Self::AdmissionRuleRemoved => "admission_rule.removed",
            Self::TenantLoginChanged => "tenant.login_changed",
            Self::CampaignCreated => "campaign.created",
            Self::DossierCreated => "dossier.created",
            Self::DossierSaved => "dossier.saved",
            Self::DossierSubmitted => "dossier.submitted",
            Self::DossierTaken => "dossier.taken",
            Self::DossierOpinionGiven => "dossier.opinion_given",
            Self::DossierTransmitted => "dossier.transmitted",
            Self::DossierReturned => "dossier.returned",
            Self::DossierRanked => "dossier.ranked",
            Self::DossierDecided => "dossier.decided",
            Self::ListClosed => "campaign.list_closed",
            Self::DossierPublished => "dossier.published",
            Self::AwardReceived => "award.received",
            Self::DossierProposedForPromotion => "dossier.proposed_for_promotion",
            Self::ReadLogPurged => "readlog.purged",
            Self::JobRequested => "job.requested",
            Self::JobCancelRequested => "job.cancel_requested",
            Self::JobsPurged => "jobs.purged",
            Self::PieceAttached => "piece.attached",
            Self::PieceRemoved => "piece.removed",
            Self::PieceScanned => "piece.scanned",
            Self::PieceQuarantined => "piece.quarantined",
            Self::MemoireEstablished => "memoire.established",
            Self::RegistryImportStarted => "registry.import_started",
            Self::RegistryImportBatch => "registry.import_batch",
            Self::RegistryImportFinished => "registry.import_finished",
            Self::RegistryImportUndone => "registry.import_undone",
            Self::ExportDownloaded => "export.downloaded",
            Self::DuplicateReviewed => "dossier.duplicate_reviewed",
            Self::TenantCrossMinistrySet => "tenant.cross_ministry_set",
            Self::ProposalImportBatch => "proposals.import_batch",
            Self::ProposalImportStarted => "proposals.import_started",
            Self::ProposalImportFinished => "proposals.import_finished",
            Self::SavedViewCreated => "saved_view.created",
            Self::SavedViewDeleted => "saved_view.deleted",
        }
    }
}

/// Appends one event to the tenant's chain, inside the caller's transaction.
///
/// # Errors
/// [`DbError`] when the insert fails (the caller's transaction then fails as a whole).
pub async fn append(
    tx: &mut TenantConn,
    actor: Actor,
    subject: Subject,
    kind: EventKind,
    payload: serde_json::Value,
) -> Result<JournalSeq, DbError> {
    // Values as a tuple of columns: diesel keeps this statement prepared (a derived
    // `Insertable` may write DEFAULT for a column, so its statement is prepared at every call).
    let seq: i64 = diesel::insert_into(events::table)
        .values((
            events::tenant_id.eq(tx.tenant().as_uuid()),
            events::actor.eq(actor.render()),
            events::subject.eq(subject.render()),
            events::kind.eq(kind.as_str()),
            events::payload.eq(payload),
        ))
        .returning(events::seq)
        .get_result(tx.pg())
        .await?;
    // Counted when appended (the transaction may still roll back: the metric watches load,
    // the journal itself is the record).
    appends().add(1, &[opentelemetry::KeyValue::new("kind", kind.as_str())]);
    Ok(JournalSeq::new(seq))
}

fn appends() -> &'static opentelemetry::metrics::Counter<u64> {
    static COUNTER: std::sync::OnceLock<opentelemetry::metrics::Counter<u64>> =
        std::sync::OnceLock::new();
    COUNTER.get_or_init(|| {
        opentelemetry::global::meter("napoleon-db")
            .u64_counter("napoleon.journal.appends")
            .with_description("Journal events appended, by kind.")
            .build()
    })
}

/// One event of a subject's history, as the dossier page shows it.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// Its place in the tenant's chain.
    pub seq: i64,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who: the agent's display name, or the system component.
    pub actor: napoleon_kernel::Personal<String>,
    /// The event's kind.
    pub kind: EventKind,
    /// What the event recorded.
    pub payload: serde_json::Value,
}

/// Every event about `subject`, oldest first, with the actors' names.
///
/// Written with the query builder only (a raw `sql_query` or an SQL literal is prepared
/// again at every call, one more round trip and a plan each time).
///
/// # Errors
/// [`DbError`].
pub async fn timeline(
    tx: &impl TenantRead,
    subject: Subject,
) -> Result<Vec<TimelineEntry>, DbError> {
    use crate::schema::agents;
    type Row = (
        i64,
        chrono::DateTime<chrono::Utc>,
        String,
        Option<(String, String)>,
        String,
        serde_json::Value,
    );
    let rows: Vec<Row> = events::table
        // On the agents' primary key, by the agent's id stored with the event (migration
        // 000027): computed in the join, it kept PostgreSQL from the key under the agents'
        // row-level security, and every agent was scanned for each event.
        .left_join(agents::table.on(agents::id.nullable().eq(events::actor_agent_id)))
        .filter(events::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(events::subject.eq(subject.render()))
        .order(events::seq)
        .select((
            events::seq,
            events::occurred_at,
            events::actor,
            (agents::given_name, agents::usual_name).nullable(),
            events::kind,
            events::payload,
        ))
        .load(&mut tx.shared())
        .await?;
    rows.into_iter()
        .map(|(seq, at, actor, agent, kind, payload)| {
            Ok(TimelineEntry {
                seq,
                at,
                // The agent's name, or the actor as the journal names it (a job, a token).
                actor: napoleon_kernel::Personal::new(
                    agent.map_or(actor, |(given, usual)| format!("{given} {usual}")),
                ),
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| DbError::corrupt("events.kind", &kind))?,
                payload,
            })
        })
        .collect()
}

/// How many events of `kind` the tenant's journal holds (tests assert that refused requests
/// wrote nothing).
///
/// # Errors
/// [`DbError`].
pub async fn count_kind(tx: &mut TenantConn, kind: EventKind) -> Result<i64, DbError> {
    let tenant = tx.tenant().as_uuid();
    Ok(events::table
        .filter(events::tenant_id.eq(tenant))
        .filter(events::kind.eq(kind.as_str()))
        .count()
        .get_result(tx.pg())
        .await?)
}

/// One stored event as the verifier reads it: the payload and time in the exact text form the
/// chaining trigger hashed.
#[derive(QueryableByName, Debug)]
struct StoredLink {
    #[diesel(sql_type = Text)]
    tenant_text: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    payload_text: String,
    #[diesel(sql_type = BigInt)]
    occurred_micros: i64,
    #[diesel(sql_type = Bytea)]
    prev_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

/// Mirrors `journal.link_text` in the migration, byte for byte.
fn link_text(l: &StoredLink) -> String {
    let field = |s: &str| format!("{}:{s}\n", s.len());
    format!(
        "napoleon-journal-v1\n{}\n{}\n{}{}{}{}{}",
        l.tenant_text,
        l.seq,
        field(&l.actor),
        field(&l.subject),
        field(&l.kind),
        field(&l.payload_text),
        l.occurred_micros
    )
}

/// Why a link is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenReason {
    /// The sequence jumps: events are missing before this one.
    Gap {
        /// The sequence number expected here.
        expected: i64,
    },
    /// `prev_hash` is not the previous event's hash.
    PreviousHashMismatch,
    /// The stored hash does not match the event's contents.
    HashMismatch,
    /// Events were removed from the end of the chain.
    Truncated {
        /// The last sequence number the chain's head records.
        head_seq: i64,
    },
}

impl std::fmt::Display for BrokenReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gap { expected } => write!(f, "sequence gap: expected event {expected}"),
            Self::PreviousHashMismatch => {
                f.write_str("previous hash does not match the previous event")
            }
            Self::HashMismatch => {
                f.write_str("hash does not match the event's contents (row altered)")
            }
            Self::Truncated { head_seq } => {
                write!(f, "chain truncated: head records event {head_seq}")
            }
        }
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The first event that fails (or the missing position).
    pub seq: i64,
    /// What is wrong with it.
    pub reason: BrokenReason,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// How many events were read.
    pub events_checked: i64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// How many events the verifier reads per query.
const BATCH: i64 = 1000;

/// Recomputes the tenant's whole chain and names the first broken link.
///
/// `head_seq`, when known (the owner role can read `journal.heads`), also detects events
/// removed from the end.
///
/// # Errors
/// [`DbError`] when reading fails.
pub async fn verify(tx: &mut TenantConn, head_seq: Option<i64>) -> Result<Verification, DbError> {
    let tenant = tx.tenant().as_uuid();
    let mut expected_seq = 1_i64;
    let mut prev_hash: Vec<u8> = Vec::new();
    let mut checked = 0_i64;
    loop {
        let batch: Vec<StoredLink> = diesel::sql_query(
            "SELECT tenant_id::text AS tenant_text, seq, actor, subject, kind, \
                    payload::text AS payload_text, \
                    (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_micros, \
                    prev_hash, hash \
             FROM journal.events WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
        )
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<BigInt, _>(expected_seq)
        .bind::<BigInt, _>(BATCH)
        .load(tx.pg())
        .await?;
        let done = i64::try_from(batch.len()).unwrap_or(i64::MAX) < BATCH;
        for link in &batch {
            checked += 1;
            let broken = |reason| Verification {
                events_checked: checked,
                broken: Some(BrokenLink {
                    seq: link.seq,
                    reason,
                }),
            };
            if link.seq != expected_seq {
                return Ok(broken(BrokenReason::Gap {
                    expected: expected_seq,
                }));
            }
            if link.prev_hash != prev_hash {
                return Ok(broken(BrokenReason::PreviousHashMismatch));
            }
            let mut hasher = Sha256::new();
            hasher.update(link_text(link).as_bytes());
            hasher.update(&link.prev_hash);
            if hasher.finalize().as_slice() != link.hash.as_slice() {
                return Ok(broken(BrokenReason::HashMismatch));
            }
            prev_hash.clone_from(&link.hash);
            expected_seq += 1;
        }
        if done {
            break;
        }
    }
    let last = expected_seq - 1;
    if let Some(head_seq) = head_seq
        && head_seq > last
    {
        return Ok(Verification {
            events_checked: checked,
            broken: Some(BrokenLink {
                seq: last + 1,
                reason: BrokenReason::Truncated { head_seq },
            }),
        });
    }
    Ok(Verification {
        events_checked: checked,
        broken: None,
    })
}

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The chain head's sequence number. Only the owner role can read it.
///
/// # Errors
/// [`DbError`] when reading fails (for the application role: permission denied).
pub async fn head_seq(tx: &mut TenantConn) -> Result<Option<i64>, DbError> {
    let rows: Vec<HeadRow> =
        diesel::sql_query("SELECT seq FROM journal.heads WHERE tenant_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(tx.tenant().as_uuid())
            .load(tx.pg())
            .await?;
    Ok(rows.into_iter().next().map(|r| r.seq))
}

/// One event as shown on a timeline.
#[derive(Queryable, Debug, Clone)]
pub struct EventView {
    /// Position in the chain.
    pub seq: i64,
    /// Who.
    pub actor: String,
    /// About what.
    pub subject: String,
    /// What happened.
    pub kind: String,
    /// When.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The most recent events of the tenant, newest first.
///
/// # Errors
/// [`DbError`] when reading fails.
pub async fn recent(tx: &mut TenantConn, limit: i64) -> Result<Vec<EventView>, DbError> {
    let tenant = tx.tenant().as_uuid();
    Ok(events::table
        .filter(events::tenant_id.eq(tenant))
        .order(events::seq.desc())
        .limit(limit)
        .select((
            events::seq,
            events::actor,
            events::subject,
            events::kind,
            events::occurred_at,
        ))
        .load(tx.pg())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_text_is_length_prefixed() {
        let l = StoredLink {
            tenant_text: "t".into(),
            seq: 3,
            actor: "système".into(),
            subject: "s".into(),
            kind: "a.b".into(),
            payload_text: "{}".into(),
            occurred_micros: 42,
            prev_hash: vec![],
            hash: vec![],
        };
        // "système" is 8 bytes in UTF-8, as octet_length counts it.
        assert_eq!(
            link_text(&l),
            "napoleon-journal-v1\nt\n3\n8:système\n1:s\n3:a.b\n2:{}\n42"
        );
    }
}

//! Store for agents, memberships and admission rules: what login and the members' admin page
//! read and write.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_kernel::{AgentId, Email, MembershipId, OrgUnitId, Personal, Role, TenantId};

use crate::schema::{admission_exclusions, admission_rules, agents, memberships, org_units};
use crate::{DbError, IdentityConn, TenantConn};

fn drift(e: impl std::error::Error + Send + Sync + 'static) -> DbError {
    DbError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
}

/// What the identity provider asserted about an agent (already verified by the gateway).
#[derive(Debug, Clone)]
pub struct VerifiedClaims<'a> {
    /// Issuer URL.
    pub issuer: &'a str,
    /// Subject at that issuer.
    pub subject: &'a str,
    /// Email.
    pub email: &'a Email,
    /// First names.
    pub given_name: &'a Personal<String>,
    /// Usage name (ProConnect's `usual_name`).
    pub usual_name: &'a Personal<String>,
    /// ProConnect's identity provider id.
    pub idp_id: Option<&'a str>,
    /// The provider's `email_verified`, when it gives one (ProConnect does not).
    pub email_verified: Option<bool>,
}

impl VerifiedClaims<'_> {
    /// The e-mail, unless the provider declared it unverified: what may claim grants made to
    /// an e-mail, match an e-mail admission rule or pin an operator.
    #[must_use]
    pub fn claimable_email(&self) -> Option<&Email> {
        (self.email_verified != Some(false)).then_some(self.email)
    }
}

/// An agent.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Id.
    pub id: AgentId,
    /// Email.
    pub email: Email,
    /// First names.
    pub given_name: Personal<String>,
    /// Usage name.
    pub usual_name: Personal<String>,
    /// ProConnect's identity provider id.
    pub idp_id: Option<String>,
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Bool)]
    created: bool,
}

/// Creates the agent at first login, refreshes names and email at every later one. The
/// agents' row-level security lets this transaction touch exactly the agent of this issuer
/// and subject.
///
/// # Errors
/// [`DbError`].
pub async fn upsert_agent(
    conn: &mut AsyncPgConnection,
    claims: &VerifiedClaims<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Agent, bool), DbError> {
    use diesel::sql_types::{Nullable, Text, Timestamptz};
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction(conn).await?;
    let upserted = async {
        diesel::sql_query(
            "SELECT set_config('napoleon.login_issuer', $1, true), \
                    set_config('napoleon.login_subject', $2, true)",
        )
        .bind::<Text, _>(claims.issuer)
        .bind::<Text, _>(claims.subject)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO core.agents (id, issuer, subject, email, given_name, usual_name, \
                                      idp_id, email_verified, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (issuer, subject) DO UPDATE SET email = EXCLUDED.email, \
               given_name = EXCLUDED.given_name, usual_name = EXCLUDED.usual_name, \
               idp_id = EXCLUDED.idp_id, email_verified = EXCLUDED.email_verified, \
               last_login_at = EXCLUDED.last_login_at \
             RETURNING id, (xmax = 0) AS created",
        )
        .bind::<diesel::sql_types::Uuid, _>(AgentId::new().as_uuid())
        .bind::<Text, _>(claims.issuer)
        .bind::<Text, _>(claims.subject)
        .bind::<Text, _>(claims.email.expose())
        .bind::<Text, _>(claims.given_name.expose())
        .bind::<Text, _>(claims.usual_name.expose())
        .bind::<Nullable<Text>, _>(claims.idp_id)
        .bind::<Nullable<Bool>, _>(claims.email_verified)
        .bind::<Timestamptz, _>(now)
        .get_result::<Upserted>(conn)
        .await
    }
    .await;
    let row = match upserted {
        Ok(row) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            row
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(conn).await?;
            return Err(e.into());
        }
    };
    Ok((
        Agent {
            id: AgentId::from_uuid(row.id),
            email: claims.email.clone(),
            given_name: claims.given_name.clone(),
            usual_name: claims.usual_name.clone(),
            idp_id: claims.idp_id.map(str::to_owned),
        },
        row.created,
    ))
}

/// One grant seen at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// In which tenant.
    pub tenant_id: TenantId,
    /// At which unit.
    pub unit_id: OrgUnitId,
    /// Which role (none: admitted, waiting for a role).
    pub role: Option<Role>,
}

fn grant_from(
    (tenant, unit, role): (uuid::Uuid, uuid::Uuid, Option<String>),
) -> Result<Grant, DbError> {
    Ok(Grant {
        tenant_id: TenantId::from_uuid(tenant),
        unit_id: OrgUnitId::from_uuid(unit),
        role: role.map(|r| Role::parse(&r)).transpose().map_err(drift)?,
    })
}

/// The roles `agent` holds now in the transaction's tenant, at their units
/// (`core.agent_grants`, owner's rights: a job acting on an agent's behalf, run by a role
/// without access to the members, stops when a grant is withdrawn).
///
/// # Errors
/// [`DbError`].
pub async fn agent_grants(
    tx: &mut TenantConn,
    agent: AgentId,
) -> Result<Vec<(Role, OrgUnitId)>, DbError> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = diesel::sql_types::Text)]
        role: String,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        unit_id: uuid::Uuid,
    }
    let rows: Vec<Held> = diesel::sql_query("SELECT role, unit_id FROM core.agent_grants($1)")
        .bind::<diesel::sql_types::Uuid, _>(agent.as_uuid())
        .load(tx.pg())
        .await?;
    rows.into_iter()
        .map(|h| {
            let role = Role::parse(&h.role).map_err(|_| DbError::corrupt("role", &h.role))?;
            Ok((role, OrgUnitId::from_uuid(h.unit_id)))
        })
        .collect()
}

/// Links the grants made to the agent's email before its first login, then lists all the
/// agent's grants in every tenant.
///
/// # Errors
/// [`DbError`].
pub async fn claim_and_list_grants(ic: &mut IdentityConn) -> Result<Vec<Grant>, DbError> {
    let agent = ic.agent().as_uuid();
    // Row-level security limits both statements to this agent's (or its email's) rows.
    diesel::update(memberships::table.filter(memberships::agent_id.is_null()))
        .set(memberships::agent_id.eq(agent))
        .execute(ic.pg())
        .await?;
    let rows: Vec<(uuid::Uuid, uuid::Uuid, Option<String>)> = memberships::table
        .filter(memberships::agent_id.eq(agent))
        .select((
            memberships::tenant_id,
            memberships::unit_id,
            memberships::role,
        ))
        .load(ic.pg())
        .await?;
    rows.into_iter().map(grant_from).collect()
}

/// The tenants whose admission rules admit this agent (email domain or idp), but for those
/// where an administrator withdrew its last grant (see [`exclude_from_admission`]).
///
/// # Errors
/// [`DbError`].
pub async fn admitting_tenants(ic: &mut IdentityConn) -> Result<Vec<TenantId>, DbError> {
    #[derive(QueryableByName)]
    struct Admitting {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        tenant_id: uuid::Uuid,
    }
    // Row-level security shows only the rules admitting this agent, and its own exclusions.
    let rows: Vec<uuid::Uuid> = diesel::sql_query(
        "SELECT DISTINCT r.tenant_id FROM core.admission_rules r \
         WHERE NOT EXISTS (SELECT 1 FROM core.admission_exclusions x \
                           WHERE x.tenant_id = r.tenant_id AND x.agent_id = $1)",
    )
    .bind::<diesel::sql_types::Uuid, _>(ic.agent().as_uuid())
    .load::<Admitting>(ic.pg())
    .await?
    .into_iter()
    .map(|r| r.tenant_id)
    .collect();
    Ok(rows.into_iter().map(TenantId::from_uuid).collect())
}

/// What the gateway needs of an agent working in a tenant, read in one statement: their
/// grants in the transaction's tenant, the tenant's units, the tenant itself (its name and
/// the authentication level it requires), and the tenant's access stamp it was read at. The
/// gateway caches it under that stamp ([`crate::core::access_stamp`], read at every request),
/// which any change of these moves: a grant withdrawn, a unit added or a level raised applies
/// at the next request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The agent's grants in the tenant, in a stable order (the grant's time, then its id):
    /// the first filing unit is a draft's default.
    pub grants: Vec<Grant>,
    /// Every unit of the tenant, in [`crate::core::list_org_units`]'s order (shared: a kept
    /// context serves many requests).
    pub units: std::sync::Arc<Vec<crate::core::OrgUnit>>,
    /// The tenant (`None`: gone).
    pub tenant: Option<crate::core::Tenant>,
    /// The tenant's access stamp, read in the same snapshot as the rest (`None`: gone).
    pub stamp: Option<i64>,
}

/// The JSON `core.request_context` answers.
#[derive(serde::Deserialize)]
struct RequestContextJson {
    grants: Vec<(uuid::Uuid, Option<String>)>,
    units: Vec<crate::core::OrgUnitRow>,
    tenant: Option<crate::core::TenantRow>,
    stamp: Option<i64>,
}

diesel::define_sql_function! {
    /// `core.request_context` (migrations 000019, 000020).
    #[sql_name = "core.request_context"]
    fn request_context_fn(
        tenant: diesel::sql_types::Uuid,
        agent: diesel::sql_types::Uuid,
    ) -> diesel::sql_types::Json;
}

/// [`RequestContext`] for `agent` in the transaction's tenant.
///
/// # Errors
/// [`DbError`].
pub async fn request_context(
    tx: &mut TenantConn,
    agent: AgentId,
) -> Result<RequestContext, DbError> {
    let tenant = tx.tenant().as_uuid();
    // The same rows and orders as list_org_units and tenant_by_id, as JSON
    // aggregates of one function (row-level security applies to each subquery as to them).
    let json: serde_json::Value = diesel::select(request_context_fn(tenant, agent.as_uuid()))
        .get_result(tx.pg())
        .await?;
    let RequestContextJson {
        grants,
        units,
        tenant: found,
        stamp,
    } = serde_json::from_value(json).map_err(|_| DbError::corrupt("request_context", "<json>"))?;
    Ok(RequestContext {
        grants: grants
            .into_iter()
            .map(|(unit, role)| grant_from((tenant, unit, role)))
            .collect::<Result<_, _>>()?,
        units: std::sync::Arc::new(crate::core::org_units_from_rows(units)?),
        tenant: found.map(crate::core::TenantRow::into_tenant).transpose()?,
        stamp,
    })
}

/// Admits the agent who is logging in, by an admission rule of the transaction's tenant:
/// a membership without role at `unit`, linked to that agent (the login proved who it is).
/// Returns the membership and whether it was created, or `None` when this e-mail's place is
/// held by another agent (an earlier subject at a provider): that one keeps it, and this
/// agent is not admitted.
///
/// # Errors
/// [`DbError`].
pub async fn admit(
    tx: &mut TenantConn,
    agent: AgentId,
    email: &Email,
    unit: OrgUnitId,
) -> Result<Option<(MembershipId, bool)>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let roleless = memberships::table
        .filter(memberships::tenant_id.eq(tenant))
        .filter(memberships::unit_id.eq(unit.as_uuid()))
        .filter(memberships::role.is_null());
    let mine: Option<uuid::Uuid> = roleless
        .filter(memberships::agent_id.eq(agent.as_uuid()))
        .select(memberships::id)
        .first(tx.pg())
        .await
        .optional()?;
    if let Some(id) = mine {
        return Ok(Some((MembershipId::from_uuid(id), false)));
    }
    // A role-less grant made to this e-mail, not claimed yet: it is this agent's now.
    let linked: Option<uuid::Uuid> = diesel::update(
        roleless
            .filter(memberships::email.eq(email.expose()))
            .filter(memberships::agent_id.is_null()),
    )
    .set(memberships::agent_id.eq(agent.as_uuid()))
    .returning(memberships::id)
    .get_result(tx.pg())
    .await
    .optional()?;
    if let Some(id) = linked {
        return Ok(Some((MembershipId::from_uuid(id), false)));
    }
    let id = MembershipId::new();
    let inserted = diesel::insert_into(memberships::table)
        .values((
            memberships::tenant_id.eq(tenant),
            memberships::id.eq(id.as_uuid()),
            memberships::email.eq(email.expose()),
            memberships::agent_id.eq(agent.as_uuid()),
            memberships::unit_id.eq(unit.as_uuid()),
            memberships::role.eq(None::<&str>),
            memberships::granted_by.eq("admission"),
        ))
        .on_conflict_do_nothing()
        .execute(tx.pg())
        .await?;
    Ok((inserted == 1).then_some((id, true)))
}

/// Grants `role` (or plain admission, `None`) to `email` at `unit`. Returns the membership and
/// whether it was created.
///
/// # Errors
/// [`DbError`] (a unit of another tenant is not found: foreign key under RLS).
pub async fn grant(
    tx: &mut TenantConn,
    email: &Email,
    unit: OrgUnitId,
    role: Option<Role>,
    granted_by: &str,
) -> Result<(MembershipId, bool), DbError> {
    let tenant = tx.tenant().as_uuid();
    let existing: Option<uuid::Uuid> = memberships::table
        .filter(memberships::tenant_id.eq(tenant))
        .filter(memberships::email.eq(email.expose()))
        .filter(memberships::unit_id.eq(unit.as_uuid()))
        .filter(memberships::role.is_not_distinct_from(role.map(Role::as_str)))
        .select(memberships::id)
        .first(tx.pg())
        .await
        .optional()?;
    if let Some(id) = existing {
        return Ok((MembershipId::from_uuid(id), false));
    }
    // The grant is linked at once to an agent the tenant already knows (row-level security
    // shows no other) by this e-mail, not declared unverified, that came through a provider the
    // tenant trusts; only when exactly one does. Anyone else claims it at their next login,
    // through a trusted provider (core.memberships' claim policy).
    #[derive(QueryableByName)]
    struct Candidate {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let candidates: Vec<uuid::Uuid> = diesel::sql_query(
        "SELECT a.id FROM core.agents a JOIN core.tenants t ON t.id = $1 \
         WHERE a.email = $2 AND a.email_verified IS DISTINCT FROM false \
           AND a.issuer = ANY (t.trusted_issuers) \
           AND (cardinality(t.trusted_idp_ids) = 0 OR a.idp_id = ANY (t.trusted_idp_ids)) \
         LIMIT 2",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Text, _>(email.expose())
    .load::<Candidate>(tx.pg())
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    let agent = match candidates.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let id = MembershipId::new();
    diesel::insert_into(memberships::table)
        .values((
            memberships::tenant_id.eq(tenant),
            memberships::id.eq(id.as_uuid()),
            memberships::email.eq(email.expose()),
            memberships::agent_id.eq(agent),
            memberships::unit_id.eq(unit.as_uuid()),
            memberships::role.eq(role.map(Role::as_str)),
            memberships::granted_by.eq(granted_by),
        ))
        .execute(tx.pg())
        .await?;
    Ok((id, true))
}

/// Withdraws a grant; returns the agent who held it (whose sessions must end), if any.
///
/// # Errors
/// [`DbError`] (not found for another tenant's id).
pub async fn revoke(tx: &mut TenantConn, id: MembershipId) -> Result<Option<AgentId>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let agent: Option<uuid::Uuid> = diesel::delete(
        memberships::table
            .filter(memberships::tenant_id.eq(tenant))
            .filter(memberships::id.eq(id.as_uuid())),
    )
    .returning(memberships::agent_id)
    .get_result(tx.pg())
    .await?;
    Ok(agent.map(AgentId::from_uuid))
}

/// After a withdrawal: when `agent` holds no grant left in the transaction's tenant, the
/// tenant's admission rules no longer admit it automatically (an explicit grant still does).
/// Returns whether it was excluded now.
///
/// # Errors
/// [`DbError`].
pub async fn exclude_from_admission(
    tx: &mut TenantConn,
    agent: AgentId,
    by: &str,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().as_uuid();
    let left: i64 = memberships::table
        .filter(memberships::tenant_id.eq(tenant))
        .filter(memberships::agent_id.eq(agent.as_uuid()))
        .count()
        .get_result(tx.pg())
        .await?;
    if left > 0 {
        return Ok(false);
    }
    let inserted = diesel::insert_into(admission_exclusions::table)
        .values((
            admission_exclusions::tenant_id.eq(tenant),
            admission_exclusions::agent_id.eq(agent.as_uuid()),
            admission_exclusions::excluded_by.eq(by),
        ))
        .on_conflict_do_nothing()
        .execute(tx.pg())
        .await?;
    Ok(inserted == 1)
}

/// Locks the tenant's administrator grants at the ministry until the transaction ends: two
/// administrators withdrawing each other at once then run one after the other, so the second
/// sees the first's withdrawal and the last one is kept.
///
/// # Errors
/// [`DbError`].
pub async fn lock_ministry_administrators(tx: &mut TenantConn) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT m.id FROM core.memberships m \
         JOIN core.org_units u ON u.tenant_id = m.tenant_id AND u.id = m.unit_id \
         WHERE m.tenant_id = $1 AND m.role = 'administrateur' AND u.kind = 'ministere' \
         FOR UPDATE OF m",
    )
    .bind::<diesel::sql_types::Uuid, _>(tx.tenant().as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// How many administrators the tenant has at the ministry itself (the role that administers
/// the tenant: one at a lower unit does not).
///
/// # Errors
/// [`DbError`].
pub async fn ministry_administrators(tx: &mut TenantConn) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM core.memberships m \
         JOIN core.org_units u ON u.tenant_id = m.tenant_id AND u.id = m.unit_id \
         WHERE m.tenant_id = $1 AND m.role = 'administrateur' AND u.kind = 'ministere'",
    )
    .bind::<diesel::sql_types::Uuid, _>(tx.tenant().as_uuid())
    .get_result(tx.pg())
    .await?;
    Ok(row.n)
}

/// One line of the members' page.
#[derive(Debug, Clone)]
pub struct Member {
    /// The grant.
    pub id: MembershipId,
    /// To whom.
    pub email: Email,
    /// Names once the agent has logged in.
    pub names: Option<(Personal<String>, Personal<String>)>,
    /// At which unit.
    pub unit_id: OrgUnitId,
    /// The unit's name.
    pub unit_name: String,
    /// Which role.
    pub role: Option<Role>,
}

/// Every grant of the tenant, by email then unit.
///
/// # Errors
/// [`DbError`].
pub async fn list_members(tx: &mut TenantConn) -> Result<Vec<Member>, DbError> {
    let tenant = tx.tenant().as_uuid();
    type Row = (
        uuid::Uuid,
        String,
        Option<(String, String)>,
        uuid::Uuid,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = memberships::table
        .left_join(agents::table)
        .inner_join(
            org_units::table.on(org_units::tenant_id
                .eq(memberships::tenant_id)
                .and(org_units::id.eq(memberships::unit_id))),
        )
        .filter(memberships::tenant_id.eq(tenant))
        .order((memberships::email, org_units::code, memberships::role))
        .select((
            memberships::id,
            memberships::email,
            (agents::given_name, agents::usual_name).nullable(),
            memberships::unit_id,
            org_units::name,
            memberships::role,
        ))
        .load(tx.pg())
        .await?;
    rows.into_iter()
        .map(|(id, email, names, unit, unit_name, role)| {
            Ok(Member {
                id: MembershipId::from_uuid(id),
                email: Email::parse(&email).map_err(drift)?,
                names: names.map(|(g, u)| (Personal::new(g), Personal::new(u))),
                unit_id: OrgUnitId::from_uuid(unit),
                unit_name,
                role: role.map(|r| Role::parse(&r)).transpose().map_err(drift)?,
            })
        })
        .collect()
}

/// How an admission rule matches agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdmissionKind {
    /// By the domain of the email.
    EmailDomain,
    /// By ProConnect's `idp_id`.
    IdpId,
}

impl AdmissionKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::EmailDomain, Self::IdpId];

    /// The stored and posted name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EmailDomain => "email_domain",
            Self::IdpId => "idp_id",
        }
    }

    /// Parses a stored or posted name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One admission rule.
#[derive(Debug, Clone)]
pub struct AdmissionRule {
    /// Its id (for removal).
    pub id: uuid::Uuid,
    /// How it matches.
    pub kind: AdmissionKind,
    /// The domain or idp id.
    pub value: String,
}

/// The tenant's admission rules.
///
/// # Errors
/// [`DbError`].
pub async fn list_admission_rules(tx: &mut TenantConn) -> Result<Vec<AdmissionRule>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<(uuid::Uuid, String, String)> = admission_rules::table
        .filter(admission_rules::tenant_id.eq(tenant))
        .order((admission_rules::kind, admission_rules::value))
        .select((
            admission_rules::id,
            admission_rules::kind,
            admission_rules::value,
        ))
        .load(tx.pg())
        .await?;
    rows.into_iter()
        .map(|(id, kind, value)| {
            Ok(AdmissionRule {
                id,
                kind: AdmissionKind::parse(&kind)
                    .ok_or_else(|| DbError::corrupt("admission_rules.kind", &kind))?,
                value,
            })
        })
        .collect()
}

/// Removes an admission rule; false if there was none with this id in the tenant.
///
/// # Errors
/// [`DbError`].
pub async fn remove_admission_rule(tx: &mut TenantConn, id: uuid::Uuid) -> Result<bool, DbError> {
    let tenant = tx.tenant().as_uuid();
    Ok(diesel::delete(
        admission_rules::table
            .filter(admission_rules::tenant_id.eq(tenant))
            .filter(admission_rules::id.eq(id)),
    )
    .execute(tx.pg())
    .await?
        == 1)
}

/// Adds an admission rule to the tenant.
///
/// # Errors
/// [`DbError`].
pub async fn add_admission_rule(
    tx: &mut TenantConn,
    kind: AdmissionKind,
    value: &str,
) -> Result<(), DbError> {
    let tenant = tx.tenant().as_uuid();
    diesel::insert_into(admission_rules::table)
        .values((
            admission_rules::tenant_id.eq(tenant),
            admission_rules::id.eq(uuid::Uuid::now_v7()),
            admission_rules::kind.eq(kind.as_str()),
            admission_rules::value.eq(value.to_lowercase()),
        ))
        .on_conflict_do_nothing()
        .execute(tx.pg())
        .await?;
    Ok(())
}

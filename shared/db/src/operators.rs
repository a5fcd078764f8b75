//! Store for the platform operators (`core.operators`): added with an e-mail and the issuer it
//! must come through (`napoleon operators add`), pinned to the agent — hence to issuer and
//! subject — at the first login through that issuer with an e-mail the provider did not
//! declare unverified. From then on the e-mail no longer matters.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_kernel::{AgentId, Email};

use crate::DbError;
use crate::schema::operators;

/// One operator, as the operators' page and `napoleon operators list` show them.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The e-mail they were added with.
    pub email: Email,
    /// The provider they must log in through.
    pub issuer: String,
    /// When their first login pinned them (none yet: still waiting).
    pub pinned_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Adds an operator; false when the e-mail is already one (nothing changes then).
///
/// # Errors
/// [`DbError`].
pub async fn add(
    conn: &mut AsyncPgConnection,
    email: &Email,
    issuer: &str,
) -> Result<bool, DbError> {
    let added = diesel::insert_into(operators::table)
        .values((
            operators::email.eq(email.expose()),
            operators::issuer.eq(issuer),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(added == 1)
}

/// Removes an operator; false when there was none with this e-mail.
///
/// # Errors
/// [`DbError`].
pub async fn remove(conn: &mut AsyncPgConnection, email: &Email) -> Result<bool, DbError> {
    let removed = diesel::delete(operators::table.find(email.expose()))
        .execute(conn)
        .await?;
    Ok(removed == 1)
}

/// Every operator, by e-mail.
///
/// # Errors
/// [`DbError`].
pub async fn list(conn: &mut AsyncPgConnection) -> Result<Vec<Operator>, DbError> {
    let rows: Vec<(String, String, Option<chrono::DateTime<chrono::Utc>>)> = operators::table
        .order(operators::email)
        .select((operators::email, operators::issuer, operators::pinned_at))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(email, issuer, pinned_at)| {
            Ok(Operator {
                email: Email::parse(&email)
                    .map_err(|_| DbError::corrupt("operators.email", "not an e-mail"))?,
                issuer,
                pinned_at,
            })
        })
        .collect()
}

/// Whether the agent who just logged in through `issuer` is an operator: pinned already, or
/// added with this e-mail and issuer and pinned now. `claimable_email` is `None` when the
/// provider declared the e-mail unverified: such a login pins nothing.
///
/// # Errors
/// [`DbError`].
pub async fn pin_at_login(
    conn: &mut AsyncPgConnection,
    agent: AgentId,
    issuer: &str,
    claimable_email: Option<&Email>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DbError> {
    if let Some(email) = claimable_email {
        let pinned = diesel::update(
            operators::table
                .filter(operators::email.eq(email.expose()))
                .filter(operators::issuer.eq(issuer))
                .filter(operators::agent_id.is_null()),
        )
        .set((
            operators::agent_id.eq(agent.as_uuid()),
            operators::pinned_at.eq(now),
        ))
        .execute(conn)
        .await?;
        if pinned > 0 {
            // Rare and powerful: say so in the logs (the agent's id, not the e-mail).
            tracing::warn!(agent.id = %agent, issuer, "platform operator pinned at first login");
        }
    }
    is_operator(conn, agent).await
}

/// Whether `agent` is a (pinned) operator: asked at every request of an operator's session,
/// so a removal applies at once.
///
/// # Errors
/// [`DbError`].
pub async fn is_operator(conn: &mut AsyncPgConnection, agent: AgentId) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        operators::table.filter(operators::agent_id.eq(agent.as_uuid())),
    ))
    .get_result(conn)
    .await?)
}

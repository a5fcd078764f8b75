//! Idempotency keys on creates (the API's `Idempotency-Key`, the pages' hidden
//! `idempotency_key`): a create retried with the key of an earlier request answers what that
//! request created, and creates nothing more; the same key for another request is a 409
//! (`request.key_reused`). Keys belong to the agent: another agent's key is another key.

use napoleon_db::TenantConn;
use napoleon_kernel::{AgentId, CampaignId, DossierId, IdempotencyKey};
use napoleon_web::{ActionResult, Conflict};

use crate::store::{self, Created};

/// One create under an optional idempotency key.
pub(crate) struct Once<'k> {
    key: Option<&'k IdempotencyKey>,
    agent: AgentId,
    fingerprint: String,
}

impl<'k> Once<'k> {
    /// `kind` names the create (one key cannot serve a campaign and then a dossier) and
    /// `asked` what the request asked, as it asked it (before defaults are resolved).
    pub(crate) fn new(
        key: Option<&'k IdempotencyKey>,
        agent: AgentId,
        kind: &str,
        asked: &[&[u8]],
    ) -> Self {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        hash.update(kind.as_bytes());
        for part in asked {
            // Length-prefixed, so no two different requests hash the same parts.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Self {
            key,
            agent,
            fingerprint: format!("{:x}", hash.finalize()),
        }
    }

    /// What an earlier request with this key created (the caller answers it, unchanged), or
    /// a 409 when that request asked something else.
    pub(crate) async fn earlier(&self, tx: &mut TenantConn) -> ActionResult<Option<Created>> {
        let Some(key) = self.key else {
            return Ok(None);
        };
        match store::keyed_creation(tx, self.agent, key, &self.fingerprint).await? {
            None => Ok(None),
            Some((created, true)) => Ok(Some(created)),
            Some((_, false)) => Err(Conflict::KeyReused.into()),
        }
    }

    /// Remembers what this request created. When a twin request with the same key committed
    /// first, what the twin created: the caller rolls its own work back and answers that.
    pub(crate) async fn remember(
        &self,
        tx: &mut TenantConn,
        created: Created,
    ) -> ActionResult<Option<Created>> {
        let Some(key) = self.key else {
            return Ok(None);
        };
        if store::remember_key(tx, self.agent, key, &self.fingerprint, created).await? {
            return Ok(None);
        }
        match self.earlier(tx).await? {
            Some(twin) => Ok(Some(twin)),
            // The row we collided with is gone: nothing to answer but a retry.
            None => Err(Conflict::Changed.into()),
        }
    }
}

impl Created {
    /// The dossier created (a key that created something else was used for another request).
    pub(crate) fn dossier(self) -> ActionResult<DossierId> {
        match self {
            Created::Dossier(id) => Ok(id),
            Created::Campaign(_) => Err(Conflict::KeyReused.into()),
        }
    }

    /// The campaign created.
    pub(crate) fn campaign(self) -> ActionResult<CampaignId> {
        match self {
            Created::Campaign(id) => Ok(id),
            Created::Dossier(_) => Err(Conflict::KeyReused.into()),
        }
    }
}

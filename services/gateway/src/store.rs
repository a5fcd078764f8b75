//! The gateway's queries. Its tables — tenants and units (`core`), agents, memberships and
//! admission rules (`identity`), sessions, the policy (`authz`) and the catalogue — are read
//! by every service, by login across tenants (the identity transaction) and by the CLI, so
//! their queries live in `shared/db`; this module names the ones the gateway's domain uses,
//! so the gateway has the same rooms as every service (`domain` calls `store`, never SQL).

pub(crate) use napoleon_db::{catalogue, contracts, core, identity, operators, policy, readlog};

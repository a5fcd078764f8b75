//! The vocabulary every Napoléon crate shares: typed identifiers, parsed value types, wrappers
//! that keep secrets and personal data out of logs, and stable error codes.
//!
//! **Architecture invariant:** this crate performs no IO and depends on no web, database or
//! template crate (checked in CI with `cargo tree -i`). Values here are parsed once at the edge
//! ("parse, don't validate"): holding a [`TenantSlug`] proves the text was valid.

mod clock;
mod code;
mod email;
mod idempotency;
mod ids;
mod masked;
mod org;
pub mod proconnect;
mod role;

pub use clock::{Clock, ClockHand, paris_date};
pub use code::ErrorCode;
pub use email::Email;
pub use idempotency::IdempotencyKey;
pub use ids::{
    AgentId, ApiTokenId, AwardId, CampaignId, DossierId, JobId, JournalSeq, LaureateId,
    MembershipId, MessageId, OrgUnitId, PieceId, ProposalImportId, RegistryImportId, RequestId,
    SavedViewId, TenantId,
};
pub use masked::{Personal, Secret};
pub use org::{OrgUnitCode, OrgUnitKind, ParseError, TenantSlug};
pub use role::Role;

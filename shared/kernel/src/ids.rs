use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Declares a UUID-backed identifier that cannot be confused with another kind of id. There is
/// no `Default`: an id is minted on purpose ([`new`](TenantId::new)) or read from storage, a
/// verified assertion or a path ([`FromStr`](std::str::FromStr)), never made up silently.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random id (UUIDv7: time-ordered, which keeps B-tree inserts local).
            #[must_use]
            #[expect(
                clippy::new_without_default,
                reason = "a random id must be minted on purpose, never by a derived Default"
            )]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an id read from storage or a verified assertion.
            #[must_use]
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The raw UUID, for storage.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A tenant: one ministry (or its training sandbox).
    TenantId
);
uuid_id!(
    /// An organisational unit of a tenant (ministry, direction, préfecture…).
    OrgUnitId
);
uuid_id!(
    /// An agent: a person who logs in (through ProConnect), in one or more tenants.
    AgentId
);
uuid_id!(
    /// One grant of a role to an agent (or an email) at a unit.
    MembershipId
);
uuid_id!(
    /// A campaign (« Légion d'honneur — promotion du 14 juillet 2027 »).
    CampaignId
);
uuid_id!(
    /// A nomination dossier.
    DossierId
);
uuid_id!(
    /// A piece of a dossier (an attached document): also its key in object storage.
    PieceId
);
uuid_id!(
    /// A person in the laureate registry.
    LaureateId
);
uuid_id!(
    /// One award of the laureate registry (a distinction at a grade, for one person).
    AwardId
);
uuid_id!(
    /// An API token a tenant issues to a system that calls Napoléon.
    ApiTokenId
);
uuid_id!(
    /// A background job (an import, an export, a delivery…).
    JobId
);
uuid_id!(
    /// One import of a file into the laureate registry.
    RegistryImportId
);
uuid_id!(
    /// One file of proposals checked or imported into a campaign by a unit.
    ProposalImportId
);
uuid_id!(
    /// A search of dossiers an agent saved under a name.
    SavedViewId
);
uuid_id!(
    /// An outbox message: stable across delivery attempts, so receivers deduplicate on it.
    MessageId
);
uuid_id!(
    /// The id of one HTTP request, shown on error pages and carried in logs and spans.
    RequestId
);

/// Position of an event in a tenant's journal hash chain (1-based, gapless).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JournalSeq(i64);

impl JournalSeq {
    /// Wraps a sequence number read from storage.
    #[must_use]
    pub const fn new(seq: i64) -> Self {
        Self(seq)
    }

    /// The raw number.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for JournalSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_different_kinds_print_their_kind() {
        let id = Uuid::nil();
        assert_eq!(
            format!("{:?}", TenantId::from_uuid(id)),
            "TenantId(00000000-0000-0000-0000-000000000000)"
        );
        assert_eq!(
            OrgUnitId::from_uuid(id).to_string(),
            "00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = TenantId::new();
        let b = TenantId::new();
        assert!(a < b, "UUIDv7 ids should sort by creation: {a} !< {b}");
    }
}

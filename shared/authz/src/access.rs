//! Authorization as a capability.
//!
//! A use case reads the agent's [`Access`] once (its grants, the tenant's unit tree and the
//! policy, in the use case's own transaction), then asks it for a proof: an
//! [`Authorized<P>`] for one typed permission `P` in one [`Scope`]. Functions that change
//! something take that proof as an argument. The proof has private fields and no public
//! constructor, so the only way to call such a function is through a decision made here:
//!
//! ```no_run
//! use napoleon_authz::{Access, Authorized, Refusal, Scope, perm};
//! // A domain function that takes a dossier in charge needs the proof …
//! fn take(_proof: &Authorized<perm::InstructionTake>) {}
//! // … which a use case gets from the agent's access, in the scope of the dossier.
//! fn use_case(access: &Access, at: napoleon_kernel::OrgUnitId) -> Result<(), Refusal> {
//!     let proof = access.authorize::<perm::InstructionTake>(Scope::Unit(at))?;
//!     take(&proof);
//!     Ok(())
//! }
//! ```
//!
//! It cannot be made up: its fields are private (E0451) …
//!
//! ```compile_fail,E0451
//! use napoleon_authz::{Authorized, Scope, perm};
//! fn take(_proof: &Authorized<perm::InstructionTake>) {}
//! let forged = Authorized::<perm::InstructionTake> {
//!     agent: napoleon_kernel::AgentId::new(),
//!     scope: Scope::Anywhere,
//!     permission: std::marker::PhantomData,
//! };
//! take(&forged);
//! ```
//!
//! … a proof for another permission does not do (E0308) …
//!
//! ```compile_fail,E0308
//! use napoleon_authz::{Authorized, perm};
//! fn take(_proof: &Authorized<perm::InstructionTake>) {}
//! fn read_only(proof: &Authorized<perm::NominationRead>) {
//!     take(proof);
//! }
//! ```
//!
//! … and the function cannot be called without one (E0061).
//!
//! ```compile_fail,E0061
//! use napoleon_authz::{Authorized, perm};
//! fn take(_proof: &Authorized<perm::InstructionTake>) {}
//! take();
//! ```
//!
//! Scopes are decided here and nowhere else: a role held at a unit covers that unit's
//! subtree; « central » roles are those held at the ministry or at one of its central bureaux
//! (the `direction` units right under it); « ministry » roles are those held at the ministry
//! itself (tenant administration).

use std::marker::PhantomData;
use std::sync::Arc;

use napoleon_db::core::OrgUnit;
use napoleon_kernel::{AgentId, OrgUnitId, OrgUnitKind, Role, TenantId};

use crate::{AuthzError, Permission, Policy};

/// Where a permission must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Somewhere in the tenant: only to open a page whose rows are then checked one by one.
    Anywhere,
    /// On a resource held by this unit: roles held at the unit or above it.
    Unit(OrgUnitId),
    /// For the whole tenant (campaigns, the registry, the radar): roles held at the ministry
    /// or at one of its central bureaux. A role at a préfecture never counts.
    Central,
    /// The ministry itself (members, policy, catalogue): roles held at the root unit only.
    Ministry,
}

/// Why a proof was not given.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The agent's roles in that scope do not allow it.
    #[error("denied")]
    Denied,
    /// The resource is not for this agent to know of (another unit's draft): the same answer
    /// as an unknown id.
    #[error("hidden")]
    Hidden,
    /// The decision could not be made.
    #[error(transparent)]
    Engine(#[from] AuthzError),
}

mod sealed {
    pub trait Sealed {}
}

/// A permission known at compile time: the type a proof is for.
pub trait Perm: sealed::Sealed {
    /// The permission the policy decides.
    const PERMISSION: Permission;
}

/// The typed permissions, one type each, named `<Resource><Action>`.
pub mod perm {
    use super::{Perm, sealed};
    use crate::{Action, Permission, Resource};

    macro_rules! perms {
        ($($name:ident = $resource:ident : $action:ident),* $(,)?) => {$(
            #[doc = concat!("`", stringify!($resource), "`, `", stringify!($action), "`.")]
            #[derive(Debug, Clone, Copy)]
            pub enum $name {}
            impl sealed::Sealed for $name {}
            impl Perm for $name {
                const PERMISSION: Permission = Permission {
                    resource: Resource::$resource,
                    action: Action::$action,
                };
            }
        )*};
    }

    perms! {
        HomeRead = Home: Read,
        CampaignRead = Campaign: Read,
        CampaignManage = Campaign: Manage,
        NominationRead = Nomination: Read,
        NominationCreate = Nomination: Create,
        NominationUpdate = Nomination: Update,
        NominationSubmit = Nomination: Submit,
        InstructionRead = Instruction: Read,
        InstructionTake = Instruction: Take,
        InstructionOpine = Instruction: Opine,
        InstructionTransmit = Instruction: Transmit,
        InstructionValidate = Instruction: Validate,
        InstructionReturn = Instruction: Return,
        InstructionExport = Instruction: Export,
        DecisionRead = Decision: Read,
        DecisionRank = Decision: Rank,
        DecisionDecide = Decision: Decide,
        DecisionPublish = Decision: Publish,
        DecisionReceive = Decision: Receive,
        DecisionExport = Decision: Export,
        RegistryRead = Registry: Read,
        RegistryManage = Registry: Manage,
        RegistryExport = Registry: Export,
        RadarRead = Radar: Read,
        RadarPropose = Radar: Propose,
        RadarExport = Radar: Export,
        EligibilityCheck = Eligibility: Check,
        MembersRead = Members: Read,
        MembersManage = Members: Manage,
        PolicyRead = Policy: Read,
        PolicyManage = Policy: Manage,
        CatalogueRead = Catalogue: Read,
        CatalogueManage = Catalogue: Manage,
        ReadLogRead = ReadLog: Read,
        ReadLogManage = ReadLog: Manage,
    }
}

/// The proof that the agent may do `P` in a scope, given by [`Access::authorize`] only.
#[must_use = "a proof is taken by the function that acts"]
pub struct Authorized<P: Perm> {
    agent: AgentId,
    scope: Scope,
    permission: PhantomData<fn() -> P>,
}

impl<P: Perm> Authorized<P> {
    /// Who was authorized (the journal's actor).
    #[must_use]
    pub fn agent(&self) -> AgentId {
        self.agent
    }

    /// Where.
    #[must_use]
    pub fn scope(&self) -> Scope {
        self.scope
    }
}

impl<P: Perm> std::fmt::Debug for Authorized<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("permission", &P::PERMISSION)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// An agent's access in one tenant, read once per use case: the grants, the unit tree and
/// the policy. Every check afterwards is made in memory.
pub struct Access {
    agent: AgentId,
    tenant: TenantId,
    grants: Vec<(Role, OrgUnitId)>,
    units: Arc<Vec<OrgUnit>>,
    policy: Arc<Policy>,
    stamp: i64,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("agent", &self.agent)
            .field("tenant", &self.tenant)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl Access {
    pub(crate) fn new(
        agent: AgentId,
        tenant: TenantId,
        grants: Vec<(Role, OrgUnitId)>,
        units: Arc<Vec<OrgUnit>>,
        policy: Arc<Policy>,
        stamp: i64,
    ) -> Self {
        Self {
            agent,
            tenant,
            grants,
            units,
            policy,
            stamp,
        }
    }

    /// The tenant's access stamp this access was read at: what is kept per tenant (the
    /// parsed catalogue) is kept under it.
    #[must_use]
    pub fn stamp(&self) -> i64 {
        self.stamp
    }

    /// Who.
    #[must_use]
    pub fn agent(&self) -> AgentId {
        self.agent
    }

    /// In which tenant.
    #[must_use]
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The tenant's units, as read for this use case.
    #[must_use]
    pub fn units(&self) -> &[OrgUnit] {
        &self.units
    }

    /// Whether `unit` is one of the tenant's (another tenant's unit is unknown here).
    #[must_use]
    pub fn knows(&self, unit: OrgUnitId) -> bool {
        self.units.iter().any(|u| u.id == unit)
    }

    /// The agent's grants.
    #[must_use]
    pub fn grants(&self) -> &[(Role, OrgUnitId)] {
        &self.grants
    }

    /// `unit` and every unit above it, up to the ministry (empty if it is not the tenant's):
    /// the units whose roles cover it.
    #[must_use]
    pub fn ancestors_or_self(&self, unit: OrgUnitId) -> Vec<OrgUnitId> {
        let mut out = Vec::new();
        let mut next = Some(unit);
        while let Some(id) = next {
            // A cycle cannot be stored (parents are created first), but never loop on one.
            if out.contains(&id) {
                break;
            }
            let Some(u) = self.units.iter().find(|u| u.id == id) else {
                break;
            };
            out.push(id);
            next = u.parent_id;
        }
        out
    }

    /// `roots` and every unit below them.
    #[must_use]
    pub fn subtree(&self, roots: &[OrgUnitId]) -> Vec<OrgUnitId> {
        napoleon_db::core::subtree(&self.units, roots)
    }

    /// The ministry: the root unit.
    #[must_use]
    pub fn root(&self) -> Option<OrgUnitId> {
        self.units
            .iter()
            .find(|u| u.parent_id.is_none())
            .map(|u| u.id)
    }

    /// The units whose roles count for `scope`.
    fn covering(&self, scope: Scope) -> Option<Vec<OrgUnitId>> {
        let root = self.root();
        match scope {
            Scope::Anywhere => None,
            Scope::Unit(unit) => Some(self.ancestors_or_self(unit)),
            Scope::Ministry => Some(root.into_iter().collect()),
            Scope::Central => Some(
                self.units
                    .iter()
                    .filter(|u| {
                        u.parent_id.is_none()
                            || (u.kind == OrgUnitKind::Direction && u.parent_id == root)
                    })
                    .map(|u| u.id)
                    .collect(),
            ),
        }
    }

    /// The roles that count for `scope`.
    fn roles_for(&self, scope: Scope) -> Vec<Role> {
        let covering = self.covering(scope);
        self.grants
            .iter()
            .filter(|(_, at)| covering.as_ref().is_none_or(|c| c.contains(at)))
            .map(|(role, _)| *role)
            .collect()
    }

    /// Whether the agent may do `permission` in `scope` (for a page's offered actions and
    /// the gateway's route table; an act takes a proof from [`Self::authorize`]).
    ///
    /// # Errors
    /// [`AuthzError::Casbin`] when the engine fails.
    pub fn allows(&self, permission: Permission, scope: Scope) -> Result<bool, AuthzError> {
        self.policy.allows(&self.roles_for(scope), permission)
    }

    /// The proof that the agent may do `P` in `scope`: a unit, the central level or the
    /// ministry; never [`Scope::Anywhere`], which only opens pages.
    ///
    /// # Errors
    /// [`Refusal::Denied`], or [`Refusal::Engine`] when the engine fails.
    pub fn authorize<P: Perm>(&self, scope: Scope) -> Result<Authorized<P>, Refusal> {
        // An act always has a place: « somewhere » opens a page, it never authorizes a change.
        if scope == Scope::Anywhere {
            return Err(Refusal::Denied);
        }
        if self.allows(P::PERMISSION, scope)? {
            Ok(Authorized {
                agent: self.agent,
                scope,
                permission: PhantomData,
            })
        } else {
            Err(Refusal::Denied)
        }
    }

    /// Refuses unless the agent may do `P` in `scope`: the gate of a read, which changes
    /// nothing and so needs no proof to hand on.
    ///
    /// # Errors
    /// [`Refusal::Denied`], or [`Refusal::Engine`] when the engine fails.
    pub fn require<P: Perm>(&self, scope: Scope) -> Result<(), Refusal> {
        if self.allows(P::PERMISSION, scope)? {
            Ok(())
        } else {
            Err(Refusal::Denied)
        }
    }

    /// Whether the agent may do `P` in `scope`.
    ///
    /// # Errors
    /// [`AuthzError::Casbin`] when the engine fails.
    pub fn may<P: Perm>(&self, scope: Scope) -> Result<bool, AuthzError> {
        self.allows(P::PERMISSION, scope)
    }

    /// The units where one of the agent's grants allows `P` by the tenant's policy (each
    /// grant's unit once, in grant order): e.g. the units it files nominations for, whatever
    /// role the ministry gave that permission to.
    ///
    /// # Errors
    /// [`AuthzError::Casbin`] when the engine fails.
    pub fn units_where<P: Perm>(&self) -> Result<Vec<OrgUnitId>, AuthzError> {
        let mut units = Vec::new();
        for (role, unit) in &self.grants {
            if !units.contains(unit) && self.policy.allows(&[*role], P::PERMISSION)? {
                units.push(*unit);
            }
        }
        Ok(units)
    }

    /// Whether the agent instructs on the circuit of a dossier filed by `filed_by` and now at
    /// `level` (gives or validates opinions at either unit, or above): who opens the kinds of
    /// piece the catalogue restricts (the bulletin n° 2). Intake serves them by this rule,
    /// instruction's page offers their links by it.
    ///
    /// # Errors
    /// [`Refusal::Engine`].
    pub fn instructs_circuit(
        &self,
        filed_by: OrgUnitId,
        level: OrgUnitId,
    ) -> Result<bool, Refusal> {
        for unit in [filed_by, level] {
            if self.may::<perm::InstructionOpine>(Scope::Unit(unit))?
                || self.may::<perm::InstructionValidate>(Scope::Unit(unit))?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The proof to read a dossier filed by `filed_by` and now at `level`: roles covering
    /// either unit. A draft is its authors' alone until it is submitted — those who may edit
    /// nominations of the filing unit, not the instruction roles that also read there: to
    /// anyone else it is [`Refusal::Hidden`], the same answer as an unknown id.
    ///
    /// # Errors
    /// [`Refusal::Denied`], [`Refusal::Hidden`], or [`Refusal::Engine`].
    pub fn read_dossier(
        &self,
        filed_by: OrgUnitId,
        level: OrgUnitId,
        draft: bool,
    ) -> Result<Authorized<perm::NominationRead>, Refusal> {
        if draft && !self.may::<perm::NominationUpdate>(Scope::Unit(filed_by))? {
            return Err(Refusal::Hidden);
        }
        match self.authorize(Scope::Unit(filed_by)) {
            Err(Refusal::Denied) if draft => Err(Refusal::Hidden),
            Err(Refusal::Denied) => self.authorize(Scope::Unit(level)),
            other => other,
        }
    }
}

/// What a route acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// The agent's home page.
    Home,
    /// Campaigns (« LH — promotion du 14 juillet »).
    Campaign,
    /// Nomination files.
    Nomination,
    /// The review circuit of a nomination.
    Instruction,
    /// Committee work, decisions and publication.
    Decision,
    /// The laureate registry.
    Registry,
    /// The promotion radar.
    Radar,
    /// The eligibility engine.
    Eligibility,
    /// Memberships and roles of the tenant.
    Members,
    /// The tenant's authorization policy.
    Policy,
    /// Organisational units.
    Units,
    /// The journal.
    Journal,
    /// The tenant's catalogue of distinctions.
    Catalogue,
    /// The personal-data read log.
    ReadLog,
}

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read.
    Read,
    /// Create.
    Create,
    /// Update.
    Update,
    /// Submit a nomination.
    Submit,
    /// Take ownership of a dossier.
    Take,
    /// Record an opinion (avis).
    Opine,
    /// Transmit to the next level.
    Transmit,
    /// Return for a complement.
    Return,
    /// Sign off a level (four-eyes).
    Validate,
    /// Rank within quotas.
    Rank,
    /// Decide.
    Decide,
    /// Record the publication.
    Publish,
    /// Record the réception.
    Receive,
    /// Propose for the next grade.
    Propose,
    /// Run an eligibility check.
    Check,
    /// Administer.
    Manage,
    /// Take a whole list away as a file (an export: more than reading it a page at a time).
    Export,
}

/// A route's permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// On what.
    pub resource: Resource,
    /// Doing what.
    pub action: Action,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Self; 14] = [
        Self::Home,
        Self::Campaign,
        Self::Nomination,
        Self::Instruction,
        Self::Decision,
        Self::Registry,
        Self::Radar,
        Self::Eligibility,
        Self::Members,
        Self::Policy,
        Self::Units,
        Self::Journal,
        Self::Catalogue,
        Self::ReadLog,
    ];

    /// The policy name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Campaign => "campaign",
            Self::Nomination => "nomination",
            Self::Instruction => "instruction",
            Self::Decision => "decision",
            Self::Registry => "registry",
            Self::Radar => "radar",
            Self::Eligibility => "eligibility",
            Self::Members => "members",
            Self::Policy => "policy",
            Self::Units => "units",
            Self::Journal => "journal",
            Self::Catalogue => "catalogue",
            Self::ReadLog => "readlog",
        }
    }
}

impl Action {
    /// Every action.
    pub const ALL: [Self; 17] = [
        Self::Read,
        Self::Create,
        Self::Update,
        Self::Submit,
        Self::Take,
        Self::Opine,
        Self::Transmit,
        Self::Return,
        Self::Validate,
        Self::Rank,
        Self::Decide,
        Self::Publish,
        Self::Receive,
        Self::Propose,
        Self::Check,
        Self::Manage,
        Self::Export,
    ];

    /// The policy name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Submit => "submit",
            Self::Take => "take",
            Self::Opine => "opine",
            Self::Transmit => "transmit",
            Self::Return => "return",
            Self::Validate => "validate",
            Self::Rank => "rank",
            Self::Decide => "decide",
            Self::Publish => "publish",
            Self::Receive => "receive",
            Self::Propose => "propose",
            Self::Check => "check",
            Self::Manage => "manage",
            Self::Export => "export",
        }
    }
}

impl Permission {
    /// The permissions routes use (the policy matrix lists these).
    pub const ALL: [Self; 36] = [
        Self::new(Resource::Home, Action::Read),
        Self::new(Resource::Campaign, Action::Read),
        Self::new(Resource::Campaign, Action::Manage),
        Self::new(Resource::Nomination, Action::Read),
        Self::new(Resource::Nomination, Action::Create),
        Self::new(Resource::Nomination, Action::Update),
        Self::new(Resource::Nomination, Action::Submit),
        Self::new(Resource::Instruction, Action::Take),
        Self::new(Resource::Instruction, Action::Opine),
        Self::new(Resource::Instruction, Action::Transmit),
        Self::new(Resource::Instruction, Action::Return),
        Self::new(Resource::Instruction, Action::Validate),
        Self::new(Resource::Instruction, Action::Export),
        Self::new(Resource::Decision, Action::Read),
        Self::new(Resource::Decision, Action::Rank),
        Self::new(Resource::Decision, Action::Decide),
        Self::new(Resource::Decision, Action::Publish),
        Self::new(Resource::Decision, Action::Receive),
        Self::new(Resource::Decision, Action::Export),
        Self::new(Resource::Registry, Action::Read),
        Self::new(Resource::Registry, Action::Manage),
        Self::new(Resource::Registry, Action::Export),
        Self::new(Resource::Radar, Action::Read),
        Self::new(Resource::Radar, Action::Propose),
        Self::new(Resource::Radar, Action::Export),
        Self::new(Resource::Eligibility, Action::Check),
        Self::new(Resource::Members, Action::Read),
        Self::new(Resource::Members, Action::Manage),
        Self::new(Resource::Policy, Action::Read),
        Self::new(Resource::Policy, Action::Manage),
        Self::new(Resource::Units, Action::Manage),
        Self::new(Resource::Journal, Action::Read),
        Self::new(Resource::Catalogue, Action::Read),
        Self::new(Resource::Catalogue, Action::Manage),
        Self::new(Resource::ReadLog, Action::Read),
        Self::new(Resource::ReadLog, Action::Manage),
    ];

    /// A permission.
    #[must_use]
    pub const fn new(resource: Resource, action: Action) -> Self {
        Self { resource, action }
    }

    /// Parses policy names.
    #[must_use]
    pub fn parse(resource: &str, action: &str) -> Option<Self> {
        let resource = Resource::ALL.into_iter().find(|r| r.as_str() == resource)?;
        let action = Action::ALL.into_iter().find(|a| a.as_str() == action)?;
        Some(Self { resource, action })
    }
}

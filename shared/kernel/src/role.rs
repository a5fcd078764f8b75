use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A role an agent holds in a tenant, at an organisational unit (its scope is that unit's
/// subtree; at the ministry's root, the whole tenant). Platform operators are not a tenant
/// role: they never see dossier contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Proposes candidates for their unit.
    Redacteur,
    /// Reviews dossiers at their unit.
    Instructeur,
    /// Signs off a level (four-eyes: not on a dossier they instructed).
    Valideur,
    /// At the ministry's central bureau: consolidates the ministry's list.
    Integrateur,
    /// Sits on a committee.
    MembreCommission,
    /// Manages members, roles, units, campaigns and the catalogue of the tenant.
    Administrateur,
    /// Reads everything, journal included; changes nothing.
    Auditeur,
    /// Heads the central bureau: ranks, decides and publishes the ministry's list.
    ChefDeBureau,
    /// The minister's cabinet: reads the lists and their decisions.
    Cabinet,
    /// Chairs a committee (a member who also leads its sittings).
    PresidentCommission,
    /// Trains the agents, in the training sandbox.
    Formateur,
    /// Data-protection officer: reads the journal and who holds which role.
    DelegueProtectionDonnees,
    /// Security officer: reads the journal, the members and the policy.
    OfficierSecurite,
    /// Reviews dossiers from outside the circuit, reading only.
    RelecteurExterne,
}

impl Role {
    /// Every role, in the order screens list them.
    pub const ALL: [Self; 14] = [
        Self::Redacteur,
        Self::Instructeur,
        Self::Valideur,
        Self::Integrateur,
        Self::ChefDeBureau,
        Self::MembreCommission,
        Self::PresidentCommission,
        Self::Cabinet,
        Self::RelecteurExterne,
        Self::Formateur,
        Self::Administrateur,
        Self::Auditeur,
        Self::DelegueProtectionDonnees,
        Self::OfficierSecurite,
    ];

    /// The storage and policy name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Redacteur => "redacteur",
            Self::Instructeur => "instructeur",
            Self::Valideur => "valideur",
            Self::Integrateur => "integrateur",
            Self::MembreCommission => "membre_commission",
            Self::Administrateur => "administrateur",
            Self::Auditeur => "auditeur",
            Self::ChefDeBureau => "chef_de_bureau",
            Self::Cabinet => "cabinet",
            Self::PresidentCommission => "president_commission",
            Self::Formateur => "formateur",
            Self::DelegueProtectionDonnees => "delegue_protection_donnees",
            Self::OfficierSecurite => "officier_securite",
            Self::RelecteurExterne => "relecteur_externe",
        }
    }

    /// The French label shown to agents.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Redacteur => "Rédacteur",
            Self::Instructeur => "Instructeur",
            Self::Valideur => "Valideur",
            Self::Integrateur => "Intégrateur",
            Self::MembreCommission => "Membre de commission",
            Self::Administrateur => "Administrateur ministériel",
            Self::Auditeur => "Auditeur",
            Self::ChefDeBureau => "Chef de bureau",
            Self::Cabinet => "Cabinet du ministre",
            Self::PresidentCommission => "Président de commission",
            Self::Formateur => "Formateur",
            Self::DelegueProtectionDonnees => "Délégué à la protection des données",
            Self::OfficierSecurite => "Officier de sécurité",
            Self::RelecteurExterne => "Relecteur externe",
        }
    }

    /// Parses the storage name.
    ///
    /// # Errors
    /// [`ParseError::Role`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError::Role(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_match_the_schema_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(
            Role::parse("operateur"),
            Err(ParseError::Role("operateur".into()))
        );
    }
}

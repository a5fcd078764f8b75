//! The nomination dossier's state machine: which event moves a dossier from which state to
//! which, and which service owns the move. Pure: the services store the state and perform
//! only their own transitions (architecture, "Data ownership").
//!
//! The circuit follows the procedure of the Code de la Légion d'honneur (domain reference
//! §2.7, identical in substance for the ONM and the ministerial medals): local instruction
//! with an opinion (avis) at the préfecture (step 3), transmission to the ministry's bureau,
//! selection within the contingent (step 4, art. R29), then publication (step 9, art. R33).

use std::fmt;

/// Where a dossier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DossierState {
    /// Being written by the filing unit; not visible to instructors.
    Draft,
    /// Submitted at its current level, waiting for an instructor.
    Submitted,
    /// Taken by an instructor at its current level.
    InInstruction,
    /// The instructor recorded an opinion; waiting for another agent to validate and transmit.
    OpinionGiven,
    /// Returned to the filing unit with a request for a complement.
    ComplementRequested,
    /// At the ministry's bureau, for ranking and decision.
    Transmitted,
    /// Retained within the contingent (until the list is published).
    Retained,
    /// Deferred to a later promotion.
    Deferred,
    /// Refused.
    Refused,
    /// Published (decree in the Journal officiel): the candidate is a laureate.
    Published,
}

/// Which service performs a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// `services/intake`.
    Intake,
    /// `services/instruction`.
    Instruction,
    /// `services/decisions`.
    Decisions,
}

/// What happens to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DossierEvent {
    /// The filing unit submits (or resubmits after a complement).
    Submit,
    /// An instructor takes the dossier at its level.
    Take,
    /// The instructor records an opinion (avis).
    GiveOpinion,
    /// Another agent validates the level and transmits to the ministry's bureau.
    Transmit,
    /// Back to the filing unit with a request for a complement.
    Return,
    /// The bureau decides: retained, deferred or refused (changeable until the list closes).
    Decide(Decision),
    /// The decree is published: retained dossiers become awards.
    Publish,
}

/// The bureau's decision on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// « retenu ».
    Retained,
    /// « ajourné ».
    Deferred,
    /// « refusé ».
    Refused,
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{event:?} is not allowed from {from:?}")]
pub struct TransitionError {
    /// The dossier's state.
    pub from: DossierState,
    /// The refused event.
    pub event: DossierEvent,
}

impl DossierState {
    /// Every state, in the order of the circuit.
    pub const ALL: [Self; 10] = [
        Self::Draft,
        Self::Submitted,
        Self::InInstruction,
        Self::OpinionGiven,
        Self::ComplementRequested,
        Self::Transmitted,
        Self::Retained,
        Self::Deferred,
        Self::Refused,
        Self::Published,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Submitted => "depose",
            Self::InInstruction => "en_instruction",
            Self::OpinionGiven => "avis_rendu",
            Self::ComplementRequested => "complement_demande",
            Self::Transmitted => "transmis",
            Self::Retained => "retenu",
            Self::Deferred => "ajourne",
            Self::Refused => "refuse",
            Self::Published => "publie",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The label agents read.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Draft => "Brouillon",
            Self::Submitted => "Déposé",
            Self::InInstruction => "En instruction",
            Self::OpinionGiven => "Avis rendu",
            Self::ComplementRequested => "Complément demandé",
            Self::Transmitted => "Transmis au ministère",
            Self::Retained => "Retenu",
            Self::Deferred => "Ajourné",
            Self::Refused => "Refusé",
            Self::Published => "Publié",
        }
    }

    /// The filing unit may edit the dossier.
    #[must_use]
    pub const fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::ComplementRequested)
    }

    /// The ministry's bureau holds the proposal and establishes its final mémoire (R29: the
    /// minister's mémoire goes to the grand chancelier with it): transmitted, or retained
    /// before the decree.
    #[must_use]
    pub const fn takes_final_memoire(self) -> bool {
        matches!(self, Self::Transmitted | Self::Retained)
    }

    /// The state after `event`, or why not.
    ///
    /// # Errors
    /// [`TransitionError`] when the event is not allowed from this state.
    pub const fn apply(self, event: DossierEvent) -> Result<Self, TransitionError> {
        use DossierEvent as E;
        use DossierState as S;
        let to = match (self, event) {
            (S::Draft | S::ComplementRequested, E::Submit) => S::Submitted,
            (S::Submitted, E::Take) => S::InInstruction,
            (S::InInstruction, E::GiveOpinion) => S::OpinionGiven,
            (S::OpinionGiven, E::Transmit) => S::Transmitted,
            (S::Submitted | S::InInstruction | S::OpinionGiven, E::Return) => {
                S::ComplementRequested
            }
            (S::Transmitted | S::Retained | S::Deferred | S::Refused, E::Decide(d)) => match d {
                Decision::Retained => S::Retained,
                Decision::Deferred => S::Deferred,
                Decision::Refused => S::Refused,
            },
            (S::Retained, E::Publish) => S::Published,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(to)
    }

    /// Every state from which `event` is allowed (for the compare-and-set in the store).
    #[must_use]
    pub fn sources(event: DossierEvent) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|s| s.apply(event).is_ok())
            .collect()
    }
}

impl fmt::Display for DossierState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DossierEvent {
    /// The service that performs it.
    #[must_use]
    pub const fn owner(self) -> Owner {
        match self {
            Self::Submit => Owner::Intake,
            Self::Take | Self::GiveOpinion | Self::Transmit | Self::Return => Owner::Instruction,
            Self::Decide(_) | Self::Publish => Owner::Decisions,
        }
    }
}

impl Decision {
    /// Every decision.
    pub const ALL: [Self; 3] = [Self::Retained, Self::Deferred, Self::Refused];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Retained => "retenu",
            Self::Deferred => "ajourne",
            Self::Refused => "refuse",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The label agents read.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Retained => "Retenu",
            Self::Deferred => "Ajourné",
            Self::Refused => "Refusé",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [DossierEvent; 9] = [
        DossierEvent::Submit,
        DossierEvent::Take,
        DossierEvent::GiveOpinion,
        DossierEvent::Transmit,
        DossierEvent::Return,
        DossierEvent::Decide(Decision::Retained),
        DossierEvent::Decide(Decision::Deferred),
        DossierEvent::Decide(Decision::Refused),
        DossierEvent::Publish,
    ];

    #[test]
    fn the_whole_circuit_reaches_publication() -> Result<(), TransitionError> {
        let mut state = DossierState::Draft;
        for event in [
            DossierEvent::Submit,
            DossierEvent::Take,
            DossierEvent::Return,
            DossierEvent::Submit,
            DossierEvent::Take,
            DossierEvent::GiveOpinion,
            DossierEvent::Transmit,
            DossierEvent::Decide(Decision::Deferred),
            DossierEvent::Decide(Decision::Retained),
            DossierEvent::Publish,
        ] {
            state = state.apply(event)?;
        }
        assert_eq!(state, DossierState::Published);
        Ok(())
    }

    #[test]
    fn published_and_draft_dossiers_only_move_forward() {
        for event in EVENTS {
            assert!(DossierState::Published.apply(event).is_err(), "{event:?}");
        }
        let allowed: Vec<_> = EVENTS
            .into_iter()
            .filter(|e| DossierState::Draft.apply(*e).is_ok())
            .collect();
        assert_eq!(allowed, vec![DossierEvent::Submit]);
    }

    #[test]
    fn only_a_retained_dossier_is_published() {
        assert_eq!(
            DossierState::sources(DossierEvent::Publish),
            vec![DossierState::Retained]
        );
        assert!(
            DossierState::Transmitted
                .apply(DossierEvent::Publish)
                .is_err()
        );
    }

    #[test]
    fn an_opinion_is_needed_before_transmission() {
        assert_eq!(
            DossierState::sources(DossierEvent::Transmit),
            vec![DossierState::OpinionGiven]
        );
    }

    #[test]
    fn names_round_trip() {
        for state in DossierState::ALL {
            assert_eq!(DossierState::parse(state.as_str()), Some(state));
        }
        for decision in Decision::ALL {
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
        }
    }

    #[test]
    fn each_service_owns_its_moves() {
        assert_eq!(DossierEvent::Submit.owner(), Owner::Intake);
        assert_eq!(DossierEvent::Transmit.owner(), Owner::Instruction);
        assert_eq!(DossierEvent::Publish.owner(), Owner::Decisions);
    }
}

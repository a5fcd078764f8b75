//! Every refusal of an act in the resource's current state (HTTP 409), with its stable code
//! and its French wording, in one place. Use cases answer `ActionError::Conflict(Conflict::…)`
//! with the facts the message needs; the edge renders the message on the page and in the
//! problem+json `detail`, and the code in `code`.

use chrono::NaiveDate;
use napoleon_rules::dossier::DossierState;
use napoleon_rules::fr_date;

/// Why an act is not possible now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Withdrawing this grant would leave the tenant without an administrator at the
    /// ministry (`members.last_administrator`).
    LastAdministrator,
    /// The dossier's state does not allow this act (`dossier.wrong_state`).
    WrongState {
        /// Where the dossier is.
        state: DossierState,
    },
    /// The bureau decides only on dossiers transmitted to the ministry, while the list is
    /// open (`dossier.wrong_state`).
    NotDecidable {
        /// Where the dossier is.
        state: DossierState,
    },
    /// The bureau establishes the final mémoire of a dossier transmitted to the ministry, or
    /// retained, before the decree (`dossier.wrong_state`).
    MemoireNotAtBureau {
        /// Where the dossier is.
        state: DossierState,
    },
    /// Another agent moved the dossier between reading and acting (`dossier.changed`).
    Changed,
    /// The filing unit edits only drafts and dossiers returned for a complement
    /// (`dossier.not_editable`).
    NotEditable {
        /// Where the dossier is.
        state: DossierState,
    },
    /// Another agent holds the dossier at this level (`dossier.not_holder`).
    NotHolder,
    /// The author of a level's opinion cannot validate it (`dossier.four_eyes`).
    FourEyes,
    /// The dossier is not on the bureau's list (`dossier.not_on_list`).
    NotOnList {
        /// Where the dossier is.
        state: DossierState,
    },
    /// The candidate does not meet the statutory conditions (`dossier.ineligible`).
    Ineligible,
    /// The campaign's filing window is not open today (`campaign.closed`).
    CampaignClosed {
        /// The campaign's label.
        label: String,
        /// First day of the window.
        opens_on: NaiveDate,
        /// Last day of the window.
        closes_on: NaiveDate,
    },
    /// The campaign's distinction left the tenant's catalogue
    /// (`campaign.distinction_not_in_catalogue`).
    DistinctionGone {
        /// The distinction's code.
        distinction: String,
    },
    /// The campaign's list is closed: ranks and decisions are frozen (`list.closed`).
    ListClosed {
        /// When it was closed.
        since: NaiveDate,
    },
    /// The campaign's list is closed: nothing more can be transmitted to it (`list.closed`).
    ListClosedToTransmission {
        /// The campaign's label.
        campaign: String,
    },
    /// The list is still open: publication comes after closing (`list.open`).
    ListOpen,
    /// The list's publication is already recorded (`list.published`).
    ListPublished {
        /// The decree's date.
        decree_date: NaiveDate,
        /// The Journal officiel reference.
        jo_reference: String,
    },
    /// Transmitted dossiers still wait for a decision (`list.undecided`).
    ListUndecided {
        /// How many.
        undecided: u32,
    },
    /// No dossier is retained: nothing to publish (`list.nothing_to_publish`).
    NothingToPublish,
    /// The dossier is already first (`up`) or last on the list (`rank.edge`).
    RankEdge {
        /// Whether it was to move up.
        up: bool,
    },
    /// The laureate's réception is already recorded (`award.received`).
    AwardReceived {
        /// Its date.
        on: NaiveDate,
    },
    /// The laureate already holds the distinction's highest grade (`award.no_next_grade`).
    NoNextGrade,
    /// The dossier was saved by someone else (or another tab) since the version this save
    /// started from (`dossier.stale`).
    Stale,
    /// An idempotency key already served a different request (`request.key_reused`).
    KeyReused,
    /// The piece is not scanned yet: nobody may open it before clamd finds it clean
    /// (`piece.pending`).
    PiecePending,
    /// clamd found the piece infected: quarantined, never served (`piece.quarantined`).
    PieceQuarantined,
    /// The final mémoire was just established and waits for its scan: it stands until then
    /// (`piece.pending`).
    MemoirePending,
    /// Only a file whose check ended is imported from its report (`import.not_checked`).
    ImportNotChecked,
    /// An import cannot be undone: what depends on it, or already undone
    /// (`import.not_undone`).
    ImportNotUndone(String),
}

impl Conflict {
    /// Every conflict code (the error model's 409s), for clients and tests.
    pub const CODES: [&'static str; 23] = [
        "dossier.wrong_state",
        "dossier.stale",
        "request.key_reused",
        "dossier.changed",
        "dossier.not_editable",
        "dossier.not_holder",
        "dossier.four_eyes",
        "dossier.not_on_list",
        "dossier.ineligible",
        "campaign.closed",
        "campaign.distinction_not_in_catalogue",
        "list.closed",
        "list.open",
        "list.published",
        "list.undecided",
        "list.nothing_to_publish",
        "rank.edge",
        "award.received",
        "award.no_next_grade",
        "piece.pending",
        "piece.quarantined",
        "import.not_checked",
        "import.not_undone",
    ];

    /// The stable machine code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongState { .. }
            | Self::NotDecidable { .. }
            | Self::MemoireNotAtBureau { .. } => "dossier.wrong_state",
            Self::Changed => "dossier.changed",
            Self::NotEditable { .. } => "dossier.not_editable",
            Self::NotHolder => "dossier.not_holder",
            Self::FourEyes => "dossier.four_eyes",
            Self::NotOnList { .. } => "dossier.not_on_list",
            Self::Ineligible => "dossier.ineligible",
            Self::CampaignClosed { .. } => "campaign.closed",
            Self::DistinctionGone { .. } => "campaign.distinction_not_in_catalogue",
            Self::ListClosed { .. } | Self::ListClosedToTransmission { .. } => "list.closed",
            Self::ListOpen => "list.open",
            Self::ListPublished { .. } => "list.published",
            Self::ListUndecided { .. } => "list.undecided",
            Self::NothingToPublish => "list.nothing_to_publish",
            Self::RankEdge { .. } => "rank.edge",
            Self::AwardReceived { .. } => "award.received",
            Self::NoNextGrade => "award.no_next_grade",
            Self::LastAdministrator => "members.last_administrator",
            Self::Stale => "dossier.stale",
            Self::KeyReused => "request.key_reused",
            Self::PiecePending | Self::MemoirePending => "piece.pending",
            Self::PieceQuarantined => "piece.quarantined",
            Self::ImportNotChecked => "import.not_checked",
            Self::ImportNotUndone(_) => "import.not_undone",
        }
    }

    /// What the agent reads, in French: what stands in the way, and what to do.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::LastAdministrator => "C'est le dernier rôle d'administrateur du ministère : \
                attribuez ce rôle à un autre agent avant de retirer celui-ci."
                .to_owned(),
            Self::WrongState { state } => format!(
                "Le dossier est « {} » : cette action n'est pas possible dans cet état.",
                state.label_fr()
            ),
            Self::NotDecidable { state } => format!(
                "Ce dossier est « {} » : le bureau ne décide que sur les dossiers transmis au ministère, tant que la liste est ouverte.",
                state.label_fr()
            ),
            Self::MemoireNotAtBureau { state } => format!(
                "Ce dossier est « {} » : le bureau du ministère établit le mémoire de proposition définitif d'un dossier transmis au ministère ou retenu, avant la publication du décret.",
                state.label_fr()
            ),
            Self::Changed => {
                "Le dossier vient de changer d'état : rechargez la page et recommencez.".to_owned()
            }
            Self::NotEditable { state } => format!(
                "Ce dossier est « {} » : seul le service déposant modifie un brouillon ou un dossier renvoyé pour complément.",
                state.label_fr()
            ),
            Self::NotHolder => {
                "Ce dossier est pris en charge par un autre agent : seul celui-ci rend l'avis."
                    .to_owned()
            }
            Self::FourEyes => "Vous avez rendu l'avis à ce niveau : un autre agent doit le valider et transmettre le dossier (principe des quatre yeux).".to_owned(),
            Self::NotOnList { state } => format!(
                "Ce dossier est « {} » : il n'est pas sur la liste du bureau, qui ne reçoit que les dossiers transmis au ministère.",
                state.label_fr()
            ),
            Self::Ineligible => "Le candidat ne remplit pas les conditions statutaires à la date de la promotion : voir les motifs à l'étape « Vérification et dépôt ».".to_owned(),
            Self::CampaignClosed {
                label,
                opens_on,
                closes_on,
            } => format!(
                "Le dépôt pour « {label} » est ouvert du {} au {}.",
                fr_date(*opens_on),
                fr_date(*closes_on)
            ),
            Self::DistinctionGone { distinction } => format!(
                "La distinction de cette campagne ({distinction}) n'est plus au catalogue du ministère : aucun dossier ne peut y être créé."
            ),
            Self::ListClosed { since } => format!(
                "La liste de cette campagne est close depuis le {} : les rangs et les décisions ne peuvent plus changer.",
                fr_date(*since)
            ),
            Self::ListClosedToTransmission { campaign } => format!(
                "La liste de « {campaign} » est close : le dossier ne peut plus être transmis pour cette campagne."
            ),
            Self::ListOpen => {
                "La liste doit être close avant d'enregistrer la publication.".to_owned()
            }
            Self::ListPublished {
                decree_date,
                jo_reference,
            } => format!(
                "La publication de cette liste est déjà enregistrée (décret du {}, {jo_reference}).",
                fr_date(*decree_date)
            ),
            Self::ListUndecided { undecided } => format!(
                "{} sans décision : décidez de chaque dossier transmis avant de clôturer la liste.",
                if *undecided > 1 {
                    format!("{undecided} dossiers transmis restent")
                } else {
                    "1 dossier transmis reste".to_owned()
                }
            ),
            Self::NothingToPublish => {
                "Aucun dossier n'est retenu sur cette liste : il n'y a rien à publier.".to_owned()
            }
            Self::RankEdge { up: true } => "Ce dossier est déjà en tête de la liste.".to_owned(),
            Self::RankEdge { up: false } => "Ce dossier est déjà en fin de liste.".to_owned(),
            Self::AwardReceived { on } => format!(
                "La réception de ce lauréat est déjà enregistrée (le {}).",
                fr_date(*on)
            ),
            Self::ImportNotChecked => "Seul un fichier dont la vérification est terminée s'importe depuis son rapport : envoyez-le de nouveau.".to_owned(),
            Self::ImportNotUndone(reason) => {
                let mut text = reason.clone();
                if let Some(first) = text.get(..1) {
                    let upper = first.to_uppercase();
                    text.replace_range(..1, &upper);
                }
                format!("{text}.")
            }
            Self::NoNextGrade => {
                "Ce lauréat détient déjà le grade le plus élevé de cette distinction.".to_owned()
            }
            Self::Stale => "Ce dossier a été enregistré entre-temps (par un collègue ou dans un autre onglet) : votre saisie, conservée ci-dessous, n'a pas été enregistrée. Vérifiez-la puis enregistrez de nouveau pour qu'elle remplace la version actuelle.".to_owned(),
            Self::KeyReused => "Cette demande porte la clé d'idempotence d'une autre demande, différente : choisissez une nouvelle clé (Idempotency-Key) pour une nouvelle demande.".to_owned(),
            Self::PiecePending => "Cette pièce est en attente d'analyse antivirus : elle pourra être ouverte dès qu'elle aura été trouvée saine. Réessayez dans quelques instants.".to_owned(),
            Self::MemoirePending => "Le mémoire définitif vient d'être établi et attend son analyse antivirus : il pourra être établi de nouveau une fois analysé, dans quelques instants.".to_owned(),
            Self::PieceQuarantined => "L'antivirus a détecté une menace dans cette pièce : elle est mise en quarantaine et ne peut pas être ouverte. Joignez un autre fichier ; le responsable de la sécurité des systèmes d'information en est informé.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_has_a_dotted_code_and_a_french_sentence() {
        let day = NaiveDate::from_ymd_opt(2027, 7, 14).unwrap_or_default();
        let all = [
            Conflict::WrongState {
                state: DossierState::Draft,
            },
            Conflict::NotDecidable {
                state: DossierState::Submitted,
            },
            Conflict::MemoireNotAtBureau {
                state: DossierState::Draft,
            },
            Conflict::Changed,
            Conflict::NotEditable {
                state: DossierState::Transmitted,
            },
            Conflict::NotHolder,
            Conflict::FourEyes,
            Conflict::NotOnList {
                state: DossierState::Submitted,
            },
            Conflict::Ineligible,
            Conflict::CampaignClosed {
                label: "LH".to_owned(),
                opens_on: day,
                closes_on: day,
            },
            Conflict::DistinctionGone {
                distinction: "LH".to_owned(),
            },
            Conflict::ListClosed { since: day },
            Conflict::ListClosedToTransmission {
                campaign: "LH".to_owned(),
            },
            Conflict::ListOpen,
            Conflict::ListPublished {
                decree_date: day,
                jo_reference: "JORF".to_owned(),
            },
            Conflict::ListUndecided { undecided: 2 },
            Conflict::NothingToPublish,
            Conflict::RankEdge { up: true },
            Conflict::AwardReceived { on: day },
            Conflict::NoNextGrade,
            Conflict::Stale,
            Conflict::KeyReused,
            Conflict::PiecePending,
            Conflict::PieceQuarantined,
            Conflict::MemoirePending,
            Conflict::ImportNotChecked,
            Conflict::ImportNotUndone("cet import est déjà annulé".to_owned()),
        ];
        let codes: std::collections::BTreeSet<&str> = all.iter().map(Conflict::code).collect();
        assert_eq!(
            codes.len(),
            Conflict::CODES.len(),
            "every code is reachable"
        );
        for conflict in &all {
            let (code, message) = (conflict.code(), conflict.message());
            assert!(Conflict::CODES.contains(&code), "{code} listed");
            assert!(code.contains('.') && code.is_ascii(), "{code}");
            assert!(
                message.ends_with('.') && message.len() > 20,
                "{code}: {message}"
            );
        }
        assert!(
            Conflict::CampaignClosed {
                label: "LH 2027".to_owned(),
                opens_on: day,
                closes_on: day
            }
            .message()
            .contains("est ouvert du 14/07/2027 au 14/07/2027")
        );
    }
}

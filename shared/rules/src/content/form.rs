//! The dossier form's fields, named once: each field's name (the same in the page's form, the
//! stored JSON, the API and the error list), its French label (the same on the page and in
//! the errors that name it), its hint, its input type and whether submission needs it. The
//! pages build their inputs from this table and the step checks name their fields from it,
//! so a field cannot be renamed or relabelled in one place only.

/// How a field is typed on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// A date, typed `jj/mm/aaaa`.
    Date,
    /// Several lines of text.
    Textarea,
    /// A choice in a list.
    Choice,
}

impl FieldKind {
    /// The page's input type (`text`, `date`, `textarea`, `select`).
    #[must_use]
    pub const fn input(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Date => "date",
            Self::Textarea => "textarea",
            Self::Choice => "select",
        }
    }
}

/// One field of the dossier form. In a repeated group (career periods, held distinctions),
/// `name` is the field's name within its row (`career-0-from` on the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormField {
    /// The field's name.
    pub name: &'static str,
    /// Its French label.
    pub label: &'static str,
    /// Its hint, under the label (may be empty).
    pub hint: &'static str,
    /// How it is typed.
    pub kind: FieldKind,
    /// The HTML `autocomplete` token (`off` when none applies).
    pub autocomplete: &'static str,
    /// Whether submission needs it.
    pub required: bool,
}

const DATE_HINT: &str = "Format attendu : jj/mm/aaaa";

const fn field(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    kind: FieldKind,
    autocomplete: &'static str,
    required: bool,
) -> FormField {
    FormField {
        name,
        label,
        hint,
        kind,
        autocomplete,
        required,
    }
}

use FieldKind::{Choice, Date, Text, Textarea};

/// Nom de naissance.
pub const BIRTH_NAME: FormField = field(
    "birth_name",
    "Nom de naissance",
    "",
    Text,
    "family-name",
    true,
);
/// Nom d'usage.
pub const USUAL_NAME: FormField = field(
    "usual_name",
    "Nom d'usage",
    "Facultatif",
    Text,
    "off",
    false,
);
/// Prénoms.
pub const GIVEN_NAMES: FormField = field(
    "given_names",
    "Prénoms",
    "Dans l'ordre de l'état civil",
    Text,
    "given-name",
    true,
);
/// Sexe.
pub const SEX: FormField = field("sex", "Sexe", "", Choice, "off", true);
/// Date de naissance.
pub const BIRTH_DATE: FormField = field(
    "birth_date",
    "Date de naissance",
    DATE_HINT,
    Date,
    "bday",
    true,
);
/// Lieu de naissance.
pub const BIRTH_PLACE: FormField = field(
    "birth_place",
    "Lieu de naissance",
    "Commune, et pays si à l'étranger",
    Text,
    "off",
    true,
);
/// Nationalité.
pub const NATIONALITY: FormField = field(
    "nationality",
    "Nationalité",
    "Code pays en deux lettres, par exemple FR",
    Text,
    "off",
    true,
);
/// Date d'acquisition de la nationalité française.
pub const FRENCH_SINCE: FormField = field(
    "french_since",
    "Date d'acquisition de la nationalité française",
    "Seulement si elle a été acquise ; jj/mm/aaaa",
    Date,
    "off",
    false,
);
/// Département de résidence.
pub const RESIDENCE_DEPARTMENT: FormField = field(
    "residence_department",
    "Département de résidence",
    "Numéro : 69, 2A, 974",
    Text,
    "off",
    true,
);

/// A career period's start (in its row).
pub const CAREER_FROM: FormField = field("from", "Début", DATE_HINT, Date, "off", true);
/// A career period's end.
pub const CAREER_TO: FormField = field("to", "Fin", "Vide si en cours", Date, "off", false);
/// A career period's kind.
pub const CAREER_KIND: FormField = field("kind", "Nature", "", Choice, "off", true);
/// A career period's position.
pub const CAREER_POSITION: FormField = field(
    "position",
    "Fonction et employeur",
    "",
    Text,
    "organization-title",
    true,
);

/// A held distinction (in its row).
pub const HELD_DISTINCTION: FormField =
    field("distinction", "Distinction", "", Choice, "off", false);
/// A held distinction's grade.
pub const HELD_GRADE: FormField = field("grade", "Grade ou échelon", "", Choice, "off", false);
/// A held distinction's decree date.
pub const HELD_DECREED_ON: FormField = field(
    "decreed_on",
    "Date du décret",
    DATE_HINT,
    Date,
    "off",
    false,
);
/// A held distinction's réception date.
pub const HELD_RECEIVED_ON: FormField = field(
    "received_on",
    "Date de réception (prise de rang)",
    "Les durées courent de cette date",
    Date,
    "off",
    false,
);

/// The grade proposed.
pub const TARGET_GRADE: FormField = field("target_grade", "Grade proposé", "", Choice, "off", true);
/// The statement of merits.
pub const MOTIFS: FormField = field(
    "motifs",
    "Exposé des motifs",
    "Les mérites éminents ou distingués du candidat, avec les faits et les dates",
    Textarea,
    "off",
    true,
);
/// The criminal record extract's date.
pub const CRIMINAL_RECORD: FormField = field(
    "criminal_record_issued_on",
    "Date de l'extrait de casier judiciaire (bulletin n° 2)",
    "Il doit dater de moins de deux mois à la transmission (art. R29) ; jj/mm/aaaa",
    Date,
    "off",
    true,
);

/// The candidate step's fields, in page order.
pub const CANDIDATE: [FormField; 9] = [
    BIRTH_NAME,
    USUAL_NAME,
    GIVEN_NAMES,
    SEX,
    BIRTH_DATE,
    BIRTH_PLACE,
    NATIONALITY,
    FRENCH_SINCE,
    RESIDENCE_DEPARTMENT,
];
/// A career row's fields, in page order.
pub const CAREER_ROW: [FormField; 4] = [CAREER_FROM, CAREER_TO, CAREER_KIND, CAREER_POSITION];
/// A held distinction row's fields, in page order.
pub const HELD_ROW: [FormField; 4] = [
    HELD_DISTINCTION,
    HELD_GRADE,
    HELD_DECREED_ON,
    HELD_RECEIVED_ON,
];

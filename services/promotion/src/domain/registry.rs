//! The laureate registry, a page at a time: laureates in name order (accents and case
//! ignored), searchable by any of their names and filtered by distinction, each with their
//! awards. Pages are keyset-paginated (« après » a laureate), so a page costs the same at the
//! first laureate as at the hundred-thousandth; a name search finds the laureates of whom
//! every typed word begins one of their names' words, through an index of those words
//! (docs/operations.md, « Registry search »).

use chrono::NaiveDate;
use napoleon_authz::{Scope, perm};
use napoleon_db::contracts::{LaureateView, RegistryPage};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, LaureateId};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};

use super::{LaureateIdentity, UNNAMED, distinction_name, grade_label, tenant_catalogue};
use crate::store;

/// Laureates on a page.
pub(crate) const PAGE: u16 = 50;

/// The longest name searched.
const NAME_CHARS: usize = 100;

/// The most words a name search takes (each typed word costs an index probe).
const NAME_WORDS: usize = 8;

/// What an agent asks of the registry, as typed (page and API).
#[derive(Debug, Clone, Default)]
pub(crate) struct RegistryAsk {
    pub(crate) name: String,
    pub(crate) distinction: String,
    pub(crate) grade: String,
    pub(crate) born: String,
    pub(crate) after: String,
}

/// The ask, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegistryFilter {
    pub(crate) name: Option<String>,
    pub(crate) distinction: Option<DistinctionCode>,
    /// A grade of `distinction` when there is one, else of any distinction of the catalogue.
    pub(crate) grade: Option<GradeCode>,
    pub(crate) born: Option<NaiveDate>,
    pub(crate) after: Option<LaureateId>,
}

/// Parses the ask against the tenant's catalogue; each field refused names itself in French.
pub(crate) fn parse_ask(
    catalogue: &Catalogue,
    ask: &RegistryAsk,
) -> Result<RegistryFilter, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = ask.name.trim();
    let name = if name.chars().count() > NAME_CHARS {
        errors.push(FieldError::new(
            "nom",
            format!("Nom : {NAME_CHARS} caractères au plus."),
        ));
        None
    } else if name.split_whitespace().count() > NAME_WORDS {
        errors.push(FieldError::new(
            "nom",
            format!("Nom : {NAME_WORDS} mots au plus."),
        ));
        None
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "nom",
            "Nom : des lettres, des espaces, des traits d'union ou des apostrophes.",
        ));
        None
    } else {
        Some(name.to_owned()).filter(|n| !n.is_empty())
    };
    let distinction = match ask.distinction.trim() {
        "" => None,
        raw => match DistinctionCode::parse(raw) {
            Ok(code) if catalogue.distinction(&code).is_some() => Some(code),
            _ => {
                errors.push(FieldError::new(
                    "distinction",
                    "Distinction : choisissez l'une des distinctions de la liste.",
                ));
                None
            }
        },
    };
    let grade = match ask.grade.trim() {
        "" => None,
        raw => {
            let known = GradeCode::parse(raw).ok().filter(|code| {
                catalogue
                    .distinctions()
                    .iter()
                    .filter(|d| distinction.as_ref().is_none_or(|chosen| d.code == *chosen))
                    .any(|d| d.grade_index(code).is_some())
            });
            if known.is_none() {
                errors.push(FieldError::new(
                    "grade",
                    if distinction.is_some() {
                        "Grade : choisissez l'un des grades de la distinction choisie."
                    } else {
                        "Grade : choisissez l'un des grades de la liste."
                    },
                ));
            }
            known
        }
    };
    let born = match ask.born.trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%d/%m/%Y")
            .or_else(|_| NaiveDate::parse_from_str(raw, "%Y-%m-%d"))
        {
            Ok(day) => Some(day),
            Err(_) => {
                errors.push(FieldError::new(
                    "naissance",
                    "Date de naissance : saisissez une date valide (jj/mm/aaaa).",
                ));
                None
            }
        },
    };
    let after = match ask.after.trim() {
        "" => None,
        raw => match raw.parse::<LaureateId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError::new(
                    "apres",
                    "Page : ce lien n'est plus valable ; revenez à la première page.",
                ));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(RegistryFilter {
            name,
            distinction,
            grade,
            born,
            after,
        })
    } else {
        Err(errors)
    }
}

/// One award of a laureate, labelled.
pub(crate) struct RegistryAward {
    pub(crate) award_id: AwardId,
    pub(crate) distinction: String,
    pub(crate) distinction_name: String,
    pub(crate) grade: String,
    pub(crate) grade_label: String,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    /// `None`: « en attente ».
    pub(crate) reception_date: Option<NaiveDate>,
}

/// One laureate and their awards.
pub(crate) struct RegistryRow {
    pub(crate) laureate_id: LaureateId,
    pub(crate) name: String,
    pub(crate) awards: Vec<RegistryAward>,
}

/// A page of the registry and its links.
pub(crate) struct Registry {
    pub(crate) filter: RegistryFilter,
    pub(crate) rows: Vec<RegistryRow>,
    /// The last laureate of this page, when another page follows.
    pub(crate) next_after: Option<LaureateId>,
    /// The catalogue's distinctions and grades, for the filter.
    pub(crate) choices: FilterChoices,
    /// Whether the agent may see the radar (for the link).
    pub(crate) may_radar: bool,
    /// Whether the agent may import into the registry (for the link).
    pub(crate) may_import: bool,
    /// Whether the agent may export the registry (for the link).
    pub(crate) may_export: bool,
}

fn row(catalogue: &Catalogue, laureate: &LaureateView) -> RegistryRow {
    RegistryRow {
        laureate_id: laureate.id,
        name: LaureateIdentity::from_json(laureate.identity.expose()).display_name_or(UNNAMED),
        awards: laureate
            .awards
            .iter()
            .map(|a| RegistryAward {
                award_id: a.id,
                distinction: a.distinction.to_string(),
                distinction_name: distinction_name(catalogue, &a.distinction),
                grade: a.grade.to_string(),
                grade_label: grade_label(catalogue, &a.distinction, &a.grade),
                decree_date: a.decree_date,
                jo_reference: a.jo_reference.clone(),
                reception_date: a.reception_date,
            })
            .collect(),
    }
}

/// A page of the registry (`registry:read`); the laureates shown are in the read log. A
/// refused ask is an `Invalid` naming its fields, nothing read.
pub(crate) async fn registry(
    ctx: &WebContext,
    identity: &Identity,
    ask: &RegistryAsk,
    channel: ReadChannel,
) -> ActionResult<Registry> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryRead>(Scope::Central)?;
    let may_radar = access.may::<perm::RadarRead>(Scope::Central)?;
    let may_import = access.may::<perm::RegistryManage>(Scope::Central)?;
    // The page is the registry's reading: exporting needs `registry:export` too.
    let may_export = access.may::<perm::RegistryExport>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let filter = parse_ask(&catalogue, ask).map_err(ActionError::Invalid)?;
    // One more than shown: whether another page follows.
    let mut people = store::registry_page(
        &mut tx,
        &RegistryPage {
            name: filter.name.as_deref(),
            distinction: filter.distinction.as_ref(),
            grade: filter.grade.as_ref(),
            born: filter.born,
            after: filter.after,
            limit: PAGE + 1,
        },
    )
    .await?;
    let more = people.len() > usize::from(PAGE);
    people.truncate(usize::from(PAGE));
    let shown: Vec<ReadSubject> = people.iter().map(|l| ReadSubject::Laureate(l.id)).collect();
    napoleon_web::end_reads(tx, identity, &shown, channel).await?;
    Ok(Registry {
        next_after: people.last().map(|l| l.id).filter(|_| more),
        rows: people.iter().map(|l| row(&catalogue, l)).collect(),
        choices: filter_choices(&catalogue),
        filter,
        may_radar,
        may_import,
        may_export,
    })
}

/// The distinctions and grades of the filter, for a page refused before anything was read.
pub(crate) async fn choices(ctx: &WebContext, identity: &Identity) -> ActionResult<FilterChoices> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryRead>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    tx.rollback().await;
    Ok(filter_choices(&catalogue))
}

/// The filter's lists, as (code, label) in the catalogue's order.
#[derive(Debug, Clone, Default)]
pub(crate) struct FilterChoices {
    pub(crate) distinctions: Vec<(String, String)>,
    /// Every grade of every distinction, each code once (« chevalier » is the Légion
    /// d'honneur's and the Mérite's: chosen with a distinction, it is that one's).
    pub(crate) grades: Vec<(String, String)>,
}

fn filter_choices(catalogue: &Catalogue) -> FilterChoices {
    let mut grades: Vec<(String, String)> = Vec::new();
    for grade in catalogue
        .distinctions()
        .iter()
        .flat_map(|d| d.grades.iter())
    {
        if !grades.iter().any(|(code, _)| code == grade.code.as_str()) {
            grades.push((grade.code.to_string(), grade.label.clone()));
        }
    }
    FilterChoices {
        distinctions: catalogue
            .distinctions()
            .iter()
            .map(|d| (d.code.to_string(), d.name.clone()))
            .collect(),
        grades,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::builtin;

    fn ask(name: &str, distinction: &str, after: &str) -> RegistryAsk {
        RegistryAsk {
            name: name.to_owned(),
            distinction: distinction.to_owned(),
            grade: String::new(),
            born: String::new(),
            after: after.to_owned(),
        }
    }

    #[test]
    fn an_ask_is_parsed_or_refused_field_by_field() {
        let catalogue = builtin();
        assert_eq!(
            parse_ask(&catalogue, &ask("  Lefèvre ", "LH", "")),
            Ok(RegistryFilter {
                name: Some("Lefèvre".to_owned()),
                distinction: DistinctionCode::parse("LH").ok(),
                grade: None,
                born: None,
                after: None,
            })
        );
        // A birth date as agents type it, or as the API sends it; anything else is refused.
        for typed in ["14/03/1961", "1961-03-14"] {
            let mut a = ask("", "", "");
            a.born = typed.to_owned();
            assert_eq!(
                parse_ask(&catalogue, &a).map(|f| f.born),
                Ok(NaiveDate::from_ymd_opt(1961, 3, 14)),
                "{typed}"
            );
        }
        let mut bad = ask("", "", "");
        bad.born = "31/02/1961".to_owned();
        assert_eq!(
            parse_ask(&catalogue, &bad)
                .err()
                .map(|e| e[0].field.clone()),
            Some("naissance".to_owned())
        );
        assert_eq!(
            parse_ask(&catalogue, &ask("", "", "")),
            Ok(RegistryFilter::default())
        );
        let fields = |a: RegistryAsk| -> Vec<String> {
            parse_ask(&catalogue, &a)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(ask(&"x".repeat(101), "XX", "pas-un-id")),
            ["nom", "distinction", "apres"]
        );
        assert_eq!(fields(ask("a\u{0}b", "", "")), ["nom"]);
        // A grade of the catalogue; with a distinction, one of its grades.
        let graded = |distinction: &str, grade: &str| {
            let mut a = ask("", distinction, "");
            a.grade = grade.to_owned();
            parse_ask(&catalogue, &a).map(|f| f.grade.map(|g| g.to_string()))
        };
        assert_eq!(graded("", "officier"), Ok(Some("officier".to_owned())));
        assert_eq!(
            graded("LH", "grand_croix"),
            Ok(Some("grand_croix".to_owned()))
        );
        assert_eq!(
            graded("", "amiral").err().map(|e| e[0].field.clone()),
            Some("grade".to_owned())
        );
        assert_eq!(fields(ask("a b c d e f g h i", "", "")), ["nom"]);
        assert_eq!(fields(ask("a b c d e f g h", "", "")), Vec::<String>::new());
        assert_eq!(fields(ask(&"é".repeat(100), "", "")), Vec::<String>::new());
    }
}

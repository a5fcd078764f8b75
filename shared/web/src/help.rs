//! Where each page's « Aide » link leads: a section of the user guide (`docs/guide/`, served
//! by the gateway under `/aide`). Keyed by the page's template, so every page has one; a test
//! (`tests/it/pages.rs`) follows each page's link and finds its section.

/// `(template, guide page#section)` for every page template. A template missing here gets the
/// guide's first page (and fails the test).
pub const PAGE_HELP: &[(&str, &str)] = &[
    ("home", "index#accueil"),
    ("login", "index#se-connecter"),
    ("login_error", "index#se-connecter"),
    ("logged_out", "index#se-connecter"),
    ("tenant_picker", "index#changer-de-ministere"),
    ("no_access", "index#acces-non-accorde"),
    ("error", "index#en-cas-de-probleme"),
    ("accessibility", "index#accessibilite"),
    ("job", "index#taches-longues"),
    ("export_form", "index#exporter-une-liste"),
    ("export_job", "index#exporter-une-liste"),
    ("operator", "index#exploitation"),
    ("help", "index#utiliser-le-guide"),
    ("help_search", "index#utiliser-le-guide"),
    ("members", "administrateur#membres"),
    ("policy", "administrateur#politique"),
    ("catalogue", "administrateur#catalogue"),
    ("catalogue_edit", "administrateur#catalogue"),
    ("intake/campaigns", "administrateur#campagnes"),
    ("intake/campaign_new", "administrateur#ouvrir-une-campagne"),
    ("readlog", "auditeur#journal-des-lectures"),
    ("intake/dossiers", "redacteur#mes-dossiers"),
    ("intake/proposal_imports", "redacteur#import-propositions"),
    ("intake/proposal_import", "redacteur#import-propositions"),
    ("intake/step", "redacteur#remplir-un-dossier"),
    ("intake/receipt", "redacteur#recepisse"),
    ("instruction/queue", "instructeur#la-file"),
    ("instruction/search", "instructeur#rechercher"),
    ("instruction/bulk", "instructeur#actions-groupees"),
    ("instruction/dossier", "instructeur#instruire-un-dossier"),
    ("decisions/campaigns", "integrateur#decisions"),
    ("decisions/board", "integrateur#liste-de-la-campagne"),
    ("decisions/imports", "integrateur#import-du-registre"),
    ("decisions/import_job", "integrateur#import-du-registre"),
    ("promotion/registry", "integrateur#registre"),
    ("promotion/radar", "integrateur#radar"),
];

/// The guide's section (`page#anchor`) for the page rendered by `template`: the guide's
/// first page for a template [`PAGE_HELP`] does not name.
#[must_use]
pub fn section_of(template: &str) -> &'static str {
    PAGE_HELP
        .iter()
        .find(|(name, _)| *name == template)
        .map_or("index", |(_, target)| target)
}

/// The « Aide » link of the page rendered by `template`.
#[must_use]
pub fn help_link(template: &str) -> String {
    section_link(section_of(template))
}

/// `page#section` of the guide as a URL: the guide's first page (`index`) is `/aide`.
#[must_use]
pub fn section_link(target: &str) -> String {
    match target.split_once('#') {
        Some(("index", section)) => format!("/aide#{section}"),
        Some((page, section)) => format!("/aide/{page}#{section}"),
        None if target == "index" => "/aide".to_owned(),
        None => format!("/aide/{target}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_lead_to_the_guide() {
        assert_eq!(help_link("home"), "/aide#accueil");
        assert_eq!(
            help_link("intake/step"),
            "/aide/redacteur#remplir-un-dossier"
        );
        assert_eq!(help_link("nothing"), "/aide");
        let mut names: Vec<&str> = PAGE_HELP.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PAGE_HELP.len(), "one entry per template");
    }
}

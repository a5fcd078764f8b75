//! Promotion's pages, one file per page group: the laureate registry and the promotion radar.
//! Handlers are thin: extract, call the use case, render.
//!
//! The radar's « Proposer pour le grade supérieur » forms post to intake's page endpoint
//! `POST /intake/propositions` (`_csrf`, `award_id`, `campaign_id`, `idempotency_key`): intake
//! creates the prefilled draft, once per key, and redirects back here with `?propose=1`.

mod exports;
mod radar;
mod registry;

pub(crate) use exports::{
    export_file, export_form, export_job, radar_export_form, start_export, start_radar_export,
};
pub(crate) use radar::radar;
pub(crate) use registry::registry;

fn plural(n: usize, singular: &str, plural: &str) -> String {
    if n > 1 {
        format!("{n} {plural}")
    } else {
        format!("{n} {singular}")
    }
}

/// What the page tests render with: the service's templates and a signed-in agent.
#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod testing {
    use napoleon_web::{LayoutUser, Page, Templates};
    use serde::Serialize;

    fn user() -> LayoutUser {
        LayoutUser {
            name: "Claire Agent".to_owned(),
            tenant: Some("Ministère de l'Intérieur".to_owned()),
            unit: None,
            can_switch: false,
            operator: false,
            csrf: "jeton-csrf".to_owned(),
        }
    }

    pub(super) fn render<V: Serialize>(template: &str, view: &V) -> String {
        let templates = Templates::new(crate::TEMPLATES).unwrap();
        let user = user();
        templates
            .render(
                template,
                &Page {
                    title: "Titre",
                    view,
                    user: Some(&user),
                },
            )
            .unwrap()
            .0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_templates_carry_no_inline_script_or_style() {
        for (name, source) in crate::TEMPLATES {
            assert!(name.starts_with("promotion/"));
            assert!(!source.contains("<script"), "{name}");
            assert!(!source.contains("style"), "{name}");
            // No event handler attribute (` onclick=`…).
            let handler = source.split(" on").skip(1).any(|rest| {
                let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                !word.is_empty() && rest[word.len()..].starts_with('=')
            });
            assert!(!handler, "{name}");
        }
    }
}

use std::sync::Arc;

use axum::response::IntoResponse;
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::WebError;

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
struct SharedTemplates;

/// The compiled page templates, shared by every handler.
///
/// Strict mode: a template that names a field its view model lacks fails to render (and a test
/// renders every page), instead of silently printing nothing.
#[derive(Clone)]
pub struct Templates {
    registry: Arc<Handlebars<'static>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("count", &self.registry.get_templates().len())
            .finish()
    }
}

/// A rendered HTML page.
#[derive(Debug)]
pub struct Html(pub String);

impl IntoResponse for Html {
    fn into_response(self) -> axum::response::Response {
        axum::response::Html(self.0).into_response()
    }
}

/// What every page passes to the layout.
#[derive(Serialize, Debug)]
struct LayoutView<'a> {
    title: &'a str,
    user: Option<&'a LayoutUser>,
    /// Seconds after which the browser reloads the page (a job's progress without
    /// JavaScript); `None` for every other page.
    refresh: Option<u32>,
    /// The page's « Aide » link: its section of the user guide (`crate::help`).
    help: String,
    /// The footer's accessibility level, from the RGAA checklist (`crate::accessibility`).
    accessibility: &'static str,
}

pub use napoleon_identity::LayoutUser;

/// A page: its title (for `<title>` and the layout), its own view model, and the connected
/// agent if any.
#[derive(Debug)]
pub struct Page<'a, V: Serialize> {
    /// The page title, in French.
    pub title: &'a str,
    /// The page's view model: one type per page.
    pub view: &'a V,
    /// The connected agent, for the header.
    pub user: Option<&'a LayoutUser>,
}

#[derive(Serialize)]
struct PageContext<'a, V: Serialize> {
    layout: LayoutView<'a>,
    page: &'a V,
}

impl Templates {
    /// Compiles the shared templates (layout, error, accessibility) plus a service's own,
    /// given as `(name, source)` pairs.
    ///
    /// # Errors
    /// A description of the first template that does not compile.
    pub fn new(extra: &[(&str, &str)]) -> Result<Self, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(false);
        registry
            .register_embed_templates_with_extension::<SharedTemplates>(".hbs")
            .map_err(|e| e.to_string())?;
        for (name, source) in extra {
            registry
                .register_template_string(name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(Self {
            registry: Arc::new(registry),
        })
    }

    /// Renders template `name` inside the layout.
    ///
    /// # Errors
    /// [`WebError::Internal`] when rendering fails (a bug: a test renders every page).
    pub fn render<V: Serialize>(&self, name: &str, page: &Page<'_, V>) -> Result<Html, WebError> {
        self.render_refreshing(name, page, None)
    }

    /// Renders template `name` inside the layout, reloaded by the browser every `refresh`
    /// seconds (`<meta http-equiv="refresh">`): progress that shows without JavaScript. The
    /// page must offer a way to stop it (RGAA 13.1).
    ///
    /// # Errors
    /// [`WebError::Internal`] when rendering fails (a bug: a test renders every page).
    pub fn render_refreshing<V: Serialize>(
        &self,
        name: &str,
        page: &Page<'_, V>,
        refresh: Option<u32>,
    ) -> Result<Html, WebError> {
        self.render_full(name, page, refresh, crate::help::section_of(name))
    }

    /// Renders template `name` inside the layout, its « Aide » link at `section` of the guide
    /// (`page#anchor`) rather than its template's: one template, several pages (a dossier's
    /// steps).
    ///
    /// # Errors
    /// [`WebError::Internal`] when rendering fails (a bug: a test renders every page).
    pub fn render_at_section<V: Serialize>(
        &self,
        name: &str,
        page: &Page<'_, V>,
        section: &str,
    ) -> Result<Html, WebError> {
        self.render_full(name, page, None, section)
    }

    /// Renders `name` inside the layout, reloaded every `refresh` seconds if given, its
    /// « Aide » link at `section` of the guide.
    fn render_full<V: Serialize>(
        &self,
        name: &str,
        page: &Page<'_, V>,
        refresh: Option<u32>,
        section: &str,
    ) -> Result<Html, WebError> {
        let context = PageContext {
            layout: LayoutView {
                title: page.title,
                user: page.user,
                refresh,
                help: crate::help::section_link(section),
                accessibility: crate::accessibility::level_label(),
            },
            page: page.view,
        };
        self.registry
            .render(name, &context)
            .map(Html)
            .map_err(|e| WebError::Internal(format!("rendering {name}: {e}")))
    }
}

/// A service's own templates, each `templates/<name>.hbs` of the calling crate, registered as
/// `<prefix><name>`: `napoleon_web::templates!("intake/"; "campaigns", "receipt")`.
#[macro_export]
macro_rules! templates {
    ($prefix:literal; $($name:literal),+ $(,)?) => {
        &[$((
            concat!($prefix, $name),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name, ".hbs")),
        )),+]
    };
}

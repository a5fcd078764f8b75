//! The user guide: `docs/guide/*.md` (French, one page per role plus the first page and the
//! glossary), compiled in, read once into HTML pages with their sections, and searched.
//! Nothing here touches the database: the guide is the same for every ministry and for
//! anonymous visitors (the login page has its « Aide » too).
//!
//! Markdown as written in the repository: `## Titre {#ancre}` fixes a section's anchor (what
//! pages' « Aide » links and other pages point at; a heading without one gets its text's
//! slug); `[terme](glossaire.md#terme)` links another page; `![texte](images/nom.png)` shows
//! a screenshot of the browser walk. Raw HTML is shown as text, never passed through.

use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../docs/guide/"]
#[include = "*.md"]
#[include = "images/*.png"]
struct GuideFiles;

/// The pages in reading order; any other page follows, by name.
const ORDER: [&str; 10] = [
    "index",
    "redacteur",
    "instructeur",
    "valideur",
    "chef-de-bureau",
    "integrateur",
    "cabinet",
    "administrateur",
    "auditeur",
    "glossaire",
];

/// At most this many characters of a query are searched, in at most this many words.
pub(crate) const QUERY_CHARS: usize = 100;
const QUERY_WORDS: usize = 8;

/// A page of the guide.
#[derive(Debug)]
pub(crate) struct GuidePage {
    /// Its name in URLs (`redacteur`: `/aide/redacteur`; `index`: `/aide`).
    pub(crate) slug: String,
    /// Its title (its `#` heading).
    pub(crate) title: String,
    /// Its body as HTML, the title left out (the page template shows it).
    pub(crate) html: String,
    /// Its `##` and `###` sections, in order.
    pub(crate) sections: Vec<Section>,
}

impl GuidePage {
    /// Where the page is served.
    pub(crate) fn url(&self) -> String {
        napoleon_web::help::section_link(&self.slug)
    }

    /// Whether a section of the page has the anchor `id`.
    #[cfg(test)]
    pub(crate) fn has_section(&self, id: &str) -> bool {
        self.sections.iter().any(|s| s.id == id)
    }
}

/// A section of a page: its heading and its text (searched).
#[derive(Debug)]
pub(crate) struct Section {
    /// Its anchor.
    pub(crate) id: String,
    /// Its heading.
    pub(crate) title: String,
    /// `2` or `3`.
    pub(crate) level: u8,
    /// Its plain text (the heading's included), for excerpts.
    text: String,
    /// Its text and its heading as search compares them ([`fold`]), computed once.
    folded_text: String,
    folded_title: String,
}

/// A section found by a search.
#[derive(Debug)]
pub(crate) struct Hit<'a> {
    pub(crate) page: &'a GuidePage,
    pub(crate) section: &'a Section,
    /// The start of the section's text.
    pub(crate) excerpt: String,
}

/// The whole guide.
#[derive(Debug)]
pub(crate) struct Guide {
    pages: Vec<GuidePage>,
}

static GUIDE: LazyLock<Guide> = LazyLock::new(Guide::load);

/// The guide, read at first use.
pub(crate) fn guide() -> &'static Guide {
    &GUIDE
}

/// A screenshot of the guide (`images/<name>`), as compiled in (borrowed from the binary in
/// release builds: nothing copied per request).
pub(crate) fn image(name: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    let ok = name.ends_with(".png")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok || name.contains("..") {
        return None;
    }
    GuideFiles::get(&format!("images/{name}")).map(|f| f.data)
}

impl Guide {
    fn load() -> Self {
        let mut names: Vec<String> = GuideFiles::iter()
            .filter(|f| f.ends_with(".md") && !f.contains('/'))
            .map(|f| f.trim_end_matches(".md").to_owned())
            .collect();
        names.sort_by_key(|n| {
            (
                ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()),
                n.clone(),
            )
        });
        let pages = names
            .into_iter()
            .filter_map(|slug| {
                let file = GuideFiles::get(&format!("{slug}.md"))?;
                let text = String::from_utf8_lossy(&file.data).into_owned();
                Some(render(&slug, &text))
            })
            .collect();
        Self { pages }
    }

    /// Every page, in reading order.
    pub(crate) fn pages(&self) -> &[GuidePage] {
        &self.pages
    }

    /// The page `slug`.
    pub(crate) fn page(&self, slug: &str) -> Option<&GuidePage> {
        self.pages.iter().find(|p| p.slug == slug)
    }

    /// The sections whose heading and text hold every word of `query` (case and accents
    /// ignored), those whose heading holds them first; at most `limit`.
    pub(crate) fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        let query: String = query.chars().take(QUERY_CHARS).collect();
        let words: Vec<String> = fold(&query)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(QUERY_WORDS)
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(bool, Hit<'_>)> = Vec::new();
        for page in &self.pages {
            for section in &page.sections {
                if words
                    .iter()
                    .all(|w| section.folded_text.contains(w.as_str()))
                {
                    let in_title = words
                        .iter()
                        .all(|w| section.folded_title.contains(w.as_str()));
                    hits.push((
                        in_title,
                        Hit {
                            page,
                            section,
                            excerpt: excerpt(&section.text, &section.title),
                        },
                    ));
                }
            }
        }
        // Stable: within each group, the guide's order.
        hits.sort_by_key(|(in_title, _)| !in_title);
        hits.into_iter().take(limit).map(|(_, h)| h).collect()
    }
}

/// The section's text after its heading, cut to about 200 characters at a word.
fn excerpt(text: &str, title: &str) -> String {
    let body = text.strip_prefix(title).unwrap_or(text).trim();
    if body.chars().count() <= 200 {
        return body.to_owned();
    }
    let cut: String = body.chars().take(200).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut} …")
}

/// Lowercase without French diacritics: what search compares.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ô' | 'ö' | 'ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' => out.push('y'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// A heading's anchor when the guide gives none: its folded words joined by dashes.
fn slug(text: &str) -> String {
    fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Where a link of the guide leads: another page (`redacteur.md#x` → `/aide/redacteur#x`), an
/// image (`images/x.png` → `/aide/images/x.png`), or elsewhere as written.
fn rewrite(dest: &str) -> String {
    if let Some(name) = dest.strip_prefix("images/") {
        return format!("/aide/images/{name}");
    }
    let (path, anchor) = dest.split_once('#').unwrap_or((dest, ""));
    match path.strip_suffix(".md") {
        Some(slug) if !slug.contains('/') && !slug.contains(':') => {
            if anchor.is_empty() {
                napoleon_web::help::section_link(slug)
            } else {
                napoleon_web::help::section_link(&format!("{slug}#{anchor}"))
            }
        }
        // Elsewhere inside the platform, an anchor of the page, or the web and mail: nothing
        // else (a `javascript:` link would be a script in a page).
        _ if dest.starts_with('#')
            || (dest.starts_with('/') && !dest.starts_with("//"))
            || dest.starts_with("https://")
            || dest.starts_with("mailto:") =>
        {
            dest.to_owned()
        }
        _ => "#".to_owned(),
    }
}

/// Reads one page: its title, its HTML, its sections.
fn render(page_slug: &str, markdown: &str) -> GuidePage {
    let options = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();

    // Headings: their text, anchors, and where the title (the `#` heading) is.
    let mut title = String::new();
    let mut title_span = None;
    let mut sections: Vec<Section> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level;
            let explicit = id.as_ref().map(ToString::to_string);
            let end = (i..events.len())
                .find(|&j| matches!(events[j], Event::End(TagEnd::Heading(_))))
                .unwrap_or(events.len() - 1);
            let text: String = events[i..end]
                .iter()
                .filter_map(|e| match e {
                    Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                    _ => None,
                })
                .collect();
            if level == HeadingLevel::H1 && title.is_empty() {
                title.clone_from(&text);
                title_span = Some((i, end));
            } else if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                let id = explicit.unwrap_or_else(|| slug(&text));
                if let Event::Start(Tag::Heading {
                    id: slot,
                    classes,
                    attrs,
                    ..
                }) = &mut events[i]
                {
                    *slot = Some(CowStr::from(id.clone()));
                    // The anchor only: no class or attribute of the Markdown reaches the page.
                    classes.clear();
                    attrs.clear();
                }
                sections.push(Section {
                    id,
                    title: text.clone(),
                    level: if level == HeadingLevel::H2 { 2 } else { 3 },
                    text: String::new(),
                    folded_text: String::new(),
                    folded_title: fold(&text),
                });
            }
            i = end;
        }
        i += 1;
    }

    // The sections' text: everything between a heading and the next.
    let mut current: Option<usize> = None;
    let mut seen = 0;
    for (n, event) in events.iter().enumerate() {
        if title_span.is_some_and(|(a, b)| (a..=b).contains(&n)) {
            continue;
        }
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2 | HeadingLevel::H3,
                ..
            }) => {
                current = Some(seen);
                seen += 1;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(section) = current.and_then(|c| sections.get_mut(c)) {
                    if !section.text.is_empty() && !section.text.ends_with(' ') {
                        section.text.push(' ');
                    }
                    section.text.push_str(t);
                }
            }
            _ => {}
        }
    }

    for section in &mut sections {
        section.folded_text = fold(&section.text);
    }

    // The HTML: the title left out, links and images pointed inside /aide, raw HTML shown as
    // text, tables in the DSFR's wrapper.
    let body = events
        .into_iter()
        .enumerate()
        .filter(|(n, _)| !title_span.is_some_and(|(a, b)| (a..=b).contains(n)))
        .map(|(_, event)| match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::from(rewrite(&dest_url)),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                dest_url,
                title,
                id,
                ..
            }) => Event::Start(Tag::Image {
                link_type: LinkType::Inline,
                dest_url: CowStr::from(rewrite(&dest_url)),
                title,
                id,
            }),
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, body);
    let html = html
        .replace("<table>", "<div class=\"fr-table\"><table>")
        .replace("</table>", "</table></div>");
    GuidePage {
        slug: page_slug.to_owned(),
        title,
        html,
        sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_into_sections_with_anchors_and_links_inside_the_guide() {
        let page = render(
            "essai",
            "# Essai\n\nIntro.\n\n## Créer un dossier {#creer}\n\nVoir le [contingent](glossaire.md#contingent) et l'[accueil](index.md).\n\n### Étape 1 : le candidat\n\n<script>alert(1)</script>\n\n![La file](images/file.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert_eq!(page.title, "Essai");
        let ids: Vec<&str> = page.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["creer", "etape-1-le-candidat"]);
        assert!(
            page.html.contains("<h2 id=\"creer\">Créer un dossier</h2>"),
            "{}",
            page.html
        );
        assert!(page.html.contains("href=\"/aide/glossaire#contingent\""));
        assert!(page.html.contains("href=\"/aide\""));
        assert!(
            page.html
                .contains("src=\"/aide/images/file.png\" alt=\"La file\"")
        );
        assert!(
            !page.html.contains("<script>"),
            "raw HTML is text: {}",
            page.html
        );
        assert!(page.html.contains("class=\"fr-table\""));
        assert!(!page.html.contains("<h1"), "the title is the template's");
    }

    #[test]
    fn search_ignores_case_and_accents_and_puts_headings_first() {
        let guide = guide();
        assert_eq!(
            guide.pages().first().map(|p| p.slug.as_str()),
            Some("index")
        );
        let hits = guide.search("CONTINGENT", 50);
        assert!(!hits.is_empty());
        assert_eq!(hits[0].page.slug, "glossaire");
        assert!(fold(&hits[0].section.title).contains("contingent"));
        assert_eq!(
            guide.search("réception", 50).len(),
            guide.search("reception", 50).len()
        );
        assert!(guide.search("   ", 10).is_empty());
        assert!(guide.search("zzzxqj", 10).is_empty());
    }

    #[test]
    fn every_page_has_a_title_unique_anchors_and_links_that_resolve() {
        let guide = guide();
        for page in guide.pages() {
            assert!(!page.title.is_empty(), "{}: a « # » title", page.slug);
            let mut ids: Vec<&str> = page.sections.iter().map(|s| s.id.as_str()).collect();
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            assert_eq!(ids.len(), n, "{}: anchors are unique", page.slug);
            // Every link inside the guide reaches a page and, if given, a section of it.
            for link in page.html.split("href=\"/aide").skip(1) {
                let target = &link[..link.find('"').unwrap_or(0)];
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let slug = path.trim_start_matches('/');
                let slug = if slug.is_empty() { "index" } else { slug };
                if slug.starts_with("images/") {
                    continue;
                }
                let to = guide.page(slug);
                assert!(
                    to.is_some(),
                    "{}: link to a missing page {target}",
                    page.slug
                );
                assert!(
                    anchor.is_empty() || to.is_some_and(|p| p.has_section(anchor)),
                    "{}: link to a missing section {target}",
                    page.slug
                );
            }
        }
    }

    #[test]
    fn links_go_only_inside_the_platform_or_to_the_web_and_headings_keep_only_their_anchor() {
        assert_eq!(rewrite("javascript:alert(1)"), "#");
        assert_eq!(rewrite("//ailleurs.example/x"), "#");
        assert_eq!(rewrite("http://ailleurs.example"), "#");
        assert_eq!(
            rewrite("https://www.legifrance.gouv.fr"),
            "https://www.legifrance.gouv.fr"
        );
        assert_eq!(rewrite("/accessibilite"), "/accessibilite");
        let page = render(
            "essai",
            "# T\n\n## Titre {#a .rouge onclick=x}\n\n[x](javascript:alert(1))\n",
        );
        assert!(
            page.html.contains("<h2 id=\"a\">Titre</h2>"),
            "{}",
            page.html
        );
        assert!(!page.html.contains("javascript:"), "{}", page.html);
    }

    #[test]
    fn images_are_only_the_guides_pngs() {
        assert!(image("../index.md").is_none());
        assert!(image("index.md").is_none());
        assert!(image("nope.png").is_none());
    }
}

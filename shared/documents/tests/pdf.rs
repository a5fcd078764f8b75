//! The documents as their readers get them, read back with poppler's tools: the text
//! (`pdftotext`, French typography included), PDF/A-2b in the XMP metadata, every font
//! embedded (`pdffonts`), and page 1 rendered (`pdftoppm`).

#![expect(clippy::unwrap_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use napoleon_documents::render::{self, Issue, Memoire, Opinion, Recepisse};

fn memoire() -> Memoire {
    Memoire {
        authority: "Ministère de l'Intérieur".to_owned(),
        campaign: "Légion d'honneur — promotion du 14 juillet 2027".to_owned(),
        proposed: "Chevalier de la Légion d'honneur".to_owned(),
        number: Some("LH-2027-07-0001".to_owned()),
        unit: "Préfecture du Rhône".to_owned(),
        identity: vec![
            ("Nom de naissance".to_owned(), "LAMBERT".to_owned()),
            ("Prénoms".to_owned(), "Jeanne Marie".to_owned()),
            ("Date de naissance".to_owned(), "28/02/1962".to_owned()),
        ],
        career: vec!["Depuis le 1er septembre 1984 : ingénieure, ville de Lyon".to_owned()],
        distinctions: vec!["Ordre national du Mérite, chevalier (décret du 14/11/2008)".to_owned()],
        motifs: "Quarante ans au service des habitants; pilotage des travaux après les \
                 inondations! Voir « le rapport »."
            .to_owned(),
        verdict: "Conditions statutaires remplies".to_owned(),
        reasons: vec![("Vingt ans de services publics".to_owned(), "R16".to_owned())],
        opinions: vec![Opinion {
            author: "Claire Martin, Préfecture du Rhône".to_owned(),
            verdict: "Favorable".to_owned(),
            motivation: "Mérites éminents.".to_owned(),
        }],
        pieces: vec!["État des services : etat.pdf".to_owned()],
        at: Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap(),
    }
}

fn tool(name: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(name);
    assert!(
        path.is_file(),
        "{name} is missing: install Debian's poppler-utils (README command 1 does)"
    );
    path
}

fn written(pdf: &[u8], name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("napoleon-documents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(tool(program)).args(args).output().unwrap();
    assert!(out.status.success(), "{program}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_memoire_is_a_pdf_a_2b_with_its_fonts_embedded_and_french_typography() {
    let pdf = render::memoire(&memoire(), Issue::Final).unwrap();
    let path = written(&pdf, "memoire.pdf");
    let file = path.to_str().unwrap();
    let text = run("pdftotext", &["-enc", "UTF-8", file, "-"]);
    for expected in [
        "Mémoire de proposition",
        "Chevalier de la Légion d'honneur",
        "LAMBERT",
        "Jeanne Marie",
        "R16",
        "Claire Martin",
        "LH-2027-07-0001",
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }
    // French typography: a space before « ; : ! ? » and inside guillemets, written as it
    // was not typed (pdftotext gives every space as U+0020: a PDF draws spaces as gaps)…
    assert!(text.contains("habitants ;"), "{text}");
    assert!(text.contains("inondations !"), "{text}");
    assert!(text.contains("« le rapport »"), "{text}");
    // …and no line breaks at one: a long motivation full of them never starts a line with
    // the mark nor ends one with an opening guillemet.
    let mut long = memoire();
    long.motifs =
        "Engagement constant; dévouement reconnu: « exemplaire »! Pourquoi? Parce que. ".repeat(40);
    let long_pdf = render::memoire(&long, Issue::Final).unwrap();
    let long_path = written(&long_pdf, "long.pdf");
    let long_text = run(
        "pdftotext",
        &["-enc", "UTF-8", long_path.to_str().unwrap(), "-"],
    );
    assert!(long_text.matches("exemplaire").count() >= 40, "{long_text}");
    for line in long_text.lines().map(str::trim) {
        assert!(
            !line.starts_with([';', ':', '!', '?', '»']) && !line.ends_with('«'),
            "a line broken at a no-break space: « {line} »"
        );
    }
    let raw = run("pdftotext", &["-raw", "-enc", "UTF-8", file, "-"]);
    let joined: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(!joined.contains("PROJET"), "a final mémoire is not a draft");
    // PDF/A-2b, as its XMP metadata declares it.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(
        raw.contains("<pdfaid:part>2</pdfaid:part>") || raw.contains("pdfaid:part=\"2\""),
        "no pdfaid:part 2 in the XMP"
    );
    assert!(
        raw.contains("<pdfaid:conformance>B</pdfaid:conformance>")
            || raw.contains("pdfaid:conformance=\"B\""),
        "no pdfaid:conformance B in the XMP"
    );
    // Every font embedded.
    let fonts = run("pdffonts", &[file]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding…] emb sub uni object ID: « emb » is the fifth from the end.
        assert_eq!(columns[columns.len() - 5], "yes", "not embedded: {row}");
    }
    // Page 1 renders.
    let png = path.with_extension("");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            file,
            png.to_str().unwrap(),
        ],
    );
    let rendered = std::fs::read_dir(png.parent().unwrap())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("memoire-1"));
    assert!(rendered);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_preview_is_the_same_mémoire_watermarked_projet() {
    let pdf = render::memoire(&memoire(), Issue::Preview).unwrap();
    let path = written(&pdf, "projet.pdf");
    let text = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(text.contains("Mémoire de proposition"));
    // The watermark runs across the page: its letters come out one per line.
    let raw = run(
        "pdftotext",
        &["-raw", "-enc", "UTF-8", path.to_str().unwrap(), "-"],
    );
    let joined: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(joined.contains("PROJET"), "{raw}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn markup_in_a_candidates_text_stays_text() {
    let mut m = memoire();
    m.motifs = "#set page(fill: red) *gras* $x$ = Titre <étiquette> @ref".to_owned();
    let pdf = render::memoire(&m, Issue::Final).unwrap();
    let path = written(&pdf, "markup.pdf");
    let text = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(
        text.contains("*gras* $x$ = Titre <étiquette> @ref"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn the_recepisse_names_the_number_the_date_and_the_unit() {
    let pdf = render::recepisse(&Recepisse {
        authority: "Ministère de l'Intérieur".to_owned(),
        number: "LH-2027-07-0001".to_owned(),
        deposited_on: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        unit: "Préfecture du Rhône".to_owned(),
        campaign: "Légion d'honneur — promotion du 14 juillet 2027".to_owned(),
        candidate: "LAMBERT Jeanne Marie".to_owned(),
        proposed: "Chevalier".to_owned(),
        at: Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap(),
    })
    .unwrap();
    let path = written(&pdf, "recepisse.pdf");
    let text = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    for expected in [
        "Récépissé de dépôt",
        "LH-2027-07-0001",
        "1er mars 2027",
        "Préfecture du Rhône",
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

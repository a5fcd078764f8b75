//! Issue 17: the time to render one mémoire de proposition (PDF/A-2b, fonts embedded), warm
//! (the template compiled once, typst's caches filled), in release. Reported with the machine
//! in loadtests/reports/documents.md.

#![expect(clippy::unwrap_used, reason = "benchmark")]

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use napoleon_documents::render::{self, Issue, Memoire, Opinion};

fn memoire() -> Memoire {
    Memoire {
        authority: "Ministère de l'Intérieur".to_owned(),
        campaign: "Légion d'honneur — promotion du 14 juillet 2027".to_owned(),
        proposed: "Légion d'honneur — chevalier".to_owned(),
        number: Some("LH-2027-07-0001".to_owned()),
        unit: "Préfecture du Rhône".to_owned(),
        identity: vec![
            ("Nom de naissance".to_owned(), "Lambert".to_owned()),
            ("Prénoms".to_owned(), "Jeanne Marie".to_owned()),
            ("Date de naissance".to_owned(), "28/02/1962".to_owned()),
            ("Lieu de naissance".to_owned(), "Lyon (Rhône)".to_owned()),
        ],
        career: (0..6)
            .map(|n| {
                format!(
                    "01/09/{} → 31/08/{} : fonction {n}, ville de Lyon",
                    1984 + 6 * n,
                    1990 + 6 * n
                )
            })
            .collect(),
        distinctions: vec![
            "ONM chevalier — décret du 14/11/2008 — réception le 02/02/2009".to_owned(),
        ],
        motifs: "Quarante ans au service des habitants de Lyon ; pilotage des travaux après les \
                 inondations de 2003. "
            .repeat(12),
        verdict: "Conditions statutaires remplies".to_owned(),
        reasons: vec![
            (
                "42 ans de services au 14/07/2027 ; 20 ans requis".to_owned(),
                "R18".to_owned(),
            ),
            (
                "Bulletin n° 2 délivré le 02/12/2026".to_owned(),
                "R29".to_owned(),
            ),
        ],
        opinions: vec![
            Opinion {
                author: "Claire Martin, Préfecture du Rhône".to_owned(),
                verdict: "Avis favorable, le 3 mars 2027".to_owned(),
                motivation: "Mérites éminents.".to_owned(),
            };
            2
        ],
        pieces: vec!["État des services (PDF)".to_owned(); 4],
        at: Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let m = memoire();
    // Warm: the first rendering compiles the template and loads the fonts.
    render::memoire(&m, Issue::Final).unwrap();
    c.bench_function("memoire_final", |b| {
        b.iter(|| render::memoire(std::hint::black_box(&m), Issue::Final).unwrap());
    });
    c.bench_function("memoire_preview", |b| {
        b.iter(|| render::memoire(std::hint::black_box(&m), Issue::Preview).unwrap());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

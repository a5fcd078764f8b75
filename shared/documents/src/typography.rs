//! French typography for the generated documents (Lexique des règles typographiques en usage
//! à l'Imprimerie nationale): the spaces that must not break, and dates as French writes them.
//!
//! - a no-break space (U+00A0) before « : » and inside « guillemets »;
//! - a narrow no-break space (U+202F) before « ; », « ! » and « ? »;
//! - « n° », a day and its month, a month and its year held to what follows;
//! - dates as « 14 juillet 2027 », « 1er janvier 2027 ».
//!
//! A colon or a mark with no space before it is given one only where it ends a word
//! (« Attention! » → « Attention ! »), never inside a URL or a time (« https://…»,
//! « 14:30 »), which stay as written.

use chrono::{Datelike, NaiveDate};

/// No-break space.
pub const NBSP: char = '\u{a0}';
/// Narrow no-break space.
pub const NNBSP: char = '\u{202f}';

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `date` as French writes it: « 14 juillet 2027 », « 1er janvier 2027 », its spaces
/// unbreakable.
#[must_use]
pub fn date(date: NaiveDate) -> String {
    let day = date.day();
    let month = date
        .month0()
        .try_into()
        .ok()
        .and_then(|m: usize| MONTHS.get(m))
        .copied()
        .unwrap_or_default();
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    format!("{day}{NBSP}{month}{NBSP}{}", date.year())
}

/// `text` with French typography's unbreakable spaces (module documentation).
#[must_use]
pub fn french(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    // After an opening guillemet and its no-break space, the spaces written already.
    let mut after_opening = false;
    for (i, &c) in chars.iter().enumerate() {
        if after_opening && matches!(c, ' ' | NBSP | NNBSP) {
            continue;
        }
        after_opening = false;
        let next = chars.get(i + 1).copied();
        let ends_word = next.is_none_or(|n| n.is_whitespace() || matches!(n, '»' | ')' | '"'));
        match c {
            ':' | ';' | '!' | '?' => {
                let space = if c == ':' { NBSP } else { NNBSP };
                if out.ends_with(' ') || out.ends_with(NBSP) || out.ends_with(NNBSP) {
                    out.pop();
                    out.push(space);
                } else if ends_word
                    && out
                        .chars()
                        .last()
                        .is_some_and(|p| p.is_alphanumeric() || p == '»' || p == ')')
                {
                    out.push(space);
                }
                out.push(c);
            }
            '«' => {
                out.push(c);
                out.push(NBSP);
                after_opening = true;
            }
            '»' => {
                while out.ends_with(' ') || out.ends_with(NBSP) {
                    out.pop();
                }
                out.push(NBSP);
                out.push(c);
            }
            ' ' if held(&out, &chars[i + 1..]) => out.push(NBSP),
            _ => out.push(c),
        }
    }
    out
}

/// Whether the space after `before` must not break: after « n° », between a day and its
/// month, between a month and its year.
fn held(before: &str, after: &[char]) -> bool {
    let previous: String = before
        .chars()
        .rev()
        .take_while(|c| !c.is_whitespace())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let following: String = after.iter().take_while(|c| c.is_alphanumeric()).collect();
    let day = |w: &str| {
        w == "1er" || (w.len() <= 2 && !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
    };
    let year = |w: &str| w.len() == 4 && w.chars().all(|c| c.is_ascii_digit());
    let month = |w: &str| MONTHS.contains(&w);
    previous.eq_ignore_ascii_case("n°")
        || (day(&previous) && month(&following))
        || (month(&previous) && year(&following))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn dates_as_french_writes_them() {
        assert_eq!(date(ymd(2027, 7, 14)), "14\u{a0}juillet\u{a0}2027");
        assert_eq!(date(ymd(2027, 1, 1)), "1er\u{a0}janvier\u{a0}2027");
        assert_eq!(date(ymd(2026, 8, 3)), "3\u{a0}août\u{a0}2026");
    }

    #[test]
    fn spaces_that_must_not_break() {
        assert_eq!(french("Motif : services"), "Motif\u{a0}: services");
        assert_eq!(
            french("Est-il éligible ? Oui ; sans réserve !"),
            "Est-il éligible\u{202f}? Oui\u{202f}; sans réserve\u{202f}!"
        );
        assert_eq!(french("Attention!"), "Attention\u{202f}!");
        assert_eq!(
            french("le « mémoire » joint"),
            "le «\u{a0}mémoire\u{a0}» joint"
        );
        assert_eq!(french("«mémoire»"), "«\u{a0}mémoire\u{a0}»");
        assert_eq!(
            french("décret n° 2024-261 du 25 mars 2024"),
            "décret n°\u{a0}2024-261 du 25\u{a0}mars\u{a0}2024"
        );
        // URLs, times and what has its spaces already stay as written.
        assert_eq!(
            french("voir https://www.legifrance.gouv.fr?id=1 à 14:30"),
            "voir https://www.legifrance.gouv.fr?id=1 à 14:30"
        );
        let done = "Motif\u{a0}: oui\u{202f}!";
        assert_eq!(french(done), done);
        assert_eq!(
            french(&french("Quoi ? « x » : y")),
            french("Quoi ? « x » : y")
        );
    }
}

//! Text, id and date rules, decided once for the phone and the server.
//!
//! Free text (a note, a void reason, a staff label, an event title) is *normalised* before it is
//! checked and stored, the same way on both sides:
//! - every run of white space — spaces, TABs, line breaks, non-breaking and other Unicode spaces —
//!   becomes one ordinary space, and the ends are trimmed;
//! - control characters and invisible format characters (zero-width spaces and joiners outside
//!   emoji, bidirectional marks and overrides, the byte-order mark, soft hyphens) are removed;
//! - everything else (letters of any script, emoji, combining marks) stays as typed.
//!
//! A stored text is therefore always its own normal form: the server refuses one that is not
//! (only a client that skipped these rules can send it).

use crate::error::{Error, PersonalData, Result};
use crate::screen::find_personal_data;

/// A check's note and a void reason.
pub const NOTE_MAX: usize = 200;
/// The librarian's label (initials).
pub const STAFF_LABEL_MAX: usize = 40;
pub const EVENT_TITLE_MAX: usize = 120;
/// Ids of records, devices, branches, categories, documents, reasons, events.
pub const ID_MAX: usize = 100;

/// Zero-width joiner: kept, emoji sequences (👨‍👩‍👧) need it.
const ZWJ: char = '\u{200d}';

/// Invisible characters that are removed: control characters, and format characters (Unicode
/// category Cf) other than the emoji joiner and variation selectors.
fn is_removed(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(c,
        '\u{00ad}'              // soft hyphen
        | '\u{061c}'            // Arabic letter mark
        | '\u{180e}'            // Mongolian vowel separator
        | '\u{200b}' | '\u{200c}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
    )
}

/// The normal form of a free text (see the module's documentation).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c != ZWJ && is_removed(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// Whether `text` is already in normal form.
pub fn is_normal(text: &str) -> bool {
    normalize(text) == text
}

/// Normalises `text`, enforces `max` characters and refuses personal data. Empty text (after
/// normalisation) becomes `None`.
pub fn clean_optional(field: &'static str, text: Option<&str>, max: usize) -> Result<Option<String>> {
    clean_optional_with(field, text, max, &mut find_personal_data)
}

/// Screens a normalised text for personal data: [`find_personal_data`]'s answer, perhaps one
/// remembered from an earlier text of the same batch.
pub(crate) type Screen<'a> = &'a mut dyn FnMut(&str) -> Option<PersonalData>;

/// [`clean_optional`] with `screen` in place of [`find_personal_data`].
pub(crate) fn clean_optional_with(
    field: &'static str,
    text: Option<&str>,
    max: usize,
    screen: Screen,
) -> Result<Option<String>> {
    let Some(text) = text.map(normalize).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(Error::TooLong { field, max });
    }
    if let Some(kind) = screen(&text) {
        return Err(Error::PersonalData { field, kind });
    }
    Ok(Some(text))
}

/// Like [`clean_optional`] for a required text: empty is `empty`.
pub fn clean_required(field: &'static str, text: &str, max: usize, empty: Error) -> Result<String> {
    clean_optional(field, Some(text), max)?.ok_or(empty)
}

/// An id-like value: ASCII letters, digits, `-`, `_`, `.`, `:`; 1 to [`ID_MAX`] characters. Every
/// id that travels in a record (and so every id of a configuration) has this shape.
pub fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= ID_MAX && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// A real calendar date written `YYYY-MM-DD` (surrounding spaces ignored), normalised.
pub fn parse_date(date: &str) -> Option<chrono::NaiveDate> {
    let date = date.trim();
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok().filter(|_| date.len() == 10)
}

/// A date as a person in Russia types it, `ДД.ММ.ГГГГ` (also `Д.М.ГГГГ`), or `YYYY-MM-DD`.
pub fn parse_typed_date(date: &str) -> Option<chrono::NaiveDate> {
    let date = date.trim();
    if let Some(d) = parse_date(date) {
        return Some(d);
    }
    let mut parts = date.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 || y.len() != 4 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// [`parse_date`] as its `YYYY-MM-DD` text.
pub fn event_date(date: &str) -> Option<String> {
    parse_date(date).map(|d| d.to_string())
}

/// UTC offsets run from −12:00 to +14:00 (minutes east of UTC).
pub const OFFSET_MIN_RANGE: std::ops::RangeInclusive<i32> = -12 * 60..=14 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_and_invisible_characters_are_decided_once() {
        assert_eq!(normalize("  Госкан\tзавис \u{a0}\u{2003} дважды\r\n"), "Госкан завис дважды");
        assert_eq!(normalize("a\u{0}b\u{7}c\u{1b}[31m"), "abc[31m");
        assert_eq!(normalize("\u{200f}право\u{200e}\u{202e}\u{feff}"), "право");
        assert_eq!(normalize("ok 👍🏽 👨\u{200d}👩\u{200d}👧"), "ok 👍🏽 👨\u{200d}👩\u{200d}👧");
        assert_eq!(normalize("е\u{301}ж"), "е\u{301}ж", "combining marks stay");
        assert_eq!(normalize("\t \u{2028}"), "");
        assert!(is_normal("одна строка") && !is_normal("две\nстроки") && !is_normal(" край"));
    }

    #[test]
    fn clean_optional_normalises_limits_and_refuses() {
        assert_eq!(clean_optional("Примечание", Some(" \t "), 10).unwrap(), None);
        assert_eq!(clean_optional("Примечание", Some(" о\tк "), 10).unwrap().as_deref(), Some("о к"));
        assert_eq!(clean_optional("Примечание", Some("слишком длинно"), 5).unwrap_err().code(), "too_long");
        let err = clean_optional("Примечание", Some("тел 89123456789"), 100).unwrap_err();
        assert_eq!(err.code(), "personal_data");
        assert!(err.to_string().contains("номер телефона"), "{err}");
        // A phone number hidden by a TAB or a zero-width space is still found.
        assert_eq!(clean_optional("П", Some("тел\t8912\u{200b}3456789"), 100).unwrap_err().code(), "personal_data");
    }

    #[test]
    fn ids_and_dates() {
        assert!(is_id("branch-1") && is_id("a.b:c_d") && !is_id("") && !is_id("филиал") && !is_id("a b"));
        assert!(!is_id(&"x".repeat(ID_MAX + 1)));
        assert_eq!(event_date(" 2026-02-28 ").as_deref(), Some("2026-02-28"));
        assert_eq!(event_date("2026-02-30"), None);
        assert_eq!(event_date("2026-2-3"), None);
        let typed = |s| parse_typed_date(s).map(|d| d.to_string());
        assert_eq!(typed("05.03.2026").as_deref(), Some("2026-03-05"));
        assert_eq!(typed(" 5.3.2026 ").as_deref(), Some("2026-03-05"));
        assert_eq!(typed("2026-03-05").as_deref(), Some("2026-03-05"));
        for bad in ["31.02.2026", "05.03.26", "05/03/2026", "1.2.3.2026", "", "+262142-12-31"] {
            assert_eq!(typed(bad), None, "{bad}");
        }
    }
}

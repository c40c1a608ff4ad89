//! Screening of free text for personal data (DOMAIN.md, «What a record may and may not hold»).
//!
//! Notes, void reasons, staff labels and event titles are free text typed by a librarian. They
//! must never carry a citizen's phone, passport, СНИЛС, document number, e-mail, name, birth date
//! or address. What looks like one is refused here, before anything is written. Callers screen
//! the normal form of a text (`text::normalize`), so a TAB or an invisible character cannot hide
//! a number; this module also reads digits of other scripts (full-width, Arabic-Indic…) as
//! digits and «собака»/«at» as `@`.
//!
//! Names are found by shape, not by a list of citizens: a given name from a bundled list
//! (`screen/given_names.txt`) next to a patronymic or a surname-like word, initials next to a
//! capitalised word, a surname-like word after «гражданка», «фамилия», «приходил»…. Surnames of
//! writers and public figures that events and streets carry (`screen/famous.txt`: Пушкин,
//! Лермонтов, Толстой…) are not taken for a citizen's. Birth dates are a year or a date next to
//! «г.р.», «рожд…», «родил…»; addresses are street, house and flat words with numbers.
//!
//! The corpus test (`tests/screen_corpus.rs`) holds this to 0 misses and at most 2 % false
//! alarms on realistic notes; add a line there when a note is wrongly refused or let through.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::error::PersonalData;

const GIVEN_NAMES: &str = include_str!("screen/given_names.txt");
const FAMOUS: &str = include_str!("screen/famous.txt");

/// Lower case, «ё» as «е»: the form words are compared in.
fn fold_word(word: &str) -> String {
    word.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).collect()
}

fn data_lines(data: &'static str) -> impl Iterator<Item = String> {
    data.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(fold_word)
}

fn given_names() -> &'static HashSet<String> {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| data_lines(GIVEN_NAMES).collect())
}

fn famous_stems() -> &'static [String] {
    static STEMS: OnceLock<Vec<String>> = OnceLock::new();
    STEMS.get_or_init(|| data_lines(FAMOUS).collect())
}

/// The value of a decimal digit of any script Unicode knows as a digit run of ten (Arabic-Indic,
/// Devanagari, full-width, mathematical…), not only ASCII.
fn decimal_digit(c: char) -> Option<u32> {
    const ZEROS: &[u32] = &[
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
        0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
        0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x11066, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC,
        0x1D7F6, 0x1E950, 0x1FBF0,
    ];
    let c = c as u32;
    ZEROS.iter().find(|&&z| (z..z + 10).contains(&c)).map(|z| c - z)
}

/// One character as the screen reads it: digits of any script as ASCII digits, full-width forms
/// as ASCII, dashes as `-`, dot-like marks as `.`.
fn fold_char(c: char) -> char {
    if let Some(d) = decimal_digit(c) {
        return char::from_digit(d, 10).unwrap_or(c);
    }
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' | '\u{a0}' | '\u{202f}' | '\u{2007}' | '\u{2009}' => ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{2043}' => '-',
        '\u{2024}' | '\u{00b7}' | '\u{2027}' | '\u{2219}' | '\u{30fb}' | '\u{ff61}' | '\u{fe52}' => '.',
        '\u{fe6b}' => '@',
        _ => c,
    }
}

/// Finds the first piece of personal data in `text`, if any.
pub fn find_personal_data(text: &str) -> Option<PersonalData> {
    let chars: Vec<char> = text.chars().map(fold_char).collect();
    let folded: String = chars.iter().collect();
    if looks_like_email(&folded) || looks_like_email(&spelled_email(&folded)) {
        return Some(PersonalData::Email);
    }
    if let Some(kind) = find_number(&chars) {
        return Some(kind);
    }
    let toks = tokenize(&chars);
    if has_birth_date(&toks) {
        return Some(PersonalData::BirthDate);
    }
    if has_address(&toks) {
        return Some(PersonalData::Address);
    }
    if has_name(&toks) {
        return Some(PersonalData::Name);
    }
    None
}

// ---------------------------------------------------------------------------------------------
// E-mail

/// `@` written as a word («собака», «at», «(at)») and `.` as «dot»/«точка», replaced by the signs.
fn spelled_email(text: &str) -> String {
    let mut s = format!(" {} ", fold_word(text));
    // Most texts name no marker at all: nothing to replace (this runs for every record's text).
    if !["собак", "собач", "at", "эт", "dot", "точк"].iter().any(|m| s.contains(m)) {
        return s;
    }
    for marker in ["собака", "собачка", "at", "эт"] {
        for wrapped in [format!("({marker})"), format!("[{marker}]"), format!("{{{marker}}}"), format!("<{marker}>")] {
            s = s.replace(&format!(" {wrapped} "), "@").replace(&wrapped, "@");
        }
        s = s.replace(&format!(" {marker} "), "@");
    }
    for marker in ["dot", "точка"] {
        for wrapped in [format!("({marker})"), format!("[{marker}]"), format!("{{{marker}}}"), format!("<{marker}>")] {
            s = s.replace(&format!(" {wrapped} "), ".").replace(&wrapped, ".");
        }
        s = s.replace(&format!(" {marker} "), ".");
    }
    s.replace(" @ ", "@").replace(" @", "@").replace("@ ", "@")
}

/// `local@domain.tld`: a local part, a domain of at least two labels, the last of two or more
/// letters, all written together.
fn looks_like_email(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(at, &c)| {
        if c != '@' {
            return false;
        }
        let local = chars[..at].iter().rev().take_while(|c| c.is_alphanumeric() || "._+-".contains(**c)).count();
        let domain: String = chars[at + 1..].iter().take_while(|c| c.is_alphanumeric() || ".-".contains(**c)).collect();
        let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
        local > 0
            && chars[at - 1].is_alphanumeric()
            && labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
    })
}

// ---------------------------------------------------------------------------------------------
// Numbers: phones, passports, СНИЛС, document numbers

/// Characters that may stand between digit groups of one number ("+7 (912) 345-67-89",
/// "8.912.345.67.89", "8 - 912 - 345").
fn is_joiner(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '/' | '.' | '_' | '\u{2011}')
}

fn find_number(chars: &[char]) -> Option<PersonalData> {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let plus = i > 0 && chars[..i].iter().rev().find(|c| **c != ' ') == Some(&'+');
        // Digit groups joined by at most three joiner characters, and what joined them.
        let mut groups: Vec<String> = Vec::new();
        let mut gaps: Vec<String> = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            groups.push(chars[start..j].iter().collect());
            let mut k = j;
            while k < chars.len() && is_joiner(chars[k]) && k - j < 3 {
                k += 1;
            }
            if k > j && k < chars.len() && chars[k].is_ascii_digit() {
                gaps.push(chars[j..k].iter().collect());
                j = k;
            } else {
                break;
            }
        }
        // Dates and times at the start of a run are not numbers ("15.03.2026 18.30").
        let mut first = 0;
        loop {
            let rest_gaps = gaps.get(first..).unwrap_or(&[]);
            if is_date(&groups[first..], rest_gaps) {
                first += 3;
            } else if is_time(&groups[first..], rest_gaps) || is_year_range(&groups[first..], rest_gaps) {
                first += 2;
            } else {
                break;
            }
        }
        if first < groups.len() {
            let digits: String = groups[first..].concat();
            let lens: Vec<usize> = groups[first..].iter().map(String::len).collect();
            if let Some(kind) = classify(&digits, &lens, plus && first == 0) {
                return Some(kind);
            }
        }
        i = j.max(i + 1);
    }
    None
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(u32::MAX)
}

/// `dd.mm.yyyy`, `dd.mm.yy`, `dd-mm-yyyy`, `dd/mm/yyyy`, `yyyy-mm-dd` (one separator throughout).
fn is_date(groups: &[String], gaps: &[String]) -> bool {
    if groups.len() < 3 || gaps.len() < 2 || gaps[0] != gaps[1] || !matches!(gaps[0].as_str(), "." | "-" | "/") {
        return false;
    }
    let (a, b, c) = (&groups[0], &groups[1], &groups[2]);
    let day_month = |d: &String, m: &String| {
        d.len() <= 2 && m.len() <= 2 && (1..=31).contains(&num(d)) && (1..=12).contains(&num(m))
    };
    (day_month(a, b) && (c.len() == 4 || (c.len() == 2 && gaps[0] == "."))) || (a.len() == 4 && day_month(c, b))
}

/// `2025/2026`, `2025-2026` (a school year, a span of years).
fn is_year_range(groups: &[String], gaps: &[String]) -> bool {
    groups.len() >= 2
        && gaps.first().is_some_and(|g| matches!(g.trim(), "/" | "-"))
        && groups[..2].iter().all(|g| g.len() == 4 && (1900..=2100).contains(&num(g)))
}

/// `hh.mm` (a time written with a dot).
fn is_time(groups: &[String], gaps: &[String]) -> bool {
    groups.len() >= 2
        && gaps.first().is_some_and(|g| g == ".")
        && groups[0].len() <= 2
        && groups[1].len() == 2
        && num(&groups[0]) <= 23
        && num(&groups[1]) <= 59
}

fn classify(digits: &str, groups: &[usize], plus: bool) -> Option<PersonalData> {
    let n = digits.len();
    if n < 6 {
        return None;
    }
    let first = digits.as_bytes()[0];
    Some(match n {
        11 if groups == [3, 3, 3, 2] || groups == [9, 2] => PersonalData::Snils,
        11 if plus || first == b'7' || first == b'8' => PersonalData::Phone,
        11 => PersonalData::Snils,
        10 if groups == [4, 6] || groups == [2, 2, 6] => PersonalData::Passport,
        10 if first == b'9' || plus => PersonalData::Phone,
        10 => PersonalData::Passport,
        12 if plus => PersonalData::Phone,
        _ if groups.len() >= 3 && groups.iter().all(|g| (1..=3).contains(g)) => PersonalData::Phone,
        _ => PersonalData::DocumentNumber,
    })
}

// ---------------------------------------------------------------------------------------------
// Words

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A word: as typed, and folded (lower case, «ё» as «е»).
    Word {
        text: String,
        low: String,
    },
    Num(String),
    Punct(char),
}

impl Tok {
    fn low(&self) -> Option<&str> {
        match self {
            Tok::Word { low, .. } => Some(low),
            _ => None,
        }
    }

    /// Starts with a capital letter.
    fn cap(&self) -> bool {
        matches!(self, Tok::Word { text, .. } if text.chars().next().is_some_and(char::is_uppercase))
    }

    /// A capitalised word of two or more letters (a name's shape), not an all-capitals acronym of
    /// three letters or fewer («МФЦ», «СВО»).
    fn name_shaped(&self) -> bool {
        match self {
            Tok::Word { text, .. } => {
                let n = text.chars().count();
                self.cap() && n >= 2 && !(n <= 3 && text.chars().all(|c| !c.is_lowercase()))
            }
            _ => false,
        }
    }

    fn is_punct(&self, c: char) -> bool {
        *self == Tok::Punct(c)
    }
}

fn tokenize(chars: &[char]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphabetic()
                    || chars[i] == '\u{301}'
                    || (matches!(chars[i], '-' | '\'' | '’')
                        && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
                        && i > start))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '\u{301}').collect();
            let low = fold_word(&text);
            toks.push(Tok::Word { text, low });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            toks.push(Tok::Num(chars[start..i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    toks
}

fn word(toks: &[Tok], i: usize) -> Option<&str> {
    toks.get(i).and_then(Tok::low)
}

// ---------------------------------------------------------------------------------------------
// Birth dates

/// A date written with numbers starting at token `i` (`12.03.1956`, `12/03/56`, `1956-03-12`):
/// its year and how many tokens it takes.
fn date_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    let n = |k: usize| match toks.get(i + k) {
        Some(Tok::Num(s)) => Some(s.as_str()),
        _ => None,
    };
    let (a, b, c) = (n(0)?, n(2)?, n(4)?);
    let sep = match toks.get(i + 1)? {
        Tok::Punct(s @ ('.' | '-' | '/')) => *s,
        _ => return None,
    };
    if !toks.get(i + 3)?.is_punct(sep) {
        return None;
    }
    let dm =
        |d: &str, m: &str| d.len() <= 2 && m.len() <= 2 && (1..=31).contains(&num(d)) && (1..=12).contains(&num(m));
    if dm(a, b) && (c.len() == 4 || c.len() == 2) {
        let year = if c.len() == 2 { 1900 + num(c) } else { num(c) };
        return Some((year, 5));
    }
    if a.len() == 4 && dm(c, b) {
        return Some((num(a), 5));
    }
    None
}

/// A year a living person could be born in, or a date: its year and length in tokens.
fn year_or_date_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    if let Some(d) = date_at(toks, i) {
        return Some(d);
    }
    match toks.get(i) {
        Some(Tok::Num(s)) if s.len() == 4 && (1900..=2030).contains(&num(s)) => Some((num(s), 1)),
        _ => None,
    }
}

/// «г.р.», «г. р.», «г/р», «гр», «г.рожд.», «года рождения» starting at token `i`.
fn birth_mark_at(toks: &[Tok], i: usize) -> bool {
    let w = |k: usize| word(toks, i + k);
    let skip_punct = |k: usize| if matches!(toks.get(i + k), Some(Tok::Punct('.' | '/'))) { k + 1 } else { k };
    match w(0) {
        Some("гр" | "грожд") => true,
        Some("г") => {
            let k = skip_punct(1);
            w(k).is_some_and(|n| n == "р" || n.starts_with("рожд"))
        }
        Some(g) if g.starts_with("год") => w(1).is_some_and(|n| n.starts_with("рожд")),
        _ => false,
    }
}

/// A word about being born: «рождения», «рожд.», «родилась», «д.р.», «ДР».
fn birth_word_at(toks: &[Tok], i: usize) -> bool {
    match word(toks, i) {
        Some(w) if w.starts_with("рожд") || w.starts_with("родил") => {
            // «ко дню рождения» is a celebration, not a person's birth date.
            !matches!(word(toks, i.wrapping_sub(1)), Some("день" | "дню" | "дня" | "днем"))
        }
        Some("д") => {
            toks.get(i + 1).is_some_and(|t| t.is_punct('.') || t.is_punct('/')) && word(toks, i + 2) == Some("р")
        }
        Some("др") => true,
        _ => birth_mark_at(toks, i),
    }
}

fn has_birth_date(toks: &[Tok]) -> bool {
    for i in 0..toks.len() {
        // A two- or four-digit year, or a date, followed by «г.р.».
        let short_year = matches!(&toks[i], Tok::Num(s) if s.len() == 2);
        if let Some((_, len)) = year_or_date_at(toks, i).or(short_year.then_some((0, 1))) {
            if birth_mark_at(toks, i + len) {
                return true;
            }
        }
        // «родилась … 1956», «дата рождения: 12.03.1956», «1956 … рожд.»: within four tokens.
        if birth_word_at(toks, i) {
            let window = i.saturating_sub(4)..(i + 6).min(toks.len());
            if window.into_iter().any(|k| year_or_date_at(toks, k).is_some()) {
                return true;
            }
        }
        // «день рождения 12.03.1956»: a celebration unless the year is long past.
        if word(toks, i).is_some_and(|w| w.starts_with("рожд")) {
            if let Some((year, _)) = (i + 1..(i + 4).min(toks.len())).find_map(|k| date_at(toks, k)) {
                if year < 2010 {
                    return true;
                }
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Addresses

fn is_street_word(w: &str) -> bool {
    matches!(
        w,
        "ул" | "пр"
            | "пр-т"
            | "пр-кт"
            | "просп"
            | "пер"
            | "бул"
            | "б-р"
            | "ш"
            | "наб"
            | "пл"
            | "мкр"
            | "мкр-н"
            | "туп"
            | "кв-л"
    ) || ["улиц", "проспект", "переул", "бульвар", "шоссе", "набережн", "площад", "микрорайон", "проезд", "тупик"]
        .iter()
        .any(|s| w.starts_with(s))
}

fn is_house_word(w: &str) -> bool {
    matches!(w, "д" | "дом" | "дома" | "доме" | "корп" | "к" | "стр" | "строение" | "корпус" | "корпуса")
}

fn is_flat_word(w: &str) -> bool {
    w == "кв" || w.starts_with("квартир")
}

fn is_residence_word(w: &str) -> bool {
    ["прожива", "живет", "живут", "прописан", "прописк", "зарегистрирован"].iter().any(|s| w.starts_with(s))
        || w == "адрес"
        || w == "адресу"
}

/// The token after a marker word, its dot and a «№» skipped.
fn after_marker(toks: &[Tok], i: usize) -> usize {
    let mut k = i + 1;
    while toks.get(k).is_some_and(|t| t.is_punct('.') || t.is_punct('№') || t.is_punct(':')) {
        k += 1;
    }
    k
}

fn has_address(toks: &[Tok]) -> bool {
    let num_at = |k: usize| matches!(toks.get(k), Some(Tok::Num(_)));
    let any_street = toks.iter().any(|t| t.low().is_some_and(is_street_word));
    let flats: Vec<usize> = (0..toks.len())
        .filter(|&i| word(toks, i).is_some_and(is_flat_word))
        .filter(|&i| !(i > 0 && num_at(i - 1))) // «1 кв. 2026» is a quarter
        .filter(|&i| num_at(after_marker(toks, i)))
        .collect();
    if !flats.is_empty() {
        return true;
    }
    let houses =
        (0..toks.len()).filter(|&i| word(toks, i).is_some_and(is_house_word) && num_at(after_marker(toks, i))).count();
    if houses >= 2 || (houses == 1 && any_street) {
        return true;
    }
    for i in 0..toks.len() {
        let Some(w) = word(toks, i) else { continue };
        // A street word, then its name, then a number: «ул. Ленина, 5», «ул. 8 Марта, 12».
        if is_street_word(w) {
            let mut k = after_marker(toks, i);
            let mut named = false;
            while k < toks.len() && k < i + 8 {
                match &toks[k] {
                    Tok::Word { .. } => named = true,
                    Tok::Num(_) if named => return true,
                    Tok::Num(_) => {}
                    Tok::Punct(',' | '-' | '«' | '»' | '"') => {}
                    Tok::Punct(_) => break,
                }
                k += 1;
            }
        }
        // «проживает: Пятигорская 12», «адрес — Ленина, 5».
        if is_residence_word(w) {
            let end = (i + 8).min(toks.len());
            if (i + 1..end).any(|k| {
                toks[k].name_shaped()
                    && (num_at(k + 1) || (toks.get(k + 1).is_some_and(|t| t.is_punct(',')) && num_at(k + 2)))
            }) {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Names

/// A given name of the list, also inflected («Марией», «Ивану», «Ольги»).
fn is_given(w: &str) -> bool {
    const ENDINGS: &[(&str, &str)] = &[
        ("ой", "а"),
        ("ей", "я"),
        ("ы", "а"),
        ("и", "а"),
        ("и", "я"),
        ("е", "а"),
        ("е", "я"),
        ("у", "а"),
        ("ю", "я"),
        ("а", ""),
        ("у", ""),
        ("ом", ""),
        ("е", ""),
        ("ем", "й"),
        ("я", "й"),
        ("ю", "й"),
        ("е", "й"),
        ("ем", "ь"),
        ("я", "ь"),
        ("ю", "ь"),
        ("и", "ь"),
        ("ью", "ь"),
    ];
    let names = given_names();
    w.chars().count() >= 2
        && (names.contains(w)
            || ENDINGS.iter().any(|(end, base)| {
                w.strip_suffix(end)
                    .is_some_and(|stem| stem.chars().count() >= 2 && names.contains(&format!("{stem}{base}")))
            }))
}

fn is_patronymic(w: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ич",
        "ича",
        "ичу",
        "ичем",
        "иче",
        "овна",
        "овны",
        "овне",
        "овну",
        "овной",
        "евна",
        "евны",
        "евне",
        "евну",
        "евной",
        "ична",
        "ичны",
        "ичне",
        "ичну",
        "ичной",
    ];
    w.chars().count() >= 5 && ENDINGS.iter().any(|e| w.ends_with(e))
}

fn is_surname_like(w: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ов",
        "ова",
        "ову",
        "овым",
        "ове",
        "овой",
        "овых",
        "ев",
        "ева",
        "еву",
        "евым",
        "еве",
        "евой",
        "евых",
        "ин",
        "ина",
        "ину",
        "иным",
        "ине",
        "иной",
        "иных",
        "ын",
        "ына",
        "ыну",
        "ыным",
        "ыной",
        "ский",
        "ская",
        "ского",
        "скому",
        "ским",
        "ском",
        "ской",
        "скую",
        "цкий",
        "цкая",
        "цкого",
        "цкому",
        "цким",
        "цкой",
        "цкую",
        "ко",
        "ук",
        "юк",
        "ука",
        "юка",
        "уку",
        "юку",
        "дзе",
        "швили",
        "ян",
        "яна",
        "яну",
        "яном",
        "янц",
        "их",
        "ых",
    ];
    let n = w.chars().count();
    n >= 4 && ENDINGS.iter().any(|e| w.ends_with(e) && n >= e.chars().count() + 2)
}

fn is_famous(w: &str) -> bool {
    famous_stems().iter().any(|s| w.starts_with(s.as_str()))
}

/// Words after which a place adjective stands, not a surname («Пятигорской библиотеки»).
fn is_place_noun(w: &str) -> bool {
    [
        "библиотек",
        "школ",
        "улиц",
        "район",
        "филиал",
        "город",
        "центр",
        "дом",
        "кра",
        "област",
        "колледж",
        "университет",
        "гимнази",
        "лице",
        "отделени",
        "станиц",
        "посел",
        "сел",
        "деревн",
        "площад",
        "набережн",
        "зал",
        "чтени",
        "премии",
        "выставк",
        "вечер",
        "литератур",
        "поэзи",
        "округ",
        "республик",
    ]
    .iter()
    .any(|s| w.starts_with(s))
}

/// A capitalised surname-like word at `i` that is not a famous surname or a place adjective.
fn surname_at(toks: &[Tok], i: usize) -> bool {
    let Some(w) = word(toks, i) else { return false };
    toks[i].name_shaped()
        && is_surname_like(w)
        && !is_famous(w)
        && !word(toks, i + 1).is_some_and(|n| is_place_noun(n) && !toks[i + 1].cap())
}

fn given_at(toks: &[Tok], i: usize) -> bool {
    word(toks, i).is_some_and(is_given)
}

fn famous_at(toks: &[Tok], i: usize) -> bool {
    word(toks, i).is_some_and(is_famous) && toks[i].cap()
}

/// An initial at `i` («И.»): one capital letter and a dot. Returns the token after it.
fn initial_at(toks: &[Tok], i: usize) -> Option<usize> {
    match (toks.get(i), toks.get(i + 1)) {
        (Some(Tok::Word { text, .. }), Some(Tok::Punct('.'))) if text.chars().count() == 1 && toks[i].cap() => {
            Some(i + 2)
        }
        _ => None,
    }
}

/// Words after which a surname follows: «гражданка Иванова», «фамилия Ким», «приходил Сидоров».
fn is_name_trigger(w: &str) -> bool {
    [
        "гражданин",
        "гражданк",
        "посетител",
        "читател",
        "господин",
        "госпож",
        "приходил",
        "пенсионер",
        "студент",
        "ветеран",
    ]
    .iter()
    .any(|s| w.starts_with(s))
        || matches!(
            w,
            "гр" | "пришел"
                | "пришла"
                | "пришли"
                | "г-н"
                | "г-жа"
                | "звонил"
                | "звонила"
                | "была"
                | "был"
        )
}

fn has_name(toks: &[Tok]) -> bool {
    for i in 0..toks.len() {
        let famous_near = famous_at(toks, i + 1) || famous_at(toks, i + 2) || (i > 0 && famous_at(toks, i - 1));
        // A given name and a patronymic: «Мария Петровна», «ивана петровича».
        if given_at(toks, i) && word(toks, i + 1).is_some_and(is_patronymic) && !famous_near {
            return true;
        }
        // A given name and a surname, either order: «Мария Иванова», «Сидоров Алексей».
        if toks[i].name_shaped() && given_at(toks, i) && surname_at(toks, i + 1) {
            return true;
        }
        if surname_at(toks, i) && toks.get(i + 1).is_some_and(Tok::name_shaped) && given_at(toks, i + 1) {
            return true;
        }
        // A surname and a patronymic: «Иванова Петровна».
        if surname_at(toks, i) && toks.get(i + 1).is_some_and(Tok::cap) && word(toks, i + 1).is_some_and(is_patronymic)
        {
            return true;
        }
        // Initials: «И.И. Петров», «Петров И. И.», «Иванова М.П.», «И. Петров».
        if let Some(next) = initial_at(toks, i) {
            let (end, two) = match initial_at(toks, next) {
                Some(end) => (end, true),
                None => (next, false),
            };
            let before = i.checked_sub(1);
            let fits = |k: usize| {
                toks.get(k).is_some_and(Tok::name_shaped)
                    && !famous_at(toks, k)
                    && !word(toks, k).is_some_and(|w| is_street_word(w) || is_house_word(w))
                    && (two || surname_at(toks, k))
            };
            if fits(end) || before.is_some_and(fits) {
                return true;
            }
            // «Мельник Д., студент»: one initial after a capitalised word, ending the name.
            let ends = match toks.get(end) {
                None => true,
                Some(Tok::Punct(c)) => ",;—-)".contains(*c),
                Some(t) => !t.cap() && t.low().is_some(),
            };
            if !two
                && ends
                && before.is_some_and(|b| {
                    toks[b].name_shaped()
                        && !famous_at(toks, b)
                        && !word(toks, b).is_some_and(|w| is_street_word(w) || is_house_word(w) || is_given(w))
                })
            {
                return true;
            }
        }
        // After «гражданка», «фамилия», «ФИО», «зовут», «приходил»…
        if let Some(w) = word(toks, i) {
            let mut k = i + 1;
            while toks.get(k).is_some_and(|t| matches!(t, Tok::Punct(':' | '-' | '—' | '.' | ','))) {
                k += 1;
            }
            if w.starts_with("фамили") || w == "фио" {
                if toks.get(k).is_some_and(Tok::name_shaped) && !famous_at(toks, k) {
                    return true;
                }
            } else if matches!(w, "зовут" | "звали" | "звать") {
                if given_at(toks, k) {
                    return true;
                }
            } else if is_name_trigger(w)
                && (surname_at(toks, k) || (toks[k.min(toks.len() - 1)].name_shaped() && given_at(toks, k)))
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_found() {
        for t in [
            "звонить +7 912 345-67-89",
            "89123456789",
            "8 (912) 345-67-89",
            "тел. 9123456789",
            "+79123456789",
            "дом. 34-56-78 и 12-34",
            "8.912.345.67.89",
            "8 - 912 - 345 - 67 - 89",
            "тел ８９１２３４５６７８９",
            "тел ٨٩١٢٣٤٥٦٧٨٩",
            "тел ۸۹۱۲۳۴۵۶۷۸۹",
        ] {
            assert_eq!(find_personal_data(t), Some(PersonalData::Phone), "{t}");
        }
    }

    #[test]
    fn passports_snils_and_emails_are_found() {
        assert_eq!(find_personal_data("паспорт 45 06 123456"), Some(PersonalData::Passport));
        assert_eq!(find_personal_data("4506 123456"), Some(PersonalData::Passport));
        assert_eq!(find_personal_data("СНИЛС 123-456-789 01"), Some(PersonalData::Snils));
        assert_eq!(find_personal_data("12345678901"), Some(PersonalData::Snils));
        assert_eq!(find_personal_data("билет № 1234567"), Some(PersonalData::DocumentNumber));
        for t in [
            "пишите ivan@mail.ru",
            "ivan собака mail.ru",
            "ivan (at) mail (dot) ru",
            "ivan at yandex dot ru",
            "ivan собака mail точка ru",
            "ｉｖａｎ＠ｍａｉｌ．ｒｕ",
        ] {
            assert_eq!(find_personal_data(t), Some(PersonalData::Email), "{t}");
        }
    }

    #[test]
    fn names_birth_dates_and_addresses_are_found() {
        for t in ["Иванова Мария Петровна", "Петров И.И.", "И.И. Петров", "Петров И. И.", "приходил Сидоров Алексей"]
        {
            assert_eq!(find_personal_data(t), Some(PersonalData::Name), "{t}");
        }
        for t in ["1956 г.р.", "дата рождения 12.03.1956", "родилась в 1956 году"] {
            assert_eq!(find_personal_data(t), Some(PersonalData::BirthDate), "{t}");
        }
        for t in ["ул. Ленина, д. 5, кв. 12", "живёт на ул. Мира, 7", "кв. 12"] {
            assert_eq!(find_personal_data(t), Some(PersonalData::Address), "{t}");
        }
    }

    #[test]
    fn ordinary_notes_pass() {
        for t in [
            "Госкан завис, перезапустили",
            "мероприятие 25.11.2026 в 18:30",
            "концерт 15.03.2026 18.30-20.00",
            "дата 2026-11-25",
            "филиал № 3, зал 12",
            "группа из 15 человек",
            "@ библиотека",
            "вечер поэзии Лермонтова",
            "встреча в библиотеке на Пятигорской",
            "концерт 15.03.2026",
            "зал № 3",
            "Пушкинские чтения",
            "лекция о Толстом",
            "",
        ] {
            assert_eq!(find_personal_data(t), None, "{t}");
        }
    }
}

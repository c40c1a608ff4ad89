//! Screening of free text for personal data (DOMAIN.md, «What a record may and may not hold»).
//!
//! Notes, void reasons, staff labels and event titles are free text typed by a librarian. They
//! must never carry a citizen's phone, passport, СНИЛС, document number or e-mail. Names cannot
//! be detected reliably; the UI asks not to type them. What can be detected is refused here,
//! before anything is written. Callers screen the normal form of a text (`text::normalize`), so
//! a TAB or an invisible character cannot hide a number.

use crate::error::PersonalData;

/// Characters that may stand between digit groups of one number ("+7 (912) 345-67-89").
fn is_joiner(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '\u{00a0}' | '\u{2011}' | '\u{2013}' | '/')
}

/// Finds the first piece of personal data in `text`, if any.
pub fn find_personal_data(text: &str) -> Option<PersonalData> {
    if looks_like_email(text) {
        return Some(PersonalData::Email);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let plus = i > 0 && chars[..i].iter().rev().find(|c| **c != ' ') == Some(&'+');
        // Collect digit groups joined by at most two joiner characters.
        let mut groups: Vec<usize> = Vec::new();
        let mut digits = String::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            }
            groups.push(j - start);
            let mut k = j;
            while k < chars.len() && is_joiner(chars[k]) && k - j < 2 {
                k += 1;
            }
            if k > j && k < chars.len() && chars[k].is_ascii_digit() {
                j = k;
            } else {
                break;
            }
        }
        if let Some(kind) = classify(&digits, &groups, plus) {
            return Some(kind);
        }
        i = j.max(i + 1);
    }
    None
}

fn looks_like_email(text: &str) -> bool {
    text.char_indices().any(|(at, c)| {
        c == '@'
            && text[..at].chars().next_back().is_some_and(|p| p.is_alphanumeric())
            && text[at + 1..].contains('.')
            && text[at + 1..].chars().next().is_some_and(|n| n.is_alphanumeric())
    })
}

fn looks_like_date(groups: &[usize], digits: &str) -> bool {
    let num = |a: usize, b: usize| digits[a..b].parse::<u32>().unwrap_or(0);
    match groups {
        [4, 2, 2] => (1..=12).contains(&num(4, 6)) && (1..=31).contains(&num(6, 8)),
        [2, 2, 4] => (1..=31).contains(&num(0, 2)) && (1..=12).contains(&num(2, 4)),
        _ => false,
    }
}

fn classify(digits: &str, groups: &[usize], plus: bool) -> Option<PersonalData> {
    let n = digits.len();
    if n < 6 || looks_like_date(groups, digits) {
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
        _ if groups.len() >= 3 && groups.iter().all(|g| (2..=3).contains(g)) => PersonalData::Phone,
        _ => PersonalData::DocumentNumber,
    })
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
        ] {
            assert!(find_personal_data(t).is_some(), "{t}");
        }
        assert_eq!(find_personal_data("+7 912 345-67-89"), Some(PersonalData::Phone));
    }

    #[test]
    fn passports_and_snils_are_found() {
        assert_eq!(find_personal_data("паспорт 45 06 123456"), Some(PersonalData::Passport));
        assert_eq!(find_personal_data("4506 123456"), Some(PersonalData::Passport));
        assert_eq!(find_personal_data("СНИЛС 123-456-789 01"), Some(PersonalData::Snils));
        assert_eq!(find_personal_data("12345678901"), Some(PersonalData::Snils));
        assert_eq!(find_personal_data("билет № 1234567"), Some(PersonalData::DocumentNumber));
        assert_eq!(find_personal_data("пишите ivan@mail.ru"), Some(PersonalData::Email));
    }

    #[test]
    fn ordinary_notes_pass() {
        for t in [
            "Госкан завис, перезапустили",
            "мероприятие 25.11.2026 в 18:30",
            "дата 2026-11-25",
            "филиал № 3, зал 12",
            "группа из 15 человек",
            "@ библиотека",
            "",
        ] {
            assert_eq!(find_personal_data(t), None, "{t}");
        }
    }
}

//! What administrators type: names and new ids, checked once for the dashboard and the command
//! line.

use super::{Error, Result};

/// Name fields (branches, categories, documents, reasons, event titles).
pub const NAME_MAX: usize = 120;
/// Ids typed by an administrator for new branches and reference entries.
pub const NEW_ID_MAX: usize = 40;

/// A required one-line text in the phones' normal form: 1..=`max` characters, no personal data
/// (DOMAIN.md).
pub fn clean_text(what: &str, text: &str, max: usize) -> Result<String> {
    // The phones' normal form: a pasted TAB or line break becomes a space.
    let text = lgota_domain::text::normalize(text);
    if text.is_empty() {
        return Err(Error::invalid(format!("Заполните поле «{what}».")));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(format!("Поле «{what}» длиннее {max} символов.")));
    }
    if lgota_domain::screen::find_personal_data(&text).is_some() {
        return Err(Error::invalid(format!(
            "В поле «{what}» похоже на персональные данные (телефон, номер документа или e-mail): их хранить нельзя."
        )));
    }
    Ok(text)
}

/// A new id: Latin letters, digits and `-` `_`, up to [`NEW_ID_MAX`].
pub fn clean_id(id: &str) -> Result<String> {
    let id = id.trim();
    let ok = !id.is_empty()
        && id.len() <= NEW_ID_MAX
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::invalid(format!(
            "Код: от 1 до {NEW_ID_MAX} символов — строчные латинские буквы, цифры, дефис или подчёркивание \
             (например, branch-4)."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_screened() {
        assert_eq!(clean_text("Название", " Филиал\t№ 4 ", NAME_MAX).unwrap(), "Филиал № 4");
        assert!(clean_text("Название", "  ", NAME_MAX).is_err());
        assert!(clean_text("Название", &"я".repeat(NAME_MAX + 1), NAME_MAX).is_err());
        assert!(clean_text("Название", "звонить +7 912 345-67-89", NAME_MAX).is_err());
    }

    #[test]
    fn new_ids_are_lowercase_latin() {
        assert_eq!(clean_id(" branch-4 ").unwrap(), "branch-4");
        for bad in ["", "Branch", "филиал", "a b", &"a".repeat(NEW_ID_MAX + 1)] {
            assert!(clean_id(bad).is_err(), "{bad}");
        }
    }
}

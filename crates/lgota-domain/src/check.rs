//! A check as the librarian reports it ([`CheckInput`]) and the fields a record may hold once its
//! every id is checked against the configuration ([`CheckFields`]). The phone validates what it
//! records with this; a content pack's training scenarios are checked with it too.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::text::{clean_optional, NOTE_MAX};

/// How the status was to be confirmed, and what came of it: the wire types are the domain types.
pub use lgota_protocol::{Method, Outcome};

fn yes() -> bool {
    true
}

/// One check as the librarian reports it, straight from the recording screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// In TypeScript every defaulted field may be left out, as the recording screen does.
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckInput {
    /// «Цифровой ID — подтверждён» → category.
    DigitalIdConfirmed {
        category_id: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// «Цифровой ID — не подтверждён» → reason → paper document shown (category + document type)
    /// or no document (benefit not granted).
    DigitalIdFailed {
        reason_id: String,
        #[serde(default)]
        category_id: Option<String>,
        #[serde(default)]
        document_type_id: Option<String>,
        /// Every point of the category's paper checklist was ticked.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        checklist_completed: bool,
        /// `false`: the document was shown but not accepted.
        #[serde(default = "yes")]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        accepted: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// «Бумажный документ»: the citizen chose paper (§3.2).
    Paper {
        category_id: String,
        document_type_id: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        checklist_completed: bool,
        #[serde(default = "yes")]
        #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
        accepted: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// «Гражданин отказался от подтверждения».
    Refused {
        #[serde(default)]
        category_id: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
}

/// A check reduced to the fields a record may hold, every id checked against the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFields {
    pub method: Method,
    pub outcome: Outcome,
    pub category_id: Option<String>,
    pub failure_reason_id: Option<String>,
    pub document_type_id: Option<String>,
    /// Set when a paper document was looked at.
    pub checklist_completed: Option<bool>,
    pub note: Option<String>,
}

impl CheckInput {
    pub fn validate(&self, config: &Config) -> Result<CheckFields> {
        let category = |id: &str| config.category(id).ok_or(Error::UnknownCategory);
        let document = |category_id: &str, document_id: &str| -> Result<String> {
            let category = category(category_id)?;
            config.document_type(document_id).ok_or(Error::UnknownDocumentType)?;
            if !category.document_type_ids.iter().any(|d| d == document_id) {
                return Err(Error::DocumentNotForCategory);
            }
            Ok(document_id.to_owned())
        };
        let note = |n: &Option<String>| clean_optional("Примечание", n.as_deref(), NOTE_MAX);
        Ok(match self {
            CheckInput::DigitalIdConfirmed { category_id, note: n } => CheckFields {
                method: Method::DigitalId,
                outcome: Outcome::Confirmed,
                category_id: Some(category(category_id)?.id.clone()),
                failure_reason_id: None,
                document_type_id: None,
                checklist_completed: None,
                note: note(n)?,
            },
            CheckInput::DigitalIdFailed {
                reason_id,
                category_id,
                document_type_id,
                checklist_completed,
                accepted,
                note: n,
            } => {
                config.failure_reason(reason_id).ok_or(Error::UnknownReason)?;
                let document_type_id = match (category_id, document_type_id) {
                    (Some(c), Some(d)) => Some(document(c, d)?),
                    (None, Some(_)) => return Err(Error::CategoryRequired),
                    (Some(c), None) => {
                        category(c)?;
                        None
                    }
                    (None, None) => None,
                };
                let outcome = match (&document_type_id, accepted) {
                    (Some(_), true) => Outcome::PaperShown,
                    (Some(_), false) => Outcome::PaperRejected,
                    (None, true) => Outcome::NoDocument,
                    (None, false) => return Err(Error::DocumentRequired),
                };
                CheckFields {
                    method: Method::DigitalId,
                    outcome,
                    category_id: category_id.clone(),
                    failure_reason_id: Some(reason_id.clone()),
                    checklist_completed: document_type_id.as_ref().map(|_| *checklist_completed),
                    document_type_id,
                    note: note(n)?,
                }
            }
            CheckInput::Paper { category_id, document_type_id, checklist_completed, accepted, note: n } => {
                CheckFields {
                    method: Method::Paper,
                    outcome: if *accepted { Outcome::PaperShown } else { Outcome::PaperRejected },
                    category_id: Some(category_id.clone()),
                    failure_reason_id: None,
                    document_type_id: Some(document(category_id, document_type_id)?),
                    checklist_completed: Some(*checklist_completed),
                    note: note(n)?,
                }
            }
            CheckInput::Refused { category_id, note: n } => {
                if let Some(c) = category_id {
                    category(c)?;
                }
                CheckFields {
                    method: Method::None,
                    outcome: Outcome::Refused,
                    category_id: category_id.clone(),
                    failure_reason_id: None,
                    document_type_id: None,
                    checklist_completed: None,
                    note: note(n)?,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Config {
        Config::bundled()
    }

    #[test]
    fn each_kind_maps_to_method_and_outcome() {
        let f = CheckInput::DigitalIdConfirmed { category_id: "student".into(), note: None }.validate(&c()).unwrap();
        assert_eq!((f.method, f.outcome), (Method::DigitalId, Outcome::Confirmed));
        let f = CheckInput::DigitalIdFailed {
            reason_id: "no_internet".into(),
            category_id: Some("pensioner".into()),
            document_type_id: Some("pension_certificate".into()),
            checklist_completed: true,
            accepted: true,
            note: None,
        }
        .validate(&c())
        .unwrap();
        assert_eq!((f.method, f.outcome), (Method::DigitalId, Outcome::PaperShown));
        assert_eq!(f.checklist_completed, Some(true));
        assert_eq!(f.failure_reason_id.as_deref(), Some("no_internet"));
        let f = CheckInput::DigitalIdFailed {
            reason_id: "goskan_error".into(),
            category_id: None,
            document_type_id: None,
            checklist_completed: false,
            accepted: true,
            note: None,
        }
        .validate(&c())
        .unwrap();
        assert_eq!(f.outcome, Outcome::NoDocument);
        assert!(!f.outcome.granted());
        let f = CheckInput::Paper {
            category_id: "disabled".into(),
            document_type_id: "mse_certificate".into(),
            checklist_completed: false,
            accepted: true,
            note: None,
        }
        .validate(&c())
        .unwrap();
        assert_eq!((f.method, f.outcome), (Method::Paper, Outcome::PaperShown));
        let f = CheckInput::Refused { category_id: None, note: Some("  ".into()) }.validate(&c()).unwrap();
        assert_eq!((f.method, f.outcome, f.note), (Method::None, Outcome::Refused, None));
    }

    #[test]
    fn bad_ids_are_refused() {
        let code = |i: CheckInput| i.validate(&c()).unwrap_err().code();
        assert_eq!(
            code(CheckInput::DigitalIdConfirmed { category_id: "astronaut".into(), note: None }),
            "unknown_category"
        );
        assert_eq!(
            code(CheckInput::Paper {
                category_id: "student".into(),
                document_type_id: "forged".into(),
                checklist_completed: false,
                accepted: true,
                note: None
            }),
            "unknown_document_type"
        );
        assert_eq!(
            code(CheckInput::Paper {
                category_id: "student".into(),
                document_type_id: "mse_certificate".into(),
                checklist_completed: false,
                accepted: true,
                note: None
            }),
            "document_not_for_category"
        );
        assert_eq!(
            code(CheckInput::DigitalIdFailed {
                reason_id: "bored".into(),
                category_id: None,
                document_type_id: None,
                checklist_completed: false,
                accepted: true,
                note: None
            }),
            "unknown_reason"
        );
        assert_eq!(
            code(CheckInput::DigitalIdFailed {
                reason_id: "other".into(),
                category_id: None,
                document_type_id: Some("student_card".into()),
                checklist_completed: false,
                accepted: true,
                note: None
            }),
            "category_required"
        );
        assert_eq!(
            code(CheckInput::Refused { category_id: None, note: Some("СНИЛС 123-456-789 01".into()) }),
            "personal_data"
        );
    }

    #[test]
    fn wire_format_is_tagged_snake_case() {
        let input: CheckInput =
            serde_json::from_str(r#"{"kind":"digital_id_confirmed","category_id":"student"}"#).unwrap();
        assert_eq!(input, CheckInput::DigitalIdConfirmed { category_id: "student".into(), note: None });
        assert!(serde_json::from_str::<CheckInput>(r#"{"kind":"teleport"}"#).is_err());
        assert!(serde_json::from_str::<CheckInput>(r#"{"kind":"refused","passport":"4506 123456"}"#).is_err());
    }
}

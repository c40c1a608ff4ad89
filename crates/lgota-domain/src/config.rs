//! Reference data: branches, benefit categories, paper document types and failure reasons.
//!
//! This is configuration, not code: the app ships `default_config.json` and the central office
//! will replace it through sync. Nothing in the core matches on a category or document id.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::is_id;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Paper documents that prove this category (DOMAIN.md, «Paper fallback»).
    pub document_type_ids: Vec<String>,
    /// A benefit, or only an age check («Совершеннолетие (18+)»): figures and reports count
    /// them apart. Absent in older configurations: a benefit (what such a category was counted
    /// as before), so an office marks its age checks when it next publishes.
    #[serde(default)]
    pub kind: CategoryKind,
}

/// What a granted check of a category means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// A preferential status: a granted check is «льгота предоставлена».
    #[default]
    Benefit,
    /// Only the visitor's age is checked (18+): a granted check is «проверка возраста», never
    /// counted as a benefit.
    AgeCheck,
}

/// What the central office requires of every phone (issue 16, 17). Absent in older
/// configurations: nothing required, records kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct DevicePolicy {
    /// A phone without a PIN records nothing until one is set (§5.2: nobody else reads the
    /// checks), and its PIN cannot be removed.
    pub pin_required: bool,
    /// The longest idle time before the app locks, in seconds ([`IDLE_SECONDS_MIN`] or more).
    pub max_idle_seconds: Option<u32>,
    /// Records the server acknowledged are deleted from the phone this many days after they were
    /// made (1..=[`KEEP_DAYS_MAX`]); unacknowledged ones never. `None`: kept.
    pub keep_acknowledged_days: Option<u32>,
}

/// The shortest idle time a policy may set (the app's shortest choice).
pub const IDLE_SECONDS_MIN: u32 = 30;
/// The longest retention a policy may set (ten years).
pub const KEEP_DAYS_MAX: u32 = 3660;
/// At most this many staff codes in [`Config::staff_labels`].
pub const STAFF_LABELS_MAX: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Config {
    pub version: u32,
    pub branches: Vec<Named>,
    pub categories: Vec<Category>,
    pub document_types: Vec<Named>,
    pub failure_reasons: Vec<Named>,
    /// Common notes the librarian adds with one tap during a check («с сопровождающим»…), set by
    /// the central office. Absent in older configurations: none.
    #[serde(default)]
    pub note_chips: Vec<String>,
    /// The staff codes the office keeps (labels, e.g. «ЦГБ-03»): when not empty, a phone offers a
    /// choice from this list instead of a typed label. Absent: typed freely.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff_labels: Vec<String>,
    /// What the office requires of every phone. Absent: nothing.
    #[serde(default, skip_serializing_if = "DevicePolicy::is_default")]
    pub device_policy: DevicePolicy,
}

impl DevicePolicy {
    fn is_default(&self) -> bool {
        *self == DevicePolicy::default()
    }
}

/// At most this many note chips (they share one row of the check screen).
pub const NOTE_CHIPS_MAX: usize = 12;

/// The longest name of a branch, category, document type or failure reason.
pub const NAME_MAX: usize = 200;

const DEFAULT_CONFIG: &str = include_str!("default_config.json");

impl Config {
    /// The configuration bundled with the app: the floor that sync may later raise.
    pub fn bundled() -> Config {
        Config::parse(DEFAULT_CONFIG).expect("the bundled configuration is valid (tested)")
    }

    /// Parses and checks a configuration document.
    pub fn parse(json: &str) -> Result<Config> {
        let config: Config = serde_json::from_str(json).map_err(|e| Error::InvalidConfig(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Ids are unique per list, each could travel in a record ([`is_id`]: Latin letters, digits,
    /// `-_.:`), names are one line of text, and every category names only known document types.
    /// A phone and the server parse a configuration with this same check, so a configuration one
    /// of them accepts can never stop the other's records.
    fn check(&self) -> Result<()> {
        fn unique<'a>(what: &str, items: impl Iterator<Item = (&'a str, &'a str)>) -> Result<()> {
            let mut seen = std::collections::HashSet::new();
            for (id, name) in items {
                if !is_id(id) {
                    return Err(Error::InvalidConfig(format!(
                        "недопустимый код «{id}» в {what}: только латинские буквы, цифры и знаки - _ . : (до 100 символов)"
                    )));
                }
                if !seen.insert(id) {
                    return Err(Error::InvalidConfig(format!("повторный код «{id}» в {what}")));
                }
                if name.trim().is_empty() || name.chars().count() > NAME_MAX || !crate::text::is_normal(name) {
                    return Err(Error::InvalidConfig(format!(
                        "название «{id}» в {what}: пустое, длиннее {NAME_MAX} символов или с переводами строк и табуляцией"
                    )));
                }
            }
            Ok(())
        }
        unique("branches", self.branches.iter().map(|b| (b.id.as_str(), b.name.as_str())))?;
        unique("categories", self.categories.iter().map(|c| (c.id.as_str(), c.name.as_str())))?;
        unique("document_types", self.document_types.iter().map(|d| (d.id.as_str(), d.name.as_str())))?;
        unique("failure_reasons", self.failure_reasons.iter().map(|r| (r.id.as_str(), r.name.as_str())))?;
        if self.note_chips.len() > NOTE_CHIPS_MAX {
            return Err(Error::InvalidConfig(format!("заготовок примечаний больше {NOTE_CHIPS_MAX}")));
        }
        let mut chips = std::collections::HashSet::new();
        for chip in &self.note_chips {
            if chip.is_empty() || !crate::text::is_normal(chip) || chip.chars().count() > crate::text::NOTE_MAX {
                return Err(Error::InvalidConfig(format!(
                    "заготовка примечания «{chip}»: пустая, длиннее {} символов или с переводами строк и табуляцией",
                    crate::text::NOTE_MAX
                )));
            }
            if let Some(kind) = crate::screen::find_personal_data(chip) {
                return Err(Error::InvalidConfig(format!(
                    "в заготовке примечания «{chip}» есть что-то похожее на {}",
                    kind.describe()
                )));
            }
            if !chips.insert(chip.as_str()) {
                return Err(Error::InvalidConfig(format!("повторная заготовка примечания «{chip}»")));
            }
        }
        if self.staff_labels.len() > STAFF_LABELS_MAX {
            return Err(Error::InvalidConfig(format!("кодов сотрудников больше {STAFF_LABELS_MAX}")));
        }
        let mut labels = std::collections::HashSet::new();
        for label in &self.staff_labels {
            // Exactly what a phone records: a listed code always passes the record rules.
            let clean = crate::text::clean_required(
                "Код сотрудника",
                label,
                crate::text::STAFF_LABEL_MAX,
                Error::EmptyStaffLabel,
            )
            .map_err(|e| Error::InvalidConfig(format!("код сотрудника «{label}»: {e}")))?;
            if clean != *label {
                return Err(Error::InvalidConfig(format!(
                    "код сотрудника «{label}»: лишние пробелы или невидимые символы"
                )));
            }
            if !labels.insert(label.as_str()) {
                return Err(Error::InvalidConfig(format!("повторный код сотрудника «{label}»")));
            }
        }
        let policy = &self.device_policy;
        if policy.max_idle_seconds.is_some_and(|s| s < IDLE_SECONDS_MIN) {
            return Err(Error::InvalidConfig(format!(
                "время до блокировки в политике устройств меньше {IDLE_SECONDS_MIN} с"
            )));
        }
        if policy.keep_acknowledged_days.is_some_and(|d| d == 0 || d > KEEP_DAYS_MAX) {
            return Err(Error::InvalidConfig(format!(
                "срок хранения отправленных записей на телефоне: от 1 до {KEEP_DAYS_MAX} дней"
            )));
        }
        for category in &self.categories {
            for doc in &category.document_type_ids {
                if self.document_type(doc).is_none() {
                    return Err(Error::InvalidConfig(format!(
                        "категория «{}» ссылается на неизвестный документ «{doc}»",
                        category.id
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn branch(&self, id: &str) -> Option<&Named> {
        self.branches.iter().find(|b| b.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Whether a granted check of `category_id` is only an age check (not a benefit). A check
    /// without a category, or of a category the configuration no longer lists, is a benefit.
    pub fn is_age_check(&self, category_id: Option<&str>) -> bool {
        category_id.and_then(|id| self.category(id)).is_some_and(|c| c.kind == CategoryKind::AgeCheck)
    }

    pub fn document_type(&self, id: &str) -> Option<&Named> {
        self.document_types.iter().find(|d| d.id == id)
    }

    pub fn failure_reason(&self, id: &str) -> Option<&Named> {
        self.failure_reasons.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_config_is_valid_and_covers_the_domain() {
        let c = Config::bundled();
        for id in ["pensioner", "disabled", "large_family", "student", "svo", "adult"] {
            let category = c.category(id).unwrap_or_else(|| panic!("category {id}"));
            assert!(!category.document_type_ids.is_empty(), "{id} has paper documents");
        }
        for id in ["goskan_error", "status_not_confirmed", "no_internet", "qr_unreadable", "other"] {
            assert!(c.failure_reason(id).is_some(), "reason {id}");
        }
        assert!(!c.branches.is_empty());
        assert_eq!(
            c.note_chips,
            ["с сопровождающим", "повторная проверка", "Госкан долго загружался", "QR не считался с первого раза"]
        );
    }

    #[test]
    fn note_chips_are_optional_and_checked() {
        // A configuration without chips (older servers) still parses: no chips.
        let mut json: serde_json::Value = serde_json::to_value(Config::bundled()).unwrap();
        json.as_object_mut().unwrap().remove("note_chips");
        assert!(Config::parse(&json.to_string()).unwrap().note_chips.is_empty());
        // What the office publishes travels whole.
        let mut c = Config::bundled();
        c.note_chips = vec!["пришли группой".into()];
        assert_eq!(Config::parse(&serde_json::to_string(&c).unwrap()).unwrap().note_chips, ["пришли группой"]);
        let refused = |chips: Vec<String>| {
            let mut c = Config::bundled();
            c.note_chips = chips;
            Config::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().to_string()
        };
        assert!(refused(vec!["звонить 8 912 345-67-89".into()]).contains("номер телефона"));
        assert!(refused(vec!["приходила Иванова Мария".into()]).contains("похожее на имя"));
        assert!(refused(vec!["".into()]).contains("пустая"));
        assert!(refused(vec!["две\nстроки".into()]).contains("переводами строк"));
        assert!(refused(vec!["я".repeat(crate::text::NOTE_MAX + 1)]).contains("длиннее"));
        assert!(refused(vec!["дубль".into(), "дубль".into()]).contains("повторная"));
        assert!(refused((0..=NOTE_CHIPS_MAX).map(|i| format!("заготовка {i}")).collect()).contains("больше 12"));
    }

    #[test]
    fn age_checks_are_marked_and_older_configs_count_benefits() {
        let c = Config::bundled();
        assert_eq!(c.category("adult").unwrap().kind, CategoryKind::AgeCheck);
        assert_eq!(c.category("pensioner").unwrap().kind, CategoryKind::Benefit);
        assert!(c.is_age_check(Some("adult")));
        assert!(!c.is_age_check(Some("disabled")) && !c.is_age_check(None) && !c.is_age_check(Some("gone")));
        assert_eq!(c.category("disabled").unwrap().name, "Люди с инвалидностью");
        // A configuration published before the mark existed: every category is a benefit.
        let mut json: serde_json::Value = serde_json::to_value(&c).unwrap();
        for category in json["categories"].as_array_mut().unwrap() {
            category.as_object_mut().unwrap().remove("kind");
        }
        let old = Config::parse(&json.to_string()).unwrap();
        assert!(old.categories.iter().all(|c| c.kind == CategoryKind::Benefit));
        assert_eq!(serde_json::to_value(CategoryKind::AgeCheck).unwrap(), "age_check");
        json["categories"][0]["kind"] = "discount".into();
        assert_eq!(Config::parse(&json.to_string()).unwrap_err().code(), "invalid_config");
    }

    #[test]
    fn staff_labels_and_the_device_policy_are_optional_and_checked() {
        let c = Config::bundled();
        assert!(c.staff_labels.is_empty());
        assert_eq!(c.device_policy, DevicePolicy::default());
        let json = serde_json::to_value(&c).unwrap();
        assert!(json.get("staff_labels").is_none() && json.get("device_policy").is_none(), "older phones read it");
        let with = |f: &dyn Fn(&mut Config)| {
            let mut c = Config::bundled();
            f(&mut c);
            Config::parse(&serde_json::to_string(&c).unwrap())
        };
        let ok = with(&|c| {
            c.staff_labels = vec!["ЦГБ-01".into(), "ф1 абонемент".into()];
            c.device_policy =
                DevicePolicy { pin_required: true, max_idle_seconds: Some(120), keep_acknowledged_days: Some(90) };
        })
        .unwrap();
        assert_eq!(ok.staff_labels, ["ЦГБ-01", "ф1 абонемент"]);
        assert!(ok.device_policy.pin_required);
        let refused = |f: &dyn Fn(&mut Config)| with(f).unwrap_err().to_string();
        assert!(refused(&|c| c.staff_labels = vec!["a".into(), "a".into()]).contains("повторный код сотрудника"));
        assert!(refused(&|c| c.staff_labels = vec!["  ЦГБ  01".into()]).contains("лишние пробелы"));
        assert!(refused(&|c| c.staff_labels = vec!["8 912 345-67-89".into()]).contains("код сотрудника"));
        assert!(refused(&|c| c.staff_labels = vec!["я".repeat(41)]).contains("код сотрудника"));
        assert!(refused(&|c| c.device_policy.max_idle_seconds = Some(5)).contains("меньше 30 с"));
        assert!(refused(&|c| c.device_policy.keep_acknowledged_days = Some(0)).contains("от 1 до"));
        let unknown = serde_json::json!({"pin_required": true, "pin_length": 6});
        let mut json = serde_json::to_value(Config::bundled()).unwrap();
        json["device_policy"] = unknown;
        assert_eq!(Config::parse(&json.to_string()).unwrap_err().code(), "invalid_config");
    }

    #[test]
    fn broken_configs_are_refused() {
        assert_eq!(Config::parse("{").unwrap_err().code(), "invalid_config");
        let mut c = Config::bundled();
        c.categories[0].document_type_ids.push("nope".into());
        let json = serde_json::to_string(&c).unwrap();
        assert!(Config::parse(&json).unwrap_err().to_string().contains("nope"));
        let mut c = Config::bundled();
        c.branches.push(c.branches[0].clone());
        assert_eq!(Config::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().code(), "invalid_config");
        // An id that could not travel in a record (the server's intake would refuse every record
        // naming it) is refused at publication, on both sides.
        for bad in ["пенсионер", "a b", "", "x/y"] {
            let mut c = Config::bundled();
            c.categories[0].id = bad.into();
            let err = Config::parse(&serde_json::to_string(&c).unwrap()).unwrap_err();
            assert_eq!(err.code(), "invalid_config", "{bad}");
        }
        let mut c = Config::bundled();
        c.branches[0].name = "Центральная\tбиблиотека".into();
        assert_eq!(Config::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().code(), "invalid_config");
    }
}

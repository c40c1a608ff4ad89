//! Reference data: branches, benefit categories, paper document types and failure reasons.
//!
//! This is configuration, not code: the app ships `default_config.json` and the central office
//! will replace it through sync. Nothing in the core matches on a category or document id.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Paper documents that prove this category (DOMAIN.md, «Paper fallback»).
    pub document_type_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    pub branches: Vec<Named>,
    pub categories: Vec<Category>,
    pub document_types: Vec<Named>,
    pub failure_reasons: Vec<Named>,
}

const DEFAULT_CONFIG: &str = include_str!("default_config.json");

impl Config {
    /// The configuration bundled with the app: the floor that sync may later raise.
    pub fn bundled() -> Config {
        Config::parse(DEFAULT_CONFIG).expect("the bundled configuration is valid (tested)")
    }

    /// Parses and checks a configuration document.
    pub fn parse(json: &str) -> Result<Config> {
        let config: Config = serde_json::from_str(json).map_err(|e| Error::Corrupt(format!("конфигурация: {e}")))?;
        config.check()?;
        Ok(config)
    }

    /// Ids are unique per list and every category names only known document types.
    fn check(&self) -> Result<()> {
        fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
            let mut seen = std::collections::HashSet::new();
            for id in ids {
                if id.is_empty() || !seen.insert(id) {
                    return Err(Error::Corrupt(format!("конфигурация: пустой или повторный id «{id}» в {what}")));
                }
            }
            Ok(())
        }
        unique("branches", self.branches.iter().map(|b| b.id.as_str()))?;
        unique("categories", self.categories.iter().map(|c| c.id.as_str()))?;
        unique("document_types", self.document_types.iter().map(|d| d.id.as_str()))?;
        unique("failure_reasons", self.failure_reasons.iter().map(|r| r.id.as_str()))?;
        for category in &self.categories {
            for doc in &category.document_type_ids {
                if self.document_type(doc).is_none() {
                    return Err(Error::Corrupt(format!(
                        "конфигурация: категория «{}» ссылается на неизвестный документ «{doc}»",
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
    }

    #[test]
    fn broken_configs_are_refused() {
        assert_eq!(Config::parse("{").unwrap_err().code(), "corrupt");
        let mut c = Config::bundled();
        c.categories[0].document_type_ids.push("nope".into());
        let json = serde_json::to_string(&c).unwrap();
        assert!(Config::parse(&json).unwrap_err().to_string().contains("nope"));
        let mut c = Config::bundled();
        c.branches.push(c.branches[0].clone());
        assert_eq!(Config::parse(&serde_json::to_string(&c).unwrap()).unwrap_err().code(), "corrupt");
    }
}

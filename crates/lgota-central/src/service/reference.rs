//! The configuration phones pull — branches, benefit categories, paper document types, failure
//! reasons — published as whole numbered documents: the bundled one at first ([`seed`]), a file
//! from the command line ([`publish_document`]), or one change at a time from the dashboard
//! ([`save_branch`], [`save_category`], [`save_item`]), each a new version.

use std::collections::HashSet;

use lgota_domain::config::{Category, CategoryKind, Named};
use lgota_domain::Config;
use lgota_protocol::codes;

use super::audit::{self, Action};
use super::input::{clean_id, clean_text, NAME_MAX};
use super::{Actor, Error, Kind, Result};
use crate::store::{Database, ReferenceName};

/// Brings the branches of the bundled configuration into the database and, if none is published
/// yet, publishes the bundled configuration itself (clients already have it: it is their floor).
pub fn seed(db: &dyn Database) -> Result<()> {
    let config = Config::bundled();
    // Only branches the server does not know yet: a name the office changed stays changed.
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    let branches: Vec<(String, String)> =
        config.branches.iter().filter(|b| !known.contains(&b.id)).map(|b| (b.id.clone(), b.name.clone())).collect();
    db.add_branches(&branches)?;
    if db.reference(ReferenceName::Config)?.is_none() {
        let body = serde_json::to_string(&config).map_err(Error::internal)?;
        db.set_reference(ReferenceName::Config, config.version, &body)?;
    }
    Ok(())
}

/// The published configuration, or the bundled one before anything is published.
pub fn current_config(db: &dyn Database) -> Result<Config> {
    match db.reference(ReferenceName::Config)? {
        Some((_, body)) => Config::parse(&body).map_err(Error::internal),
        None => Ok(Config::bundled()),
    }
}

/// Refused: the document's version is not newer than the published `published`.
pub fn not_newer(published: u32) -> Error {
    Error::new(Kind::Conflict, codes::VERSION_NOT_NEWER, format!("опубликована версия {published}: нужна более новая"))
}

/// Publishes a configuration document if it is valid (as a phone parses it) and newer than the
/// one published; its branches become known to the server under their names. Not audited: see
/// [`publish_document`].
pub fn publish_config(db: &dyn Database, text: &str) -> Result<u32> {
    // The phones' own parser: an id that could not travel in a record is refused here.
    let config =
        Config::parse(text).map_err(|e| Error::new(Kind::Unprocessable, codes::INVALID_REQUEST, e.to_string()))?;
    let published = db.reference(ReferenceName::Config)?.map_or(0, |(v, _)| v);
    if config.version <= published {
        return Err(not_newer(published));
    }
    covered_by_published_pack(db, &config)?;
    let body = serde_json::to_string(&config).map_err(Error::internal)?;
    let branches: Vec<(String, String)> = config.branches.iter().map(|b| (b.id.clone(), b.name.clone())).collect();
    db.add_branches(&branches)?;
    if !db.set_reference(ReferenceName::Config, config.version, &body)? {
        return Err(not_newer(config.version));
    }
    Ok(config.version)
}

/// Refuses (`config_not_covered`) a configuration the published content pack does not agree
/// with while it agrees with the configuration published now: phones would keep that pack marked
/// outdated until a covering one is published. Nothing is refused before a pack is published,
/// nor when the pack already disagrees (a change must not wait on a mismatch it did not cause).
fn covered_by_published_pack(db: &dyn Database, config: &Config) -> Result<()> {
    let Some((pack_version, body)) = db.reference(ReferenceName::Content)? else { return Ok(()) };
    let envelope: serde_json::Value = serde_json::from_str(&body).map_err(Error::internal)?;
    let payload = envelope.get("payload").and_then(|p| p.as_str()).unwrap_or_default();
    let Ok(pack) = lgota_domain::ContentPack::parse_alone(payload) else { return Ok(()) };
    if pack.agrees_with(&current_config(db)?).is_err() {
        return Ok(());
    }
    match pack.agrees_with(config) {
        Ok(()) => Ok(()),
        Err(e) => {
            let what = match e {
                lgota_domain::Error::ContentMismatch(what) => what,
                other => other.to_string(),
            };
            Err(Error::new(
                Kind::Conflict,
                codes::CONFIG_NOT_COVERED,
                format!(
                    "Конфигурация не опубликована: опубликованный пакет инструкций (версия {pack_version}) её не \
                     покрывает — {what}. Телефоны показывали бы устаревшие инструкции. Сначала опубликуйте на \
                     странице «Контент» пакет с перечнем проверок для этого документа (документ должен уже быть \
                     в справочнике «Типы документов»), затем повторите изменение."
                ),
            ))
        }
    }
}

/// [`publish_config`] of a whole document (e.g. a file `source`), audited.
pub fn publish_document(db: &dyn Database, actor: &Actor, text: &str, source: &str) -> Result<u32> {
    actor.must_be_admin()?;
    let version = publish_config(db, text)?;
    audit::note(db, actor, Action::ConfigPublish, &format!("Опубликована конфигурация версии {version} из {source}"))?;
    Ok(version)
}

/// Publishes `config` as the next version after a change made from the dashboard.
fn publish_next(db: &dyn Database, mut config: Config) -> Result<u32> {
    let published = db.reference(ReferenceName::Config)?.map_or(0, |(v, _)| v);
    config.version = published.max(config.version) + 1;
    let json = serde_json::to_string(&config).map_err(Error::internal)?;
    publish_config(db, &json).map_err(|e| {
        if e.code == codes::VERSION_NOT_NEWER {
            Error::new(Kind::Conflict, e.code, "Справочники только что изменил другой администратор: повторите.")
        } else {
            e
        }
    })
}

/// Adds a branch (`rename`: renames a known one); phones get it at their next sync.
pub fn save_branch(db: &dyn Database, actor: &Actor, id: &str, name: &str, rename: bool) -> Result<()> {
    actor.must_be_admin()?;
    let (id, name) = (clean_id(id)?, clean_text("Название", name, NAME_MAX)?);
    let mut config = current_config(db)?;
    let known = db.branches()?.into_iter().any(|(b, _)| b == id) || config.branch(&id).is_some();
    match (rename, known) {
        (false, true) => {
            return Err(Error::new(Kind::Conflict, codes::INVALID_REQUEST, format!("Филиал с кодом «{id}» уже есть.")))
        }
        (true, false) => {
            return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("Нет филиала с кодом «{id}».")))
        }
        _ => {}
    }
    match config.branches.iter_mut().find(|b| b.id == id) {
        Some(b) => b.name = name.clone(),
        None => config.branches.push(Named { id: id.clone(), name: name.clone() }),
    }
    let version = publish_next(db, config)?;
    let (action, what) = if rename {
        (Action::BranchRename, "переименован")
    } else {
        (Action::BranchAdd, "добавлен")
    };
    audit::note(db, actor, action, &format!("Филиал «{id}» {what}: «{name}» (конфигурация версии {version})"))
}

/// Adds a benefit category (`edit`: changes a known one) with the paper documents that prove it.
pub fn save_category(
    db: &dyn Database,
    actor: &Actor,
    id: &str,
    name: &str,
    docs: &[String],
    kind: CategoryKind,
    edit: bool,
) -> Result<()> {
    actor.must_be_admin()?;
    let (id, name) = (clean_id(id)?, clean_text("Название", name, NAME_MAX)?);
    let mut config = current_config(db)?;
    if docs.is_empty() {
        return Err(Error::invalid("Отметьте хотя бы один документ, подтверждающий категорию."));
    }
    if let Some(unknown) = docs.iter().find(|d| config.document_type(d).is_none()) {
        return Err(Error::invalid(format!("Нет типа документа с кодом «{unknown}».")));
    }
    match (edit, config.categories.iter_mut().find(|c| c.id == id)) {
        (true, Some(c)) => {
            c.name = name.clone();
            c.document_type_ids = docs.to_vec();
            c.kind = kind;
        }
        (true, None) => {
            return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("Нет категории с кодом «{id}».")))
        }
        (false, Some(_)) => {
            return Err(Error::new(
                Kind::Conflict,
                codes::INVALID_REQUEST,
                format!("Категория с кодом «{id}» уже есть."),
            ))
        }
        (false, None) => config.categories.push(Category {
            id: id.clone(),
            name: name.clone(),
            document_type_ids: docs.to_vec(),
            kind,
        }),
    }
    let version = publish_next(db, config)?;
    let (action, what) =
        if edit { (Action::CategoryEdit, "изменена") } else { (Action::CategoryAdd, "добавлена") };
    let marked = if kind == CategoryKind::AgeCheck { ", проверка возраста" } else { "" };
    let detail = format!(
        "Категория «{id}» {what}: «{name}»{marked}, документы: {} (конфигурация версии {version})",
        docs.join(", ")
    );
    audit::note(db, actor, action, &detail)
}

/// The simple lists of the configuration: a name per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    DocumentTypes,
    FailureReasons,
}

impl List {
    /// `document_types` or `failure_reasons`, as the dashboard's forms name them.
    pub fn parse(name: &str) -> Result<List> {
        match name {
            "document_types" => Ok(List::DocumentTypes),
            "failure_reasons" => Ok(List::FailureReasons),
            _ => Err(Error::invalid("Неизвестный справочник.")),
        }
    }

    fn label(self) -> &'static str {
        match self {
            List::DocumentTypes => "Тип документа",
            List::FailureReasons => "Причина",
        }
    }
}

/// Adds (`rename`: renames) a paper document type or a failure reason.
pub fn save_item(db: &dyn Database, actor: &Actor, list: List, id: &str, name: &str, rename: bool) -> Result<()> {
    actor.must_be_admin()?;
    let (id, name) = (clean_id(id)?, clean_text("Название", name, NAME_MAX)?);
    let label = list.label();
    let mut config = current_config(db)?;
    let items = match list {
        List::DocumentTypes => &mut config.document_types,
        List::FailureReasons => &mut config.failure_reasons,
    };
    match (rename, items.iter_mut().find(|d| d.id == id)) {
        (true, Some(d)) => d.name = name.clone(),
        (true, None) => {
            return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("{label}: нет записи с кодом «{id}».")))
        }
        (false, Some(_)) => {
            return Err(Error::new(Kind::Conflict, codes::INVALID_REQUEST, format!("{label}: код «{id}» уже занят.")))
        }
        (false, None) => items.push(Named { id: id.clone(), name: name.clone() }),
    }
    let version = publish_next(db, config)?;
    let action = match (list, rename) {
        (List::DocumentTypes, false) => Action::DocumentTypeAdd,
        (List::DocumentTypes, true) => Action::DocumentTypeRename,
        (List::FailureReasons, false) => Action::FailureReasonAdd,
        (List::FailureReasons, true) => Action::FailureReasonRename,
    };
    audit::note(db, actor, action, &format!("{label} «{id}»: «{name}» (конфигурация версии {version})"))
}

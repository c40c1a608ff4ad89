//! Content packs (instructions, checklists, training) signed with `lgota-pack sign`: checked as a
//! phone will check them, uploaded, then published — from the dashboard in two steps, from the
//! command line in one.

use lgota_domain::content::{open_envelope, ContentPack, TrustedKey};
use lgota_protocol::codes;

use super::audit::{self, Action};
use super::reference::{current_config, not_newer};
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{ContentUpload, Database, ReferenceName};

/// What checking a signed content pack found.
#[derive(Debug, Clone)]
pub struct CheckedPack {
    pub version: u32,
    pub key_id: String,
    /// For people: title, date, how many articles, checklists and scenarios.
    pub summary: String,
}

fn refused(message: impl Into<String>) -> Error {
    Error::new(Kind::Unprocessable, codes::INVALID_REQUEST, message)
}

/// Checks a signed content envelope as a phone will: signed by one of `trusted`, whole and valid
/// against the published configuration, newer than the published pack.
pub fn check(db: &dyn Database, text: &str, trusted: &[TrustedKey]) -> Result<CheckedPack> {
    let envelope: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| refused("Это не файл пакета инструкций (ожидается подписанный JSON от lgota-pack sign)."))?;
    let payload = open_envelope(text, trusted).map_err(|e| refused(e.to_string()))?;
    let pack = ContentPack::parse(&payload, &current_config(db)?).map_err(|e| refused(e.to_string()))?;
    if let Some((published, _)) = db.reference(ReferenceName::Content)? {
        if pack.version <= published {
            return Err(Error::new(
                Kind::Conflict,
                codes::VERSION_NOT_NEWER,
                format!(
                    "Версия пакета {} не новее опубликованной ({published}): увеличьте version в пакете и подпишите заново.",
                    pack.version
                ),
            ));
        }
    }
    let key_id = envelope.get("key_id").and_then(|k| k.as_str()).unwrap_or_default().to_string();
    let summary = format!(
        "«{}» от {}: статей — {}, чек-листов — {}, учебных сценариев — {}",
        pack.title,
        pack.published,
        pack.articles.len(),
        pack.checklists.len(),
        pack.training.len()
    );
    Ok(CheckedPack { version: pack.version, key_id, summary })
}

/// Publishes a signed content pack after [`check`]. Not audited: see [`publish_document`].
pub fn publish(db: &dyn Database, text: &str, trusted: &[TrustedKey]) -> Result<CheckedPack> {
    let checked = check(db, text, trusted)?;
    let body = serde_json::from_str::<serde_json::Value>(text).map_err(Error::internal)?;
    if !db.set_reference(ReferenceName::Content, checked.version, &body.to_string())? {
        return Err(not_newer(checked.version));
    }
    Ok(checked)
}

fn note_published(db: &dyn Database, actor: &Actor, checked: &CheckedPack) -> Result<()> {
    let detail = format!("Опубликован пакет инструкций версии {} ({})", checked.version, checked.summary);
    audit::note(db, actor, Action::ContentPublish, &detail)
}

/// [`publish`] in one step (the command line), audited.
pub fn publish_document(db: &dyn Database, actor: &Actor, text: &str, trusted: &[TrustedKey]) -> Result<CheckedPack> {
    actor.must_be_admin()?;
    let checked = publish(db, text, trusted)?;
    note_published(db, actor, &checked)?;
    Ok(checked)
}

/// Checks and keeps an uploaded pack (`file` is its name) for [`publish_upload`].
pub fn upload(
    db: &dyn Database,
    actor: &Actor,
    file: &str,
    text: &str,
    trusted: &[TrustedKey],
) -> Result<ContentUpload> {
    actor.must_be_admin()?;
    let checked = check(db, text, trusted)?;
    let upload = ContentUpload {
        id: uuid::Uuid::now_v7().to_string(),
        uploaded_at_ms: now_ms(),
        login: actor.login.clone(),
        version: checked.version,
        key_id: checked.key_id,
        summary: checked.summary,
        published_at_ms: None,
    };
    db.add_content_upload(&upload, text)?;
    let detail = format!("Пакет «{file}» версии {} (ключ {}) проверен и загружен", upload.version, upload.key_id);
    audit::note(db, actor, Action::ContentUpload, &detail)?;
    Ok(upload)
}

/// Publishes an uploaded pack, checked again: the configuration or the published pack may have
/// changed since it was uploaded.
pub fn publish_upload(db: &dyn Database, actor: &Actor, id: &str, trusted: &[TrustedKey]) -> Result<CheckedPack> {
    actor.must_be_admin()?;
    let Some((upload, body)) = db.content_upload(id.trim())? else {
        return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, "Нет такого загруженного пакета."));
    };
    if upload.published_at_ms.is_some() {
        return Err(Error::new(
            Kind::Conflict,
            codes::VERSION_NOT_NEWER,
            format!("Пакет версии {} уже опубликован.", upload.version),
        ));
    }
    let checked = publish(db, &body, trusted)?;
    db.mark_content_published(&upload.id, now_ms())?;
    note_published(db, actor, &checked)?;
    Ok(checked)
}

/// The content pack phones get: the published one (its payload, read as it was checked at
/// publication), or the bundled one before any is published. The printed materials and the
/// training page are made from it.
pub fn published_pack(db: &dyn Database) -> Result<ContentPack> {
    let Some((_, body)) = db.reference(ReferenceName::Content)? else {
        return Ok(ContentPack::bundled());
    };
    let envelope: serde_json::Value = serde_json::from_str(&body).map_err(Error::internal)?;
    let payload = envelope.get("payload").and_then(|p| p.as_str()).unwrap_or_default();
    serde_json::from_str(payload).map_err(Error::internal)
}

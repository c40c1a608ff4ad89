//! What the central office does from the command line: seed, enrollment codes with their QR,
//! device management, import of offline exports, publishing reference data and events.

use std::collections::HashSet;
use std::path::Path;

use lgota_domain::content::{open_envelope, ContentPack, TrustedKey};
use lgota_domain::Config;
use lgota_protocol::{codes, enroll_uri, ExportFile, WireEvent, EXPORT_FORMAT};

use crate::error::ApiError;
use crate::intake::{self, Branches, Intake};
use crate::store::{CodeIssuer, Database, ReferenceName, StoreError};
use crate::{now_ms, secrets};

/// The longest event title phones accept.
pub const EVENT_TITLE_MAX: usize = lgota_domain::text::EVENT_TITLE_MAX;

/// Brings the branches of the bundled configuration into the database and, if none is published
/// yet, publishes the bundled configuration itself (clients already have it: it is their floor).
pub fn seed(db: &dyn Database) -> Result<(), StoreError> {
    let config = lgota_domain::Config::bundled();
    // Only branches the server does not know yet: a name the office changed stays changed.
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    let branches: Vec<(String, String)> =
        config.branches.iter().filter(|b| !known.contains(&b.id)).map(|b| (b.id.clone(), b.name.clone())).collect();
    db.add_branches(&branches)?;
    if db.reference(ReferenceName::Config)?.is_none() {
        let body = serde_json::to_string(&config).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        db.set_reference(ReferenceName::Config, config.version, &body)?;
    }
    Ok(())
}

/// A freshly issued enrollment code.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub code: String,
    pub branch_id: String,
    pub expires_at_ms: i64,
    /// What the QR holds: `lgota:enroll?v=1&server=…&code=…`.
    pub payload: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Db(#[from] StoreError),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The document's version is not newer than the published one (`.0`).
    #[error("опубликована версия {0}: нужна более новая")]
    NotNewer(u32),
}

/// Issues a one-time code for `branch_id` valid for `ttl_minutes`; only its SHA-256 is stored.
/// `issuer` decides whether the code may move a phone enrolled in another branch (administrators
/// only).
pub fn issue_code(
    db: &dyn Database,
    branch_id: &str,
    issuer: &CodeIssuer,
    ttl_minutes: u32,
    server_url: &str,
) -> Result<IssuedCode, AdminError> {
    if ttl_minutes == 0 {
        return Err(AdminError::Refused("срок действия кода должен быть больше нуля минут".into()));
    }
    let code = secrets::new_code().map_err(|e| AdminError::Refused(format!("нет случайных чисел: {e}")))?;
    let now = now_ms();
    let expires_at_ms = now + i64::from(ttl_minutes) * 60_000;
    db.insert_enrollment_code(&secrets::sha256_hex(&code), branch_id, issuer, now, expires_at_ms)?;
    let payload = enroll_uri(server_url, &code);
    Ok(IssuedCode { code, branch_id: branch_id.to_string(), expires_at_ms, payload })
}

/// The QR code of `payload` as text for a terminal (two modules per character row).
pub fn qr_terminal(payload: &str) -> Result<String, AdminError> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|e| AdminError::Refused(format!("QR-код: {e}")))?;
    Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

/// Writes the QR code of `payload` as a PNG file.
pub fn qr_png(payload: &str, path: &Path) -> Result<(), AdminError> {
    std::fs::write(path, qr_png_bytes(payload)?)?;
    Ok(())
}

/// The QR code of `payload` as PNG bytes (at least 480×480).
pub fn qr_png_bytes(payload: &str) -> Result<Vec<u8>, AdminError> {
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|e| AdminError::Refused(format!("QR-код: {e}")))?;
    let image = code.render::<image::Luma<u8>>().min_dimensions(480, 480).build();
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).map_err(|e| AdminError::Refused(format!("PNG: {e}")))?;
    Ok(png.into_inner())
}

/// Records per transaction of an import: a file of any size is stored in slices of this many.
pub const IMPORT_SLICE: usize = 2_000;

/// Imports an offline export (`{format: 1, device_id, records}`) of any size with the rules of a
/// push, record by record: each record once by id, the same file twice changes nothing.
pub fn import_export(db: &dyn Database, json: &[u8]) -> Result<Intake, ApiError> {
    let export: ExportFile = crate::api::parse_json_bytes(json)?;
    if export.format != EXPORT_FORMAT {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_REQUEST,
            format!("Формат файла выгрузки {} не поддерживается (ожидается {EXPORT_FORMAT}).", export.format),
        ));
    }
    if !lgota_domain::text::is_id(&export.device_id) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_REQUEST,
            "В файле выгрузки недопустимый код устройства.",
        ));
    }
    let now = now_ms();
    let device = db.device(&export.device_id)?;
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    let branches = match &device {
        Some(device) => {
            if device.revoked_at_ms.is_some() {
                tracing::warn!(device = device.id, "importing records of a revoked device");
            }
            Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known }
        }
        None => Branches::Known(&known),
    };
    let mut total = Intake::default();
    let mut records = export.records;
    while !records.is_empty() {
        let rest = records.split_off(records.len().min(IMPORT_SLICE));
        total.add(intake::take(db, records, &export.device_id, &branches, now)?);
        records = rest;
    }
    Ok(total)
}

/// The published configuration, or the bundled one before anything is published.
pub fn current_config(db: &dyn Database) -> Result<Config, StoreError> {
    match db.reference(ReferenceName::Config)? {
        Some((_, body)) => Config::parse(&body).map_err(|e| StoreError::Corrupt(e.to_string())),
        None => Ok(Config::bundled()),
    }
}

/// Publishes a configuration document if it is valid (as a phone parses it) and newer than the
/// one published; its branches become known to the server under their names.
pub fn publish_config(db: &dyn Database, text: &str) -> Result<u32, AdminError> {
    // The phones' own parser: an id that could not travel in a record is refused here.
    let config = Config::parse(text).map_err(|e| AdminError::Refused(e.to_string()))?;
    let published = db.reference(ReferenceName::Config)?.map_or(0, |(v, _)| v);
    if config.version <= published {
        return Err(AdminError::NotNewer(published));
    }
    let body = serde_json::to_string(&config).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let branches: Vec<(String, String)> = config.branches.iter().map(|b| (b.id.clone(), b.name.clone())).collect();
    db.add_branches(&branches)?;
    if !db.set_reference(ReferenceName::Config, config.version, &body)? {
        return Err(AdminError::NotNewer(config.version));
    }
    Ok(config.version)
}

/// What checking a signed content pack found.
#[derive(Debug, Clone)]
pub struct CheckedPack {
    pub version: u32,
    pub key_id: String,
    /// For people: title, date, how many articles, checklists and scenarios.
    pub summary: String,
}

/// Checks a signed content envelope as a phone will: signed by one of `trusted`, whole and valid
/// against the published configuration, newer than the published pack.
pub fn check_content(db: &dyn Database, text: &str, trusted: &[TrustedKey]) -> Result<CheckedPack, AdminError> {
    let envelope: serde_json::Value = serde_json::from_str(text).map_err(|_| {
        AdminError::Refused("Это не файл пакета инструкций (ожидается подписанный JSON от lgota-pack sign).".into())
    })?;
    let payload = open_envelope(text, trusted).map_err(|e| AdminError::Refused(e.to_string()))?;
    let pack = ContentPack::parse(&payload, &current_config(db)?).map_err(|e| AdminError::Refused(e.to_string()))?;
    if let Some((published, _)) = db.reference(ReferenceName::Content)? {
        if pack.version <= published {
            return Err(AdminError::Refused(format!(
                "Версия пакета {} не новее опубликованной ({published}): увеличьте version в пакете и подпишите заново.",
                pack.version
            )));
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

/// Publishes a signed content pack after [`check_content`].
pub fn publish_content(db: &dyn Database, text: &str, trusted: &[TrustedKey]) -> Result<CheckedPack, AdminError> {
    let checked = check_content(db, text, trusted)?;
    let body = serde_json::from_str::<serde_json::Value>(text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if !db.set_reference(ReferenceName::Content, checked.version, &body.to_string())? {
        return Err(AdminError::NotNewer(checked.version));
    }
    Ok(checked)
}

/// Publishes an event of a branch; its id is a new UUIDv7.
pub fn add_event(db: &dyn Database, branch_id: &str, title: &str, date: &str) -> Result<WireEvent, AdminError> {
    let title = event_title(title).map_err(AdminError::Refused)?;
    let date = event_date(date)
        .ok_or_else(|| AdminError::Refused("Дата мероприятия — в виде ДД.ММ.ГГГГ (например, 01.12.2026).".into()))?;
    let event = WireEvent { id: uuid::Uuid::now_v7().to_string(), title, date, branch_id: branch_id.to_string() };
    db.add_event(&event, now_ms())?;
    Ok(event)
}

/// A required one-line text in the phones' normal form: 1..=`max` characters, no personal data
/// (DOMAIN.md).
pub fn clean_text(what: &str, text: &str, max: usize) -> Result<String, String> {
    // The phones' normal form: a pasted TAB or line break becomes a space.
    let text = lgota_domain::text::normalize(text);
    if text.is_empty() {
        return Err(format!("Заполните поле «{what}»."));
    }
    if text.chars().count() > max {
        return Err(format!("Поле «{what}» длиннее {max} символов."));
    }
    if lgota_domain::screen::find_personal_data(&text).is_some() {
        return Err(format!(
            "В поле «{what}» похоже на персональные данные (телефон, номер документа или e-mail): их хранить нельзя."
        ));
    }
    Ok(text)
}

/// An event's title as phones accept it (see [`clean_text`]).
pub fn event_title(title: &str) -> Result<String, String> {
    clean_text("Название мероприятия", title, EVENT_TITLE_MAX)
}

/// A real calendar date typed `ДД.ММ.ГГГГ` or `YYYY-MM-DD`, as the `YYYY-MM-DD` phones read.
pub fn event_date(date: &str) -> Option<String> {
    lgota_domain::text::parse_typed_date(date).map(|d| d.to_string())
}

/// Adds (or replaces) a dashboard user with an argon2id hash of `password`; `true` if new.
pub fn add_admin(
    db: &dyn Database,
    login: &str,
    role: &str,
    branch: Option<&str>,
    password: &str,
) -> Result<bool, AdminError> {
    use crate::dashboard::auth;
    use crate::store::{Admin, Role};
    let login = login.trim();
    if login.is_empty() || login.chars().count() > 64 || login.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AdminError::Refused("логин: от 1 до 64 символов без пробелов".into()));
    }
    let role = match (role, branch) {
        ("admin", None) => Role::Admin,
        ("admin", Some(_)) => return Err(AdminError::Refused("у администратора нет филиала: уберите --branch".into())),
        ("branch_head", Some(b)) => Role::BranchHead(b.to_string()),
        ("branch_head", None) => return Err(AdminError::Refused("для заведующего укажите --branch".into())),
        (other, _) => return Err(AdminError::Refused(format!("неизвестная роль «{other}»: admin или branch_head"))),
    };
    if password.chars().count() < auth::MIN_PASSWORD_CHARS {
        return Err(AdminError::Refused(format!("пароль должен быть не короче {} символов", auth::MIN_PASSWORD_CHARS)));
    }
    let password_hash = auth::hash_password(password).map_err(AdminError::Refused)?;
    Ok(db.put_admin(&Admin { login: login.to_string(), password_hash, role }, now_ms())?)
}

//! What the central office does from the command line: seed, enrollment codes with their QR,
//! device management, import of offline exports, publishing reference data and events.

use std::collections::HashSet;
use std::path::Path;

use lgota_protocol::{codes, enroll_uri, ExportFile, WireEvent, EXPORT_FORMAT};

use crate::db::{Database, DbError, ReferenceName, StoreOutcome};
use crate::error::ApiError;
use crate::validate::{validate_batch, Branches};
use crate::{now_ms, secrets};

/// Brings the branches of the bundled configuration into the database and, if none is published
/// yet, publishes the bundled configuration itself (clients already have it: it is their floor).
pub fn seed(db: &dyn Database) -> Result<(), DbError> {
    let config = lgota_core::Config::bundled();
    let branches: Vec<(String, String)> = config.branches.iter().map(|b| (b.id.clone(), b.name.clone())).collect();
    db.add_branches(&branches)?;
    if db.reference(ReferenceName::Config)?.is_none() {
        let body = serde_json::to_string(&config).map_err(|e| DbError::Corrupt(e.to_string()))?;
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
    Db(#[from] DbError),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Issues a one-time code for `branch_id` valid for `ttl_minutes`; only its SHA-256 is stored.
pub fn issue_code(
    db: &dyn Database,
    branch_id: &str,
    ttl_minutes: u32,
    server_url: &str,
) -> Result<IssuedCode, AdminError> {
    if ttl_minutes == 0 {
        return Err(AdminError::Refused("срок действия кода должен быть больше нуля минут".into()));
    }
    let code = secrets::new_code().map_err(|e| AdminError::Refused(format!("нет случайных чисел: {e}")))?;
    let now = now_ms();
    let expires_at_ms = now + i64::from(ttl_minutes) * 60_000;
    db.insert_enrollment_code(&secrets::sha256_hex(&code), branch_id, now, expires_at_ms)?;
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

/// Imports an offline export (`{format: 1, device_id, records}`) with the validation and
/// idempotency of a push: all or nothing, each record once by id.
pub fn import_export(db: &dyn Database, json: &[u8]) -> Result<StoreOutcome, ApiError> {
    let export: ExportFile = crate::api::parse_json_bytes(json)?;
    if export.format != EXPORT_FORMAT {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_REQUEST,
            format!("Формат файла выгрузки {} не поддерживается (ожидается {EXPORT_FORMAT}).", export.format),
        ));
    }
    let now = now_ms();
    let device = db.device(&export.device_id)?;
    let known: HashSet<String> = db.branches()?.into_iter().map(|(id, _)| id).collect();
    match &device {
        Some(device) => {
            if device.revoked_at_ms.is_some() {
                tracing::warn!(device = device.id, "importing records of a revoked device");
            }
            let branches =
                Branches::Enrolled { branch: &device.branch_id, enrolled_at_ms: device.enrolled_at_ms, known: &known };
            validate_batch(&export.records, &export.device_id, branches, now)?;
        }
        None => validate_batch(&export.records, &export.device_id, Branches::Known(&known), now)?,
    }
    Ok(db.store_records(&export.records, now)?)
}

/// Reads the `version` of a reference document. Content envelopes carry it inside `payload`.
fn document_version(name: ReferenceName, doc: &serde_json::Value) -> Result<u32, AdminError> {
    let holder = match name {
        ReferenceName::Config => doc.clone(),
        ReferenceName::Content => {
            for field in ["key_id", "signature"] {
                if !doc.get(field).is_some_and(serde_json::Value::is_string) {
                    return Err(AdminError::Refused(format!("в конверте пакета нет поля {field}: пакет не подписан")));
                }
            }
            let payload = doc
                .get("payload")
                .and_then(|p| p.as_str())
                .ok_or_else(|| AdminError::Refused("в конверте пакета нет payload".into()))?;
            serde_json::from_str(payload).map_err(|e| AdminError::Refused(format!("payload не JSON: {e}")))?
        }
    };
    holder
        .get("version")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| AdminError::Refused("в документе нет числового поля version".into()))
}

/// Publishes a configuration document or a signed content envelope if it is newer than the one
/// published. Branches a new configuration names become known to the server.
pub fn publish_reference(db: &dyn Database, name: ReferenceName, text: &str) -> Result<u32, AdminError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AdminError::Refused(format!("это не JSON: {e}")))?;
    let version = document_version(name, &doc)?;
    if name == ReferenceName::Config {
        let branches = doc
            .get("branches")
            .and_then(|b| b.as_array())
            .ok_or_else(|| AdminError::Refused("в конфигурации нет списка branches".into()))?;
        let mut pairs = Vec::new();
        for b in branches {
            match (b.get("id").and_then(|v| v.as_str()), b.get("name").and_then(|v| v.as_str())) {
                (Some(id), Some(name)) if crate::validate::is_id(id) => pairs.push((id.to_string(), name.to_string())),
                _ => return Err(AdminError::Refused(format!("недопустимый филиал в конфигурации: {b}"))),
            }
        }
        db.add_branches(&pairs)?;
    }
    if !db.set_reference(name, version, &doc.to_string())? {
        return Err(AdminError::Refused(format!("опубликована версия не ниже {version}: нужна более новая")));
    }
    Ok(version)
}

/// Publishes an event of a branch; its id is a new UUIDv7.
pub fn add_event(db: &dyn Database, branch_id: &str, title: &str, date: &str) -> Result<WireEvent, AdminError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(AdminError::Refused("название мероприятия: от 1 до 120 символов".into()));
    }
    let valid_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !valid_date {
        return Err(AdminError::Refused("дата мероприятия в виде ГГГГ-ММ-ДД".into()));
    }
    let event = WireEvent {
        id: uuid::Uuid::now_v7().to_string(),
        title: title.to_string(),
        date: date.to_string(),
        branch_id: branch_id.to_string(),
    };
    db.add_event(&event, now_ms())?;
    Ok(event)
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
    use crate::db::{Admin, Role};
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

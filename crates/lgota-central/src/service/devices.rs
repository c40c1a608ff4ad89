//! Phones: one-time enrollment codes (with their QR), enrollment itself, the list and revocation.

use std::path::Path;

use lgota_protocol::{codes, enroll_uri, EnrollPins, EnrollRequest, EnrollResponse};

use super::audit::{self, Action};
use super::{Actor, Error, Kind, Result};
use crate::store::{CodeIssuer, Database, Device, EnrollAttempt, EnrollOutcome, ReferenceName, Role};
use crate::{now_ms, secrets};

/// The shortest and longest life of an enrollment code, in minutes (five minutes to a week).
pub const CODE_TTL_MINUTES: std::ops::RangeInclusive<u32> = 5..=7 * 24 * 60;

/// A freshly issued enrollment code.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub code: String,
    pub branch_id: String,
    pub expires_at_ms: i64,
    /// What the QR holds: `lgota:enroll?v=1&server=…&code=…[&key_id=…&key=…][&ca=…]`.
    pub payload: String,
    /// What the QR pins (the page says it).
    pub pins: EnrollPins,
}

/// Where an enrollment QR sends a phone and what it pins there: the server's public URL, the
/// content-signing key of its packs and the SHA-256 of its CA certificate (settings
/// `content_key`, `tls_ca_cert`; docs/deploy.md).
#[derive(Debug, Clone, Default)]
pub struct EnrollTarget {
    pub server_url: String,
    pub pins: EnrollPins,
}

/// Issues a one-time code for `branch_id` valid for `ttl_minutes`; only its SHA-256 is stored.
/// `issuer` decides whether the code may move a phone enrolled in another branch (administrators
/// only). Not audited: see [`issue`].
pub fn issue_code(
    db: &dyn Database,
    branch_id: &str,
    issuer: &CodeIssuer,
    ttl_minutes: u32,
    server_url: &str,
) -> Result<IssuedCode> {
    let target = EnrollTarget { server_url: server_url.to_owned(), pins: EnrollPins::default() };
    issue_code_for(db, branch_id, issuer, ttl_minutes, &target)
}

/// [`issue_code`] whose QR also pins `target`'s key and CA.
pub fn issue_code_for(
    db: &dyn Database,
    branch_id: &str,
    issuer: &CodeIssuer,
    ttl_minutes: u32,
    target: &EnrollTarget,
) -> Result<IssuedCode> {
    if ttl_minutes == 0 {
        return Err(Error::invalid("Срок действия кода должен быть больше нуля минут."));
    }
    let code = secrets::new_code().map_err(Error::internal)?;
    let now = now_ms();
    let expires_at_ms = now + i64::from(ttl_minutes) * 60_000;
    db.insert_enrollment_code(&secrets::sha256_hex(&code), branch_id, issuer, now, expires_at_ms)?;
    let payload = enroll_uri(&target.server_url, &code, &target.pins);
    Ok(IssuedCode { code, branch_id: branch_id.to_string(), expires_at_ms, payload, pins: target.pins.clone() })
}

/// Issues a code for a branch `actor` manages, valid [`CODE_TTL_MINUTES`], and audits it.
pub fn issue(
    db: &dyn Database,
    actor: &Actor,
    branch_id: &str,
    ttl_minutes: u32,
    target: &EnrollTarget,
) -> Result<IssuedCode> {
    let branch_id = branch_id.trim();
    if !CODE_TTL_MINUTES.contains(&ttl_minutes) {
        return Err(Error::invalid("Срок действия кода — от 5 минут до 7 суток."));
    }
    actor.may_manage(branch_id)?;
    if !db.branches()?.iter().any(|(id, _)| id == branch_id) {
        return Err(Error::invalid(if branch_id.is_empty() {
            "Выберите филиал, к которому подключается телефон.".to_string()
        } else {
            format!("Выберите филиал, к которому подключается телефон: филиала с кодом «{branch_id}» нет.")
        }));
    }
    let issuer = match actor.role {
        Role::Admin => CodeIssuer::admin(&actor.login),
        // An observer was refused by `may_manage` above.
        Role::BranchHead(_) | Role::Observer => CodeIssuer::branch_head(&actor.login),
    };
    let issued = issue_code_for(db, branch_id, &issuer, ttl_minutes, target)?;
    let detail = format!("Выдан код подключения к филиалу «{branch_id}» на {ttl_minutes} мин.");
    audit::note(db, actor, Action::DeviceCode, &detail)?;
    Ok(issued)
}

fn qr(payload: &str) -> Result<qrcode::QrCode> {
    qrcode::QrCode::new(payload.as_bytes()).map_err(|e| Error::internal(format!("QR-код: {e}")))
}

/// The QR code of `payload` as text for a terminal (two modules per character row).
pub fn qr_terminal(payload: &str) -> Result<String> {
    use qrcode::render::unicode::Dense1x2;
    Ok(qr(payload)?
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Writes the QR code of `payload` as a PNG file.
pub fn qr_png(payload: &str, path: &Path) -> Result<()> {
    std::fs::write(path, qr_png_bytes(payload)?)
        .map_err(|e| Error::new(Kind::Invalid, codes::INVALID_REQUEST, format!("{}: {e}", path.display())))
}

/// The QR code of `payload` as PNG bytes (at least 480×480).
pub fn qr_png_bytes(payload: &str) -> Result<Vec<u8>> {
    let image = qr(payload)?.render::<image::Luma<u8>>().min_dimensions(480, 480).build();
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).map_err(|e| Error::internal(format!("PNG: {e}")))?;
    Ok(png.into_inner())
}

/// Enrolls a phone with a code: a new device token, of which only the SHA-256 is kept.
pub fn enroll(db: &dyn Database, request: EnrollRequest) -> Result<EnrollResponse> {
    let code = request.code.trim().to_string();
    if !secrets::is_code_shaped(&code) {
        return Err(code_invalid(Kind::Invalid));
    }
    if !lgota_domain::text::is_id(&request.device_id) {
        return Err(Error::invalid("Недопустимый идентификатор устройства."));
    }
    // The phone's secret for this enrollment: without one (an older app) a lost answer cannot be
    // repeated, with a malformed one nothing happens.
    let secret = request.enrollment_secret.as_deref().map(str::trim);
    if secret.is_some_and(|s| !secrets::is_token_shaped(s)) {
        return Err(Error::invalid("Недопустимый секрет подключения: обновите приложение «Льгота»."));
    }
    // The phone's export-signing key (an older app sends none: it registers one at a later sync).
    let signing_key = match request.signing_key.as_deref() {
        Some(text) => Some(
            lgota_domain::export::parse_public_key(text)
                .ok_or_else(|| Error::invalid("Недопустимый ключ подписи телефона: обновите приложение «Льгота»."))?,
        ),
        None => None,
    };
    let token = secrets::new_token().map_err(Error::internal)?;
    let outcome = db.enroll(&EnrollAttempt {
        code_sha256: &secrets::sha256_hex(&code),
        device_id: &request.device_id,
        secret_sha256: secret.map(secrets::sha256_hex).as_deref(),
        token_sha256: &secrets::sha256_hex(&token),
        now_ms: now_ms(),
    })?;
    if let (EnrollOutcome::Enrolled { .. }, Some(key)) = (&outcome, &signing_key) {
        // A new enrollment brings the phone's key of now (its log may have been started afresh).
        db.set_signing_key(&request.device_id, key, now_ms(), true)?;
    }
    enroll_answer(outcome, token)
}

/// The answer to an enrollment attempt (every refusal's code and Russian message is here).
pub fn enroll_answer(outcome: EnrollOutcome, token: String) -> Result<EnrollResponse> {
    match outcome {
        EnrollOutcome::Enrolled { branch_id, branch_name, retry, moved_from } => {
            tracing::info!(branch_id, retry, moved = moved_from.is_some(), "device enrolled");
            Ok(EnrollResponse { device_token: token, branch_id, branch_name })
        }
        EnrollOutcome::UnknownCode => Err(code_invalid(Kind::NotFound)),
        EnrollOutcome::Expired => Err(Error::new(
            Kind::Gone,
            codes::ENROLLMENT_CODE_EXPIRED,
            "Срок действия кода подключения истёк: попросите администратора выдать новый.",
        )),
        EnrollOutcome::Used => Err(Error::new(
            Kind::Conflict,
            codes::ENROLLMENT_CODE_USED,
            "Этот код подключения уже использован: каждый код действует один раз.",
        )),
        EnrollOutcome::DeviceRevoked => Err(Error::new(
            Kind::Forbidden,
            codes::DEVICE_REVOKED,
            "Это устройство отключено центральной библиотекой и не может быть подключено снова.",
        )),
        EnrollOutcome::EnrolledElsewhere { branch_name } => Err(Error::new(
            Kind::Conflict,
            codes::DEVICE_ENROLLED_ELSEWHERE,
            format!(
                "Этот телефон подключён к филиалу «{branch_name}». Перенести его в другой филиал может только \
                 администратор центральной библиотеки: попросите код подключения у администратора."
            ),
        )),
    }
}

fn code_invalid(kind: Kind) -> Error {
    Error::new(
        kind,
        codes::ENROLLMENT_CODE_INVALID,
        "Код подключения не найден: отсканируйте QR-код, выданный администратором, ещё раз.",
    )
}

/// The devices `actor` may see (a branch head: of their own branch).
pub fn list(db: &dyn Database, actor: &Actor) -> Result<Vec<Device>> {
    actor.must_manage_something()?;
    let mut devices = db.devices()?;
    if let Some(own) = actor.role.branch() {
        devices.retain(|d| d.branch_id == own);
    }
    Ok(devices)
}

/// What the office publishes now, to compare phones with on «Устройства»: the configuration's
/// and the content pack's versions (0: none published), and whether that configuration
/// requires a PIN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    pub config_version: u32,
    pub content_version: u32,
    pub pin_required: bool,
}

pub fn published(db: &dyn Database) -> Result<Published> {
    let config = db.reference(ReferenceName::Config)?;
    let pin_required = config
        .as_ref()
        .and_then(|(_, body)| lgota_domain::Config::parse(body).ok())
        .is_some_and(|c| c.device_policy.pin_required);
    Ok(Published {
        config_version: config.map_or(0, |(v, _)| v),
        content_version: db.reference(ReferenceName::Content)?.map_or(0, |(v, _)| v),
        pin_required,
    })
}

/// A device `actor` may manage.
pub fn get(db: &dyn Database, actor: &Actor, id: &str) -> Result<Device> {
    let device =
        db.device(id.trim())?.ok_or_else(|| Error::new(Kind::NotFound, codes::NOT_FOUND, "Нет такого устройства."))?;
    actor.may_manage(&device.branch_id)?;
    Ok(device)
}

/// Revokes a device: its token stops working. `false` if it was revoked already.
pub fn revoke(db: &dyn Database, actor: &Actor, id: &str) -> Result<bool> {
    let device = get(db, actor, id)?;
    if device.revoked_at_ms.is_some() {
        return Ok(false);
    }
    db.revoke_device(&device.id, now_ms())?;
    let detail = format!("Устройство {} филиала «{}» отключено", device.id, device.branch_id);
    audit::note(db, actor, Action::DeviceRevoke, &detail)?;
    Ok(true)
}

//! The phones' app from the central server (issue 17): an administrator uploads the signed APK
//! the institution built (docs/android.md); a public page serves the newest with its SHA-256 and
//! a QR code to scan at a branch. The server checks the file's shape (a ZIP holding an Android
//! manifest and a signature); the phone's installer checks the signature itself.

use lgota_protocol::codes;
use sha2::{Digest, Sha256};

use super::audit::{self, Action};
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{AppRelease, Database};

/// The largest APK accepted.
pub const MAX_APK_BYTES: usize = 200 * 1024 * 1024;

/// The path of the public download page.
pub const DOWNLOAD_PAGE: &str = "/app/download";
/// The path the newest APK is served at.
pub const APK_PATH: &str = "/app/lgota.apk";

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Kind::Unprocessable, codes::INVALID_REQUEST, message)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Why `bytes` is not a signed Android app, if it is not one.
pub fn apk_problem(bytes: &[u8]) -> Option<&'static str> {
    if !bytes.starts_with(b"PK\x03\x04") || !contains(&bytes[bytes.len().saturating_sub(65_557)..], b"PK\x05\x06") {
        return Some("Это не файл приложения Android (APK): ожидался ZIP-архив.");
    }
    if !contains(bytes, b"AndroidManifest.xml") {
        return Some("В архиве нет AndroidManifest.xml: это не приложение Android.");
    }
    // Signature scheme v2+ (the APK Signing Block), or v1 (a signature file in META-INF).
    let v2 = contains(bytes, b"APK Sig Block 42");
    let v1 = contains(bytes, b"META-INF/") && [&b".RSA"[..], b".EC", b".DSA"].iter().any(|ext| contains(bytes, ext));
    if !(v1 || v2) {
        return Some(
            "Приложение не подписано: телефоны не установят его. Подпишите сборку ключом учреждения \
             (docs/android.md, «Подпись») и загрузите подписанный файл.",
        );
    }
    None
}

/// A version as the app names itself: digits and dots (`0.2.0`), perhaps a suffix (`0.2.0-rc1`).
pub fn version_problem(version: &str) -> Option<String> {
    let (numbers, suffix) = version.split_once('-').unwrap_or((version, ""));
    let parts: Vec<&str> = numbers.split('.').collect();
    let numbers_ok = (1..=4).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()));
    let suffix_ok = (suffix.is_empty() != version.contains('-'))
        && suffix.len() <= 20
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
    (!numbers_ok || !suffix_ok || version.contains("--")).then(|| {
        format!(
            "Версия «{}»: укажите номер версии приложения, как в его настройках, например 0.2.0.",
            super::cut_for_log(version, 40)
        )
    })
}

/// Adds the newest release: checked, kept with its SHA-256, audited.
pub fn upload(db: &dyn Database, actor: &Actor, version: &str, bytes: &[u8]) -> Result<AppRelease> {
    actor.must_be_admin()?;
    let version = version.trim();
    if let Some(problem) = version_problem(version) {
        return Err(invalid(problem));
    }
    if bytes.len() > MAX_APK_BYTES {
        return Err(Error::new(
            Kind::TooLarge,
            codes::TOO_LARGE,
            format!("Файл больше {} МБ: это не похоже на приложение «Льгота».", MAX_APK_BYTES >> 20),
        ));
    }
    if let Some(problem) = apk_problem(bytes) {
        return Err(invalid(problem));
    }
    let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let mut release = AppRelease {
        seq: 0,
        version: version.to_string(),
        sha256,
        bytes: bytes.len() as u64,
        uploaded_at_ms: now_ms(),
        login: actor.login.clone(),
        kept: true,
    };
    release.seq = db.add_app_release(&release, bytes)?;
    audit::note(
        db,
        actor,
        Action::AppUpload,
        &format!("версия {}, {} байт, SHA-256 {}", release.version, release.bytes, release.sha256),
    )?;
    Ok(release)
}

/// The newest release, if any was uploaded.
pub fn latest(db: &dyn Database) -> Result<Option<AppRelease>> {
    Ok(db.app_releases(1)?.into_iter().next())
}

/// The newest release and its file.
pub fn latest_file(db: &dyn Database) -> Result<(AppRelease, Vec<u8>)> {
    let missing = || Error::new(Kind::NotFound, codes::NOT_FOUND, "Приложение на сервер ещё не загружено.");
    let release = latest(db)?.ok_or_else(missing)?;
    let bytes = db.app_apk(release.seq)?.ok_or_else(missing)?;
    Ok((release, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a ZIP holding a manifest, signed (v2) if asked.
    pub fn fake_apk(signed: bool) -> Vec<u8> {
        let mut b = b"PK\x03\x04".to_vec();
        b.extend_from_slice(b"....AndroidManifest.xml....classes.dex....");
        if signed {
            b.extend_from_slice(b"....APK Sig Block 42....");
        }
        b.extend_from_slice(b"PK\x01\x02....PK\x05\x06..................");
        b
    }

    #[test]
    fn only_a_signed_android_zip_and_a_version_number_pass() {
        assert_eq!(apk_problem(&fake_apk(true)), None);
        assert!(apk_problem(&fake_apk(false)).unwrap().contains("не подписано"));
        assert!(apk_problem(b"%PDF-1.7 ...").unwrap().contains("ZIP"));
        let no_manifest = fake_apk(true).iter().map(|&c| if c == b'M' { b'N' } else { c }).collect::<Vec<_>>();
        assert!(apk_problem(&no_manifest).unwrap().contains("AndroidManifest"));
        for ok in ["0.2.0", "1", "1.2.3.4", "0.2.0-rc1"] {
            assert_eq!(version_problem(ok), None, "{ok}");
        }
        for bad in ["", "v1.0", "1..2", "1.2.3.4.5", "1.0 beta", "1.0-", "<script>"] {
            assert!(version_problem(bad).is_some(), "{bad}");
        }
    }
}

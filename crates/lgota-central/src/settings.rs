//! Server settings: command-line flags > `LGOTA_CENTRAL_*` environment (both through clap; the
//! database URL's variable is `LGOTA_DATABASE_URL`) > the TOML file > defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_DB: &str = "lgota-central.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "lgota-central.toml";
/// The institution's time zone unless configured otherwise.
pub const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;
/// Requests served at once on the phones' API and on the dashboard each, unless configured.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
/// The longest institution name (`institution`).
pub const INSTITUTION_MAX: usize = 300;

/// What the TOML file (and, merged by clap, flags and environment) may set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub db: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://user:password@host:port/database`) in place of the
    /// SQLite file `db`: for several server processes on one database (docs/deploy.md).
    pub database_url: Option<String>,
    pub listen: Option<String>,
    /// The base URL phones reach the server at; it goes into the enrollment QR.
    pub public_url: Option<String>,
    /// Whether the dashboard's session cookie is `Secure` (HTTPS only) [default: true]. May be
    /// turned off only when listening on a loopback address (tests over http://127.0.0.1).
    pub cookie_secure: Option<bool>,
    /// A JSON file of extra content-signing keys (`[{key_id, public_key}]`, as
    /// `lgota-pack keygen` prints) besides those compiled into the app.
    pub trusted_keys: Option<PathBuf>,
    /// The institution's time zone, an IANA name such as `Europe/Moscow` [default]: periods,
    /// dates and times on the dashboard and in exports, months of the monthly summary.
    pub timezone: Option<String>,
    /// Where the server writes its scheduled backups (`lgota-central-YYYYMMDD-HHMMSS.db`, UTC);
    /// none without it.
    pub backup_dir: Option<PathBuf>,
    /// How often: hours as a number or `24h`; `30m` and `10s` too (seconds are for tests)
    /// [default: 24 hours]. In the TOML file a number or a string.
    #[serde(default, deserialize_with = "number_or_text")]
    pub backup_every: Option<String>,
    /// How many of its copies the server keeps, deleting older ones [default: 7].
    pub backup_keep: Option<u32>,
    /// Addresses of reverse proxies in front of the server: only a request from one of them is
    /// believed about the client's address (`X-Forwarded-For`, its rightmost untrusted hop) and
    /// HTTPS (`X-Forwarded-Proto`) [default: none].
    pub trusted_proxies: Option<Vec<String>>,
    /// Requests served at once on the phones' API and on the dashboard each; one more is
    /// answered `503` with `Retry-After` [default: 256].
    pub max_concurrent_requests: Option<usize>,
    /// HTTPS without a reverse proxy: the certificate chain (PEM, e.g. `fullchain.pem`) and its
    /// private key; both or neither. Read again on SIGHUP.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// A token (at least 24 characters) with which `/metrics` may be read from another machine
    /// (`Authorization: Bearer …`); without it only from the machine itself.
    pub metrics_token: Option<String>,
    /// Full years a year's records are kept after it ends before `purge` may remove them
    /// (archived) [default: 3].
    pub records_keep_years: Option<u32>,
    /// Years the audit log keeps an entry [default: 3].
    pub audit_keep_years: Option<u32>,
    /// Days the audit log keeps the client's address of a sign-in and the login a failed one
    /// named [default: 90].
    pub sign_in_keep_days: Option<u32>,
    /// The institution's full name, printed on the materials and the training sheets
    /// («Материалы», «Обучение») [default: none — the pages ask for it].
    pub institution: Option<String>,
    /// The oldest app version the office supports (`0.2.0`): an older phone shows «Обновите
    /// приложение» at its next sync and goes on recording and syncing [default: none].
    pub min_app_version: Option<String>,
    /// Where librarians download the app (http:// or https://), shown with «Обновите
    /// приложение» [default: none].
    pub app_download_url: Option<String>,
    /// The id of the content-signing key (one of the trusted keys) that enrollment QR codes pin:
    /// enrolled phones install packs signed with it only, and the server publishes only those
    /// [default: the only trusted key, if there is exactly one; else none].
    pub content_key: Option<String>,
    /// A PEM file whose last certificate is the CA certificate enrollment QR codes pin (its
    /// SHA-256) and `/api/v1/ca.der` serves: enrolled phones trust only it. For the built-in
    /// HTTPS, the file of `tls_cert` when its chain ends with the root (or the self-signed
    /// certificate) [default: none — phones trust the system's roots].
    pub tls_ca_cert: Option<PathBuf>,
}

/// `24` or `"24h"` in the TOML file, as text.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Number(u64),
        Text(String),
    }
    Ok(Option::<Given>::deserialize(d)?.map(|g| match g {
        Given::Number(n) => n.to_string(),
        Given::Text(t) => t,
    }))
}

/// The server's scheduled backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: std::time::Duration,
    pub keep: u32,
}

pub const DEFAULT_BACKUP_EVERY_HOURS: u64 = 24;
pub const DEFAULT_BACKUP_KEEP: u32 = 7;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The SQLite file (its lock file too); unused when `database_url` is set.
    pub db: PathBuf,
    /// PostgreSQL in place of the SQLite file.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    pub public_url: String,
    pub cookie_secure: bool,
    pub trusted_keys: Vec<lgota_domain::TrustedKey>,
    pub timezone: chrono_tz::Tz,
    pub backup: Option<BackupSchedule>,
    pub trusted_proxies: Vec<IpAddr>,
    pub max_concurrent_requests: usize,
    pub tls: Option<crate::http::tls::TlsFiles>,
    pub metrics_token: Option<String>,
    pub retention: crate::service::retention::Retention,
    /// One line, spaces normalised; empty when not set.
    pub institution: String,
    /// What phones are told of app versions (`min_app_version`, `app_download_url`).
    pub app_requirement: Option<lgota_protocol::AppRequirement>,
    /// What enrollment QR codes pin (`content_key`, `tls_ca_cert`).
    pub enroll_pins: lgota_protocol::EnrollPins,
    /// The pinned CA certificate (DER), served to phones at enrollment.
    pub ca_der: Option<Vec<u8>>,
}

/// Reads the TOML file: an explicitly named one must exist; the default one may be absent.
pub fn read_file(path: Option<&Path>) -> Result<Overrides, String> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("файл настроек {}: {e}", path.display())),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(Overrides::default()),
        Err(e) => Err(format!("файл настроек {}: {e}", path.display())),
    }
}

/// Merges flags/environment over the file over the defaults.
pub fn resolve(given: Overrides, file: Overrides) -> Result<Settings, String> {
    let db = given.db.or(file.db).unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
    let database_url = given.database_url.or(file.database_url).map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    if let Some(url) = &database_url {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "database_url «{}»: нужен адрес PostgreSQL вида postgres://пользователь:пароль@сервер:5432/база",
                crate::store::postgres::without_password(url)
            ));
        }
    }
    let listen_text = given.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let listen: SocketAddr =
        listen_text.parse().map_err(|e| format!("адрес для прослушивания «{listen_text}»: {e}"))?;
    let tls = match (given.tls_cert.or(file.tls_cert), given.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(crate::http::tls::TlsFiles { cert, key }),
        (None, None) => None,
        _ => return Err("tls_cert и tls_key задаются вместе: файл сертификата и файл его закрытого ключа".into()),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = given.public_url.or(file.public_url).unwrap_or_else(|| format!("{scheme}://{listen}"));
    let public_url = public_url.trim_end_matches('/').to_string();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(format!("адрес сервера «{public_url}» должен начинаться с http:// или https://"));
    }
    let cookie_secure = given.cookie_secure.or(file.cookie_secure).unwrap_or(true);
    if !cookie_secure && !listen.ip().is_loopback() {
        return Err(format!(
            "cookie_secure = false допускается только при прослушивании 127.0.0.1, а не {listen}: \
             без Secure cookie сеанса администратора уйдёт по незашифрованному каналу"
        ));
    }
    let mut trusted_keys = lgota_domain::content::trusted_keys();
    if let Some(path) = given.trusted_keys.or(file.trusted_keys) {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("файл ключей {}: {e}", path.display()))?;
        // A list, or the single entry `lgota-pack keygen` prints.
        let extra: Vec<lgota_domain::TrustedKey> =
            serde_json::from_str(&text).or_else(|_| serde_json::from_str(&text).map(|k| vec![k])).map_err(|e| {
                format!("файл ключей {}: нужен JSON-список [{{\"key_id\", \"public_key\"}}]: {e}", path.display())
            })?;
        trusted_keys.extend(extra);
    }
    // The key enrolled phones pin; the server then publishes packs signed with it only (a
    // pack phones would refuse is refused here first).
    let content_key = match given.content_key.or(file.content_key).map(|k| k.trim().to_owned()) {
        Some(id) => Some(trusted_keys.iter().find(|k| k.key_id == id).cloned().ok_or_else(|| {
            format!(
                "content_key «{id}»: такого ключа нет среди доверенных (trusted_keys): укажите key_id из файла ключей"
            )
        })?),
        None if trusted_keys.len() == 1 => trusted_keys.first().cloned(),
        None => None,
    };
    if let Some(key) = &content_key {
        lgota_domain::content::check_key(key)
            .map_err(|_| format!("ключ «{}»: это не открытый ключ ed25519", key.key_id))?;
        trusted_keys = vec![key.clone()];
    }
    let ca_der = match given.tls_ca_cert.or(file.tls_ca_cert) {
        Some(path) => Some(crate::http::tls::ca_certificate(&path)?),
        None => None,
    };
    let enroll_pins = lgota_protocol::EnrollPins {
        content_key: content_key.map(|k| lgota_protocol::ContentKeyPin { key_id: k.key_id, public_key: k.public_key }),
        ca_sha256: ca_der.as_deref().map(crate::secrets::sha256_hex_bytes),
    };
    let timezone = match given.timezone.or(file.timezone) {
        None => DEFAULT_TIMEZONE,
        Some(name) => parse_timezone(&name)?,
    };
    let max_concurrent_requests =
        given.max_concurrent_requests.or(file.max_concurrent_requests).unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
    if max_concurrent_requests == 0 {
        return Err("max_concurrent_requests должно быть не меньше 1".into());
    }
    let trusted_proxies = given
        .trusted_proxies
        .filter(|p| !p.is_empty())
        .or(file.trusted_proxies)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            a.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()).map_err(|_| {
                format!("доверенный прокси «{a}»: нужен IP-адрес, например 127.0.0.1 или ::1 (не имя и не сеть)")
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let every = given.backup_every.or(file.backup_every);
    let keep = given.backup_keep.or(file.backup_keep);
    let backup = match given.backup_dir.or(file.backup_dir) {
        Some(dir) => Some(BackupSchedule {
            dir,
            every: every
                .as_deref()
                .map_or(Ok(std::time::Duration::from_secs(DEFAULT_BACKUP_EVERY_HOURS * 3600)), parse_every)?,
            keep: match keep.unwrap_or(DEFAULT_BACKUP_KEEP) {
                0 => return Err("backup_keep: хранить нужно хотя бы одну копию".into()),
                n => n,
            },
        }),
        None if every.is_some() || keep.is_some() => {
            return Err("backup_every и backup_keep действуют только вместе с backup_dir (каталогом копий)".into())
        }
        None => None,
    };
    if backup.is_some() && database_url.is_some() {
        return Err("backup_dir: копии в файл делаются только для базы SQLite; базу PostgreSQL копируйте \
                    средствами PostgreSQL (pg_dump, см. docs/deploy.md) и уберите backup_dir"
            .into());
    }
    let metrics_token = given.metrics_token.or(file.metrics_token).map(|t| t.trim().to_string());
    if metrics_token.as_ref().is_some_and(|t| t.chars().count() < 24) {
        return Err(
            "metrics_token: нужен случайный токен не короче 24 символов (например, openssl rand -hex 16)".into()
        );
    }
    let defaults = crate::service::retention::Retention::default();
    let at_least_one = |name: &str, v: Option<u32>, default: u32| match v.unwrap_or(default) {
        0 => Err(format!("{name} должно быть не меньше 1")),
        n => Ok(n),
    };
    let retention = crate::service::retention::Retention {
        records_years: at_least_one(
            "records_keep_years",
            given.records_keep_years.or(file.records_keep_years),
            defaults.records_years,
        )?,
        audit_years: at_least_one(
            "audit_keep_years",
            given.audit_keep_years.or(file.audit_keep_years),
            defaults.audit_years,
        )?,
        sign_in_days: at_least_one(
            "sign_in_keep_days",
            given.sign_in_keep_days.or(file.sign_in_keep_days),
            defaults.sign_in_days,
        )?,
    };
    let institution = lgota_domain::text::normalize(&given.institution.or(file.institution).unwrap_or_default());
    if institution.chars().count() > INSTITUTION_MAX {
        return Err(format!("institution: название учреждения длиннее {INSTITUTION_MAX} символов"));
    }
    let app_download_url = given.app_download_url.or(file.app_download_url).map(|u| u.trim().to_owned());
    if let Some(url) = &app_download_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.chars().any(char::is_whitespace) {
            return Err(format!("app_download_url «{url}» должен быть адресом, начинающимся с http:// или https://"));
        }
    }
    let app_requirement = match given.min_app_version.or(file.min_app_version) {
        Some(version) => {
            let version = version.trim().to_owned();
            if lgota_protocol::compare_versions(&version, "0.0.0").is_none() {
                return Err(format!("min_app_version «{version}»: нужна версия вида 0.2.0"));
            }
            // Without a link of its own: the server's own download page (`/app/download`).
            let download_url = app_download_url.or_else(|| Some(format!("{public_url}/app/download")));
            Some(lgota_protocol::AppRequirement { min_version: version, download_url })
        }
        None if app_download_url.is_some() => {
            return Err("app_download_url действует только вместе с min_app_version".into())
        }
        None => None,
    };
    Ok(Settings {
        retention,
        db,
        database_url,
        listen,
        public_url,
        cookie_secure,
        trusted_keys,
        timezone,
        backup,
        trusted_proxies,
        max_concurrent_requests,
        tls,
        metrics_token,
        institution,
        app_requirement,
        enroll_pins,
        ca_der,
    })
}

impl Settings {
    /// Where the database is: PostgreSQL if a URL is set, otherwise the SQLite file.
    pub fn location(&self) -> crate::store::Location {
        match &self.database_url {
            Some(url) => crate::store::Location::Postgres(url.clone()),
            None => crate::store::Location::Sqlite(self.db.clone()),
        }
    }
}

/// `backup_every`: hours as a bare number (`24`), or a number with `h`, `m` or `s`.
pub fn parse_every(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().last() {
        Some((i, c @ ('h' | 'm' | 's'))) => (&t[..i], c),
        _ => (t, 'h'),
    };
    let n: u64 = number
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("backup_every «{text}»: нужно число часов (24) или 24h, 30m, 10s"))?;
    let unit = match unit {
        'h' => 3600,
        'm' => 60,
        _ => 1,
    };
    Ok(std::time::Duration::from_secs(n * unit))
}

/// An IANA time zone name (`Europe/Moscow`, `Asia/Yekaterinburg`, …).
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "часовой пояс «{name}» не найден: укажите имя из базы часовых поясов IANA, \
             например Europe/Moscow, Europe/Samara или Asia/Yekaterinburg"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "db = \"/data/c.db\"\nlisten = \"0.0.0.0:9000\"\n").unwrap();
        let file = read_file(Some(&path)).unwrap();
        let s = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(s.db, PathBuf::from("/data/c.db"));
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(s.public_url, "http://0.0.0.0:9000");
        let s = resolve(Overrides { listen: Some("127.0.0.1:1".into()), ..Default::default() }, file).unwrap();
        assert_eq!((s.db, s.listen.to_string()), (PathBuf::from("/data/c.db"), "127.0.0.1:1".into()));
        let s = resolve(Overrides::default(), Overrides::default()).unwrap();
        assert_eq!((s.db, s.listen.to_string()), (PathBuf::from(DEFAULT_DB), DEFAULT_LISTEN.into()));
        assert!(read_file(Some(&dir.path().join("missing.toml"))).is_err());
        std::fs::write(&path, "dbb = 1\n").unwrap();
        assert!(read_file(Some(&path)).is_err());
        assert!(
            resolve(Overrides { listen: Some("nonsense".into()), ..Default::default() }, Overrides::default()).is_err()
        );
        assert!(resolve(Overrides::default(), Overrides::default()).unwrap().cookie_secure);
        let insecure = Overrides { cookie_secure: Some(false), ..Default::default() };
        assert!(!resolve(insecure.clone(), Overrides::default()).unwrap().cookie_secure);
        let public = Overrides { listen: Some("0.0.0.0:80".into()), ..insecure };
        assert!(resolve(public, Overrides::default()).is_err(), "no insecure cookie off loopback");

        // The time zone: Moscow unless configured; a flag beats the file; a bad name is refused.
        assert_eq!(resolve(Overrides::default(), Overrides::default()).unwrap().timezone, chrono_tz::Europe::Moscow);
        std::fs::write(&path, "timezone = \"Asia/Yekaterinburg\"\n").unwrap();
        let file = read_file(Some(&path)).unwrap();
        assert_eq!(resolve(Overrides::default(), file.clone()).unwrap().timezone, chrono_tz::Asia::Yekaterinburg);
        let flag = Overrides { timezone: Some("Europe/Berlin".into()), ..Default::default() };
        assert_eq!(resolve(flag, file).unwrap().timezone, chrono_tz::Europe::Berlin);
        let bad = Overrides { timezone: Some("Moscow/Europe".into()), ..Default::default() };
        let e = resolve(bad, Overrides::default()).unwrap_err();
        assert!(e.contains("часовой пояс «Moscow/Europe» не найден"), "{e}");
        assert!(
            resolve(Overrides { timezone: Some("UTC+3".into()), ..Default::default() }, Overrides::default()).is_err()
        );
    }

    #[test]
    fn backups_need_a_directory_and_default_to_daily_keeping_seven() {
        assert_eq!(resolve(Overrides::default(), Overrides::default()).unwrap().backup, None);
        let dir = Overrides { backup_dir: Some("/var/backups/lgota".into()), ..Default::default() };
        let b = resolve(dir.clone(), Overrides::default()).unwrap().backup.unwrap();
        assert_eq!((b.every.as_secs(), b.keep), (24 * 3600, 7));
        let file = Overrides { backup_every: Some("6".into()), backup_keep: Some(3), ..Default::default() };
        let b = resolve(dir.clone(), file).unwrap().backup.unwrap();
        assert_eq!((b.every.as_secs(), b.keep), (6 * 3600, 3));
        assert_eq!(parse_every("30m").unwrap().as_secs(), 1800);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        for (text, hours) in
            [("backup_dir = \"/b\"\nbackup_every = 12\n", 12), ("backup_dir = \"/b\"\nbackup_every = \"3h\"\n", 3)]
        {
            std::fs::write(&path, text).unwrap();
            let b = resolve(Overrides::default(), read_file(Some(&path)).unwrap()).unwrap().backup.unwrap();
            assert_eq!(b.every.as_secs(), hours * 3600, "{text}");
        }
        assert_eq!(parse_every("2s").unwrap().as_secs(), 2);
        assert!(parse_every("0").is_err() && parse_every("daily").is_err() && parse_every("-1h").is_err());
        let no_dir = Overrides { backup_keep: Some(3), ..Default::default() };
        assert!(resolve(no_dir, Overrides::default()).is_err());
        let none_kept = Overrides { backup_keep: Some(0), ..dir };
        assert!(resolve(none_kept, Overrides::default()).is_err());
    }

    #[test]
    fn a_database_url_comes_from_flags_or_the_file_and_must_be_postgres() {
        use crate::store::Location;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "database_url = \"postgres://lgota:secret@db:5432/lgota\"\n").unwrap();
        let file = read_file(Some(&path)).unwrap();
        let s = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(s.location(), Location::Postgres("postgres://lgota:secret@db:5432/lgota".into()));
        assert_eq!(s.location().shown(), "postgres://lgota:***@db:5432/lgota");
        let flag = Overrides { database_url: Some("postgresql://other/lgota".into()), ..Default::default() };
        assert_eq!(resolve(flag, file).unwrap().location(), Location::Postgres("postgresql://other/lgota".into()));
        let none = resolve(Overrides::default(), Overrides::default()).unwrap();
        assert_eq!(none.location(), Location::Sqlite(PathBuf::from(DEFAULT_DB)));
        let bad = Overrides { database_url: Some("mysql://u:pw@h/x".into()), ..Default::default() };
        let e = resolve(bad, Overrides::default()).unwrap_err();
        assert!(e.contains("нужен адрес PostgreSQL") && !e.contains("pw"), "{e}");
        let with_backups = Overrides {
            database_url: Some("postgres://h/x".into()),
            backup_dir: Some("/b".into()),
            ..Default::default()
        };
        assert!(resolve(with_backups, Overrides::default()).unwrap_err().contains("pg_dump"));
    }

    #[test]
    fn retention_defaults_and_the_file() {
        let r = resolve(Overrides::default(), Overrides::default()).unwrap().retention;
        assert_eq!((r.records_years, r.audit_years, r.sign_in_days), (3, 3, 90));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "records_keep_years = 5\naudit_keep_years = 1\nsign_in_keep_days = 30\n").unwrap();
        let r = resolve(Overrides::default(), read_file(Some(&path)).unwrap()).unwrap().retention;
        assert_eq!((r.records_years, r.audit_years, r.sign_in_days), (5, 1, 30));
        let zero = Overrides { sign_in_keep_days: Some(0), ..Default::default() };
        assert!(resolve(zero, Overrides::default()).unwrap_err().contains("sign_in_keep_days"));
    }

    #[test]
    fn min_app_version_is_a_version_and_the_download_link_an_address() {
        assert_eq!(resolve(Overrides::default(), Overrides::default()).unwrap().app_requirement, None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "min_app_version = \"0.2.0\"\napp_download_url = \"https://lib.example/app\"\n").unwrap();
        let s = resolve(Overrides::default(), read_file(Some(&path)).unwrap()).unwrap();
        assert_eq!(
            s.app_requirement,
            Some(lgota_protocol::AppRequirement {
                min_version: "0.2.0".into(),
                download_url: Some("https://lib.example/app".into())
            })
        );
        let flag = Overrides { min_app_version: Some("0.3".into()), ..Default::default() };
        let own = resolve(flag, Overrides::default()).unwrap().app_requirement.unwrap();
        assert_eq!(own.min_version, "0.3");
        assert_eq!(own.download_url.unwrap(), format!("http://{DEFAULT_LISTEN}/app/download"), "the server's own page");
        let bad = Overrides { min_app_version: Some("новая".into()), ..Default::default() };
        assert!(resolve(bad, Overrides::default()).unwrap_err().contains("min_app_version «новая»"));
        let url = Overrides {
            min_app_version: Some("1.0.0".into()),
            app_download_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(resolve(url, Overrides::default()).unwrap_err().contains("app_download_url"));
        let alone = Overrides { app_download_url: Some("https://x".into()), ..Default::default() };
        assert!(resolve(alone, Overrides::default()).is_err());
    }

    #[test]
    fn the_pinned_content_key_and_ca_come_from_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let key = |seed: u8, id: &str| {
            lgota_domain::content::trusted_key(id, &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
        };
        let keys = dir.path().join("keys.json");
        let given = |content_key: Option<&str>, ca: Option<&Path>| Overrides {
            trusted_keys: Some(keys.clone()),
            content_key: content_key.map(str::to_owned),
            tls_ca_cert: ca.map(Path::to_path_buf),
            ..Default::default()
        };
        // One trusted key: it is the pinned one.
        std::fs::write(&keys, serde_json::to_string(&[key(1, "a")]).unwrap()).unwrap();
        let s = resolve(given(None, None), Overrides::default()).unwrap();
        assert_eq!(s.enroll_pins.content_key.unwrap().key_id, "a");
        assert_eq!((s.enroll_pins.ca_sha256, s.ca_der), (None, None));
        // Several: none unless named, and then only that one is trusted for publishing.
        std::fs::write(&keys, serde_json::to_string(&[key(1, "a"), key(2, "b")]).unwrap()).unwrap();
        assert!(resolve(given(None, None), Overrides::default()).unwrap().enroll_pins.content_key.is_none());
        let s = resolve(given(Some("b"), None), Overrides::default()).unwrap();
        assert_eq!(s.enroll_pins.content_key.unwrap().key_id, "b");
        assert_eq!(s.trusted_keys.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), ["b"]);
        let e = resolve(given(Some("c"), None), Overrides::default()).unwrap_err();
        assert!(e.contains("content_key «c»"), "{e}");
        // The CA: the last certificate of the file, its SHA-256 in the QR.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["x".to_string()]).unwrap().self_signed(&leaf_key).unwrap();
        let chain = dir.path().join("chain.pem");
        std::fs::write(&chain, format!("{}{}", leaf.pem(), ca.pem())).unwrap();
        let s = resolve(given(Some("a"), Some(&chain)), Overrides::default()).unwrap();
        assert_eq!(s.ca_der.as_deref(), Some(ca.der().as_ref()));
        assert_eq!(s.enroll_pins.ca_sha256.unwrap(), crate::secrets::sha256_hex_bytes(ca.der()));
        let e = resolve(given(Some("a"), Some(&dir.path().join("none.pem"))), Overrides::default()).unwrap_err();
        assert!(e.contains("tls_ca_cert"), "{e}");
    }

    #[test]
    fn trusted_proxies_come_from_flags_or_the_file_and_must_be_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n").unwrap();
        let file = read_file(Some(&path)).unwrap();
        let s = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(s.trusted_proxies, vec!["127.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        let flag = Overrides { trusted_proxies: Some(vec!["10.0.0.5".into()]), ..Default::default() };
        assert_eq!(resolve(flag, file).unwrap().trusted_proxies, vec!["10.0.0.5".parse::<IpAddr>().unwrap()]);
        assert!(resolve(Overrides::default(), Overrides::default()).unwrap().trusted_proxies.is_empty());
        let bad = Overrides { trusted_proxies: Some(vec!["proxy.local".into()]), ..Default::default() };
        assert!(resolve(bad, Overrides::default()).unwrap_err().contains("доверенный прокси «proxy.local»"));
    }

    #[test]
    fn tls_needs_both_files_and_makes_the_default_address_https() {
        let both = Overrides { tls_cert: Some("/c.pem".into()), tls_key: Some("/k.pem".into()), ..Default::default() };
        let s = resolve(both, Overrides::default()).unwrap();
        assert_eq!(s.public_url, format!("https://{DEFAULT_LISTEN}"));
        assert_eq!(s.tls.unwrap().key, PathBuf::from("/k.pem"));
        let only_cert = Overrides { tls_cert: Some("/c.pem".into()), ..Default::default() };
        assert!(resolve(only_cert, Overrides::default()).unwrap_err().contains("задаются вместе"));
        let file = Overrides { tls_key: Some("/k.pem".into()), ..Default::default() };
        let flag = Overrides { tls_cert: Some("/c.pem".into()), ..Default::default() };
        assert!(resolve(flag, file).unwrap().tls.is_some(), "one from the flags, one from the file");
    }
}

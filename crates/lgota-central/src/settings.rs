//! Server settings: command-line flags > `LGOTA_CENTRAL_*` environment (both through clap) >
//! the TOML file > defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_DB: &str = "lgota-central.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "lgota-central.toml";
/// The institution's time zone unless configured otherwise.
pub const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;
/// Requests served at once on the phones' API and on the dashboard each, unless configured.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

/// What the TOML file (and, merged by clap, flags and environment) may set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub db: Option<PathBuf>,
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
    /// Requests served at once on the phones' API and on the dashboard each; one more is
    /// answered `503` with `Retry-After` [default: 256].
    pub max_concurrent_requests: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub public_url: String,
    pub cookie_secure: bool,
    pub trusted_keys: Vec<lgota_domain::TrustedKey>,
    pub timezone: chrono_tz::Tz,
    pub max_concurrent_requests: usize,
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
    let listen_text = given.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let listen: SocketAddr =
        listen_text.parse().map_err(|e| format!("адрес для прослушивания «{listen_text}»: {e}"))?;
    let public_url = given.public_url.or(file.public_url).unwrap_or_else(|| format!("http://{listen}"));
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
    let timezone = match given.timezone.or(file.timezone) {
        None => DEFAULT_TIMEZONE,
        Some(name) => parse_timezone(&name)?,
    };
    let max_concurrent_requests =
        given.max_concurrent_requests.or(file.max_concurrent_requests).unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
    if max_concurrent_requests == 0 {
        return Err("max_concurrent_requests должно быть не меньше 1".into());
    }
    Ok(Settings { db, listen, public_url, cookie_secure, trusted_keys, timezone, max_concurrent_requests })
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
}

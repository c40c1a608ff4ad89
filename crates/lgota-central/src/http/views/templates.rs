//! What every page of the dashboard shares: the escaper of its templates
//! (`templates/*.html`, compiled by askama), the layout's frame (title, header with the
//! navigation), rendering, and the stylesheet served under a name that changes with its content.

use std::fmt::{self, Write};
use std::sync::LazyLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::IntoResponse;

use crate::report::Names;
use crate::store::{Admin, Role};

/// The escaper of the dashboard's templates (see `askama.toml`): every value a template shows
/// is written through it, for element content and double-quoted attribute values alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        let mut last = 0;
        for (i, b) in string.bytes().enumerate() {
            let entity = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&string[last..i])?;
            dest.write_str(entity)?;
            last = i + 1;
        }
        dest.write_str(&string[last..])
    }
}

/// The stylesheet, in the binary.
pub const STYLESHEET: &str = include_str!("../../../static/dashboard.css");

/// Where the stylesheet is served: its name carries the first 12 hex digits of its SHA-256, so a
/// browser may keep it for good and still gets a changed one at once.
pub static STYLESHEET_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/static/dashboard.{}.css", &crate::secrets::sha256_hex(STYLESHEET)[..12]));

/// The stylesheet's response: cached for a year, never revalidated (its path changes with it).
pub async fn stylesheet() -> axum::response::Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// A link of the navigation bar.
pub struct NavLink {
    pub path: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The header of a signed-in user's page.
pub struct Header<'a> {
    pub login: &'a str,
    pub role: String,
    pub nav: Vec<NavLink>,
}

/// What `layout.html` needs of every page: the title, the header (none on the sign-in and
/// message pages) and the stylesheet's path; and the session's CSRF token for the page's forms
/// (empty without a session).
pub struct Frame<'a> {
    pub title: String,
    pub header: Option<Header<'a>>,
    pub stylesheet: &'static str,
    pub csrf: &'a str,
}

/// Who may open a page of the navigation bar (the router's layers say the same).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Everyone signed in.
    All,
    /// Those who may see individual records.
    Records,
    /// Administrators and branch heads.
    Managers,
    Admins,
}

/// The pages of the navigation bar: path, label, who may open it.
const NAV: &[(&str, &str, Who)] = &[
    ("/", "Обзор", Who::All),
    ("/records", "Записи", Who::Records),
    ("/events", "Мероприятия", Who::Managers),
    ("/devices", "Устройства", Who::Managers),
    ("/training", "Обучение", Who::Managers),
    ("/materials", "Материалы", Who::All),
    ("/branches", "Филиалы", Who::Admins),
    ("/reference", "Справочники", Who::Admins),
    ("/content", "Инструкции", Who::Admins),
    ("/import", "Импорт", Who::Admins),
    ("/discrepancies", "Расхождения", Who::Admins),
    ("/audit", "Журнал", Who::Admins),
    ("/users", "Пользователи", Who::Admins),
    ("/app", "Приложение", Who::Admins),
];

/// The role as the header and the users' page name it.
pub fn role_text(admin: &Admin, names: &Names) -> String {
    match &admin.role {
        Role::Admin => "администратор".to_string(),
        Role::BranchHead(b) if admin.records => format!("заведующий: {}, с доступом к записям", names.branch(b)),
        Role::BranchHead(b) => format!("заведующий: {}", names.branch(b)),
        Role::Observer => "только итоги".to_string(),
    }
}

impl<'a> Frame<'a> {
    /// A page without the header (sign-in, messages): `title` as it is.
    pub fn bare(title: &str) -> Frame<'a> {
        Frame { title: title.to_string(), header: None, stylesheet: STYLESHEET_PATH.as_str(), csrf: "" }
    }

    /// A signed-in user's page: «`title` — «Льгота»», the header with the navigation (`active` is
    /// the current section's path).
    pub fn signed_in(admin: &'a Admin, csrf: &'a str, names: &Names, active: &str, title: &str) -> Frame<'a> {
        let role = role_text(admin, names);
        let may = |who: Who| match who {
            Who::All => true,
            Who::Records => admin.sees_records(),
            Who::Managers => admin.role != Role::Observer,
            Who::Admins => admin.role == Role::Admin,
        };
        let nav = NAV
            .iter()
            .filter(|(_, _, who)| may(*who))
            .map(|&(path, label, _)| NavLink { path, label, current: path == active })
            .collect();
        Frame {
            title: format!("{title} — «Льгота»"),
            header: Some(Header { login: &admin.login, role, nav }),
            stylesheet: STYLESHEET_PATH.as_str(),
            csrf,
        }
    }
}

/// A template's HTML. Rendering fails only where a value's `Display` fails, which none of the
/// pages' values do; should it happen, the page says so rather than panic.
pub fn render(template: &impl askama::Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!("a dashboard page failed to render: {e}");
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Ошибка сервера</title></head>\
         <body><p>Внутренняя ошибка сервера; повторите позже.</p></body></html>"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::filters::Escaper as _;

    #[test]
    fn the_escaper_writes_named_entities() {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, "<a href=\"x\">'&ё").unwrap();
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;ё");
    }

    #[test]
    fn the_stylesheet_path_carries_its_hash() {
        let path = STYLESHEET_PATH.as_str();
        let hash = path.strip_prefix("/static/dashboard.").and_then(|p| p.strip_suffix(".css")).unwrap();
        assert_eq!(hash.len(), 12);
        use sha2::{Digest, Sha256};
        let digest: String = Sha256::digest(STYLESHEET).iter().map(|b| format!("{b:02x}")).collect();
        assert!(digest.starts_with(hash), "{digest} {hash}");
    }
}

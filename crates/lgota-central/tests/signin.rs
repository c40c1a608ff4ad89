//! Sign-in that cannot be turned against its users, over a real server: a few password checks at
//! once, a back-off per login and per client address (the real one behind a trusted proxy, never
//! a header an untrusted peer sent), no lock-out of the right password, the Secure cookie over
//! plain http explained; dashboard users disabled, enabled and removed from the page and the
//! command line, their sessions ended at once, every change audited.

use std::net::IpAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use lgota_central::service::admins::{delay_after, CONCURRENT_CHECKS, FREE_FAILURES};
use lgota_central::service::{self, audit::UNKNOWN_LOGIN};
use lgota_central::store::{prelude::*, SqliteDatabase};
use lgota_central::AppState;

const PASSWORD: &str = "верный пароль 123";

struct Site {
    base: String,
    db: Arc<SqliteDatabase>,
    db_path: std::path::PathBuf,
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn start(cookie_secure: bool, trusted_proxies: &[&str]) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("central.db");
    let db = Arc::new(SqliteDatabase::open(&db_path).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut dashboard = lgota_central::http::Dashboard::new(cookie_secure, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.trusted_proxies = trusted_proxies.iter().map(|a| a.parse::<IpAddr>().unwrap()).collect();
    let state = AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state.clone(), std::future::pending()));
    for (login, role, branch) in
        [("admin", "admin", None), ("admin2", "admin", None), ("head1", "branch_head", Some("branch-1"))]
    {
        service::admins::add_admin(db.as_ref(), login, role, branch, PASSWORD).unwrap();
    }
    Site { base, db, db_path, state, _dir: dir }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..at + 43].to_string()
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A sign-in from the client address `from` (sent as `X-Forwarded-For`); status and page.
    async fn login_from(&self, c: &reqwest::Client, from: Option<&str>, login: &str, password: &str) -> (u16, String) {
        let mut request = c.post(self.url("/login")).form(&[("login", login), ("password", password)]);
        if let Some(from) = from {
            request = request.header("x-forwarded-for", from);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn signed_in(&self, login: &str) -> (reqwest::Client, String) {
        let c = browser();
        assert_eq!(self.login_from(&c, None, login, PASSWORD).await.0, 303, "sign-in of {login}");
        let page = c.get(self.url("/")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        (c, csrf)
    }

    async fn status(&self, c: &reqwest::Client, path: &str) -> u16 {
        c.get(self.url(path)).send().await.unwrap().status().as_u16()
    }

    async fn post(&self, c: &reqwest::Client, csrf: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        let r = c.post(self.url("/users")).form(&form).send().await.unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status().as_u16(), location, r.text().await.unwrap())
    }

    fn audit(&self) -> Vec<(String, String, String)> {
        self.db.audit_log(None, 1000).unwrap().into_iter().map(|e| (e.login, e.action, e.detail)).collect()
    }

    fn cli(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
            .arg("--db")
            .arg(&self.db_path)
            .args(["admin"])
            .args(args)
            .env_remove("LGOTA_CENTRAL_CONFIG")
            .current_dir(self.db_path.parent().unwrap())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }
}

/// Sends `n` sign-ins at once; their statuses.
async fn at_once(site: &Site, n: usize, attempt: impl Fn(usize) -> (Option<String>, String, String)) -> Vec<u16> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let (from, login, password) = attempt(i);
        let (url, c) = (site.url("/login"), browser());
        tasks.push(tokio::spawn(async move {
            let mut request = c.post(url).form(&[("login", login.as_str()), ("password", password.as_str())]);
            if let Some(from) = from {
                request = request.header("x-forwarded-for", from);
            }
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn wrong_passwords_sent_at_once_are_checked_a_few_at_a_time_and_never_lock_the_right_one_out() {
    let site = start(false, &["127.0.0.1"]).await;
    let attempts = &site.state.dashboard.attempts;

    // 30 wrong passwords for one login at once: counted before they are checked, so only the
    // free ones and one more are checked; the rest wait for nothing and are refused.
    let statuses = at_once(&site, 30, |_| (None, "admin".into(), "неверный пароль".into())).await;
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), FREE_FAILURES as usize + 1, "{statuses:?}");
    assert!(attempts.checks_run() <= FREE_FAILURES as u64 + 1, "{} checks", attempts.checks_run());
    assert!(attempts.peak_checks() <= CONCURRENT_CHECKS);

    // 30 at once from 30 addresses (behind the trusted proxy) with 30 logins: each passes its
    // back-off, yet no more than CONCURRENT_CHECKS passwords are ever checked at once.
    let statuses =
        at_once(&site, 30, |i| (Some(format!("198.51.100.{i}")), format!("nobody{i}"), "неверный пароль".into())).await;
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&401));
    assert!(attempts.peak_checks() <= CONCURRENT_CHECKS, "{} at once", attempts.peak_checks());
    assert!(attempts.checks_run() <= FREE_FAILURES as u64 + 1 + 30);

    // The server still answers, and after the wait the right password signs in.
    tokio::time::sleep(Duration::from_millis(delay_after(FREE_FAILURES + 1) as u64 + 200)).await;
    assert_eq!(site.login_from(&browser(), None, "admin", PASSWORD).await.0, 303, "no lock-out");

    // A failed sign-in is audited under a known login, never under an unknown one typed.
    let audit = site.audit();
    let failed: Vec<_> = audit.iter().filter(|(_, a, _)| a == "signin.failed").collect();
    assert!(failed.iter().any(|(l, _, _)| l == "admin"));
    assert!(failed.iter().any(|(l, _, d)| l == UNKNOWN_LOGIN && d.contains("198.51.100.")));
    assert!(!audit.iter().any(|(l, _, d)| l.contains("nobody") || d.contains("nobody")), "{audit:?}");
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_limited_apart_and_an_untrusted_peer_cannot_pose_as_one() {
    // The server trusts the proxy at 127.0.0.1 (where the test's requests come from).
    let site = start(false, &["127.0.0.1"]).await;
    let c = browser();
    for n in 0..=FREE_FAILURES {
        let (status, _) = site.login_from(&c, Some("203.0.113.1"), &format!("guess{n}"), "x").await;
        assert_eq!(status, 401);
    }
    assert_eq!(site.login_from(&c, Some("203.0.113.1"), "admin", PASSWORD).await.0, 429, "this client waits");
    assert_eq!(site.login_from(&c, Some("203.0.113.2"), "head1", PASSWORD).await.0, 303, "another does not");
    // The rightmost hop the proxy added counts, not what the client wrote before it.
    assert_eq!(site.login_from(&c, Some("203.0.113.2, 203.0.113.1"), "admin", PASSWORD).await.0, 429);
    assert!(site.audit().iter().any(|(_, a, d)| a == "signin" && d.contains("203.0.113.2")));

    // A server that trusts no proxy ignores the header: both "clients" are the same peer.
    let site = start(false, &[]).await;
    for n in 0..=FREE_FAILURES {
        assert_eq!(site.login_from(&c, Some("203.0.113.1"), &format!("guess{n}"), "x").await.0, 401);
    }
    assert_eq!(site.login_from(&c, Some("203.0.113.2"), "head1", PASSWORD).await.0, 429);
    assert!(!site.audit().iter().any(|(_, _, d)| d.contains("203.0.113")), "the header was not believed");
}

#[tokio::test]
async fn a_secure_cookie_over_plain_http_is_explained_instead_of_looping_back_to_the_sign_in_page() {
    let site = start(true, &["127.0.0.1"]).await;
    let c = browser();
    let get = |host: &'static str, proto: Option<&'static str>| {
        let mut r = c.get(site.url("/login")).header("host", host);
        if let Some(p) = proto {
            r = r.header("x-forwarded-proto", p);
        }
        r
    };
    let page = get("library.example:8080", None).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Отсюда войти не получится") && page.contains("https://"), "{page}");
    assert!(page.contains("http://library.example:8080"), "{page}");
    let page = get("library.example", Some("https")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Отсюда войти не получится"), "HTTPS at the proxy");
    let page = c.get(site.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Отсюда войти не получится"), "on the machine itself");
    // The form sent over plain http is answered with the reason, no password checked.
    let r = c
        .post(site.url("/login"))
        .header("host", "10.1.2.3:8080")
        .form(&[("login", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Отсюда войти не получится"));
    assert_eq!(site.state.dashboard.attempts.checks_run(), 0);
}

#[tokio::test]
async fn users_are_disabled_enabled_and_removed_from_the_page_and_the_command_line() {
    let site = start(false, &[]).await;
    let (admin, csrf) = site.signed_in("admin").await;
    let (head, _) = site.signed_in("head1").await;
    let (admin2, _) = site.signed_in("admin2").await;

    let page = admin.get(site.url("/users")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Пользователи панели") && page.contains(">Пользователи</a>"), "{page}");
    for login in ["admin", "admin2", "head1"] {
        assert!(page.contains(&format!("data-login=\"{login}\" data-state=\"active\"")), "{login}");
    }
    assert!(page.contains("заведующий: ") && page.contains("это вы"));
    assert_eq!(site.status(&head, "/users").await, 403, "administrators only");

    // Disabling ends the sessions at once; the right password is then refused as a wrong one.
    let (status, location, _) = site.post(&admin, &csrf, &[("login", "head1"), ("action", "disable")]).await;
    assert_eq!((status, location.as_str()), (303, "/users?done=disabled"));
    assert_eq!(site.status(&head, "/").await, 303, "the old cookie gets the sign-in page");
    let (status, page) = site.login_from(&browser(), None, "head1", PASSWORD).await;
    assert_eq!(status, 401);
    assert!(page.contains("Неверный логин или пароль"), "no oracle");
    let page = admin.get(site.url("/users")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-login=\"head1\" data-state=\"disabled\""));
    assert_eq!(site.post(&admin, &csrf, &[("login", "head1"), ("action", "enable")]).await.1, "/users?done=enabled");
    assert_eq!(site.login_from(&browser(), None, "head1", PASSWORD).await.0, 303);

    // Removing asks first, then ends the sessions.
    let (status, _, page) = site.post(&admin, &csrf, &[("login", "admin2"), ("action", "remove")]).await;
    assert!(status == 200 && page.contains("Удалить пользователя?") && page.contains("confirm-remove"), "{page}");
    assert_eq!(site.status(&admin2, "/").await, 200, "not yet");
    let done = site.post(&admin, &csrf, &[("login", "admin2"), ("action", "remove"), ("confirm", "yes")]).await;
    assert_eq!(done.1, "/users?done=removed");
    assert_eq!(site.status(&admin2, "/").await, 303);
    assert!(site.db.admin("admin2").unwrap().is_none());

    // Not oneself, not someone unknown, not without the token.
    let (status, _, page) = site.post(&admin, &csrf, &[("login", "admin"), ("action", "disable")]).await;
    assert!(status == 400 && page.contains("Себя отключить или удалить нельзя"), "{page}");
    let (status, _, page) = site.post(&admin, &csrf, &[("login", "ghost"), ("action", "disable")]).await;
    assert!(status == 400 && page.contains("Нет пользователя"), "{status} {page}");
    let (status, _, _) = site.post(&admin, "A", &[("login", "head1"), ("action", "disable")]).await;
    assert_eq!(status, 403);
    assert_eq!(site.status(&admin, "/").await, 200, "still signed in");

    // The command line: the same operation; never the last enabled administrator.
    let (ok, out) = site.cli(&["disable", "head1"]);
    assert!(ok && out.contains("Пользователь head1 отключён"), "{out}");
    let (ok, out) = site.cli(&["disable", "admin"]);
    assert!(!ok && out.contains("последний действующий администратор"), "{out}");
    let (ok, out) = site.cli(&["remove", "admin"]);
    assert!(!ok && out.contains("последний действующий администратор"), "{out}");
    assert_eq!(site.status(&admin, "/").await, 200);
    let (ok, out) = site.cli(&["enable", "head1"]);
    assert!(ok && out.contains("снова может входить"), "{out}");
    let (ok, out) = site.cli(&["remove", "head1"]);
    assert!(ok && out.contains("удалён"), "{out}");
    let (ok, out) = site.cli(&["enable", "ghost"]);
    assert!(!ok && out.contains("Нет пользователя «ghost»"), "{out}");

    let audit = site.audit();
    let by = |who: &str, action: &str, whom: &str| {
        audit.iter().any(|(l, a, d)| l.starts_with(who) && a == action && d.contains(&format!("«{whom}»")))
    };
    assert!(by("admin", "admin.disable", "head1") && by("admin", "admin.enable", "head1"));
    assert!(by("admin", "admin.remove", "admin2"));
    assert!(by("cli:", "admin.disable", "head1") && by("cli:", "admin.enable", "head1"));
    assert!(by("cli:", "admin.remove", "head1"));
}

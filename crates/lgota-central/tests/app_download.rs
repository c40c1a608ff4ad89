//! The phones' app from the central server (issue 17): an administrator uploads the signed APK
//! on «Приложение»; anyone (a librarian's phone, by the QR code) opens the download page and gets
//! the very file with its SHA-256; unsigned or foreign files and a branch head are refused.

use std::sync::Arc;

use lgota_central::service;
use lgota_central::store::{prelude::*, SqliteDatabase};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "верный пароль 123";

/// A ZIP holding a manifest, signed (v2 signing block) if asked; `fill` bytes of content.
fn apk(signed: bool, fill: usize) -> Vec<u8> {
    let mut b = b"PK\x03\x04".to_vec();
    b.extend_from_slice(b"\x14\x00AndroidManifest.xml");
    b.extend((0..fill).map(|i| (i * 7 % 251) as u8));
    if signed {
        b.extend_from_slice(b"\x00APK Sig Block 42\x00");
    }
    b.extend_from_slice(b"PK\x01\x02central-directoryPK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    b
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

async fn signed_in(base: &str, login: &str) -> (reqwest::Client, String) {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r =
        client.post(format!("{base}/login")).form(&[("login", login), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = client.get(format!("{base}/")).send().await.unwrap().text().await.unwrap();
    (client, csrf_of(&page))
}

async fn upload(client: &reqwest::Client, base: &str, csrf: &str, version: &str, file: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("version", version.to_string())
        .part("apk", reqwest::multipart::Part::bytes(file).file_name("app-release.apk"));
    let r = client.post(format!("{base}/app")).multipart(form).send().await.unwrap();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    let status = r.status().as_u16();
    (status, if status == 303 { location } else { r.text().await.unwrap() })
}

#[tokio::test]
async fn an_uploaded_app_is_served_with_its_checksum_to_anyone() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, PASSWORD).unwrap();
    service::admins::add_admin(db.as_ref(), "head1", "branch_head", Some("branch-1"), PASSWORD).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut dashboard = lgota_central::http::Dashboard::new(false, lgota_central::settings::DEFAULT_TIMEZONE);
    dashboard.public_url = "https://lgota.library.example".into();
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    let anyone = reqwest::Client::new();

    // Nothing uploaded yet: the page says so, the file is 404.
    let r = anyone.get(format!("{base}/app/download")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("ещё не загружено"));
    assert_eq!(anyone.get(format!("{base}/app/lgota.apk")).send().await.unwrap().status(), 404);

    let (admin, csrf) = signed_in(&base, "admin").await;
    let page = admin.get(format!("{base}/app")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("https://lgota.library.example/app/download"), "the address of the QR code");
    assert!(page.contains("data:image/png;base64,"), "the QR code");
    assert!(page.contains("href=\"/app\" aria-current=\"page\">Приложение"), "in the navigation");

    // Refused: unsigned, not an APK, a bad version, a forged form, a branch head.
    let (status, text) = upload(&admin, &base, &csrf, "0.2.0", apk(false, 1000)).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("не подписано"), "{text}");
    let (status, text) = upload(&admin, &base, &csrf, "0.2.0", b"%PDF-1.7 not an app".to_vec()).await;
    assert!(status == 400 && text.contains("ZIP"), "{status} {text}");
    let (status, text) = upload(&admin, &base, &csrf, "<b>новая</b>", apk(true, 1000)).await;
    assert!(status == 400 && text.contains("&lt;b&gt;") && !text.contains("<b>новая"), "{status} escaped: {text}");
    assert_eq!(upload(&admin, &base, "forged", "0.2.0", apk(true, 1000)).await.0, 403);
    let (head, head_csrf) = signed_in(&base, "head1").await;
    assert_eq!(upload(&head, &base, &head_csrf, "0.2.0", apk(true, 1000)).await.0, 403);
    assert!(db.app_releases(10).unwrap().is_empty(), "nothing kept of the refused files");

    // Two versions: the newest is served, byte for byte, with its SHA-256.
    assert_eq!(upload(&admin, &base, &csrf, "0.1.0", apk(true, 5_000)).await, (303, "/app?done=app".into()));
    let newest = apk(true, 3 * 1024 * 1024);
    assert_eq!(upload(&admin, &base, &csrf, "0.2.0", newest.clone()).await.0, 303);
    let sha: String = Sha256::digest(&newest).iter().map(|b| format!("{b:02x}")).collect();
    let page = anyone.get(format!("{base}/app/download")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("версия 0.2.0") && page.contains(&sha), "{page}");
    assert!(!page.contains("admin"), "who uploaded it is not shown to anyone");
    let r = anyone.get(format!("{base}/app/lgota.apk")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.android.package-archive");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("lgota-0.2.0.apk"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), newest.as_slice());

    // A third upload: only the two newest keep their file; the audit log names each upload.
    assert_eq!(upload(&admin, &base, &csrf, "0.3.0", apk(true, 100)).await.0, 303);
    let kept: Vec<(String, bool)> = db.app_releases(10).unwrap().into_iter().map(|r| (r.version, r.kept)).collect();
    assert_eq!(kept, [("0.3.0".to_string(), true), ("0.2.0".into(), true), ("0.1.0".into(), false)]);
    let uploads = db.audit_log(None, 100).unwrap().into_iter().filter(|e| e.action == "app.upload").count();
    assert_eq!(uploads, 3);
}

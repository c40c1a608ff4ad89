//! Built-in HTTPS (issue 14): the real `lgota-central serve --tls-cert --tls-key` process with a
//! certificate of a private CA; the dashboard signed into over it (its cookie is `Secure`); a
//! renewed certificate read on SIGHUP without a restart; unreadable files on SIGHUP keep the
//! certificate in use; SIGHUP without HTTPS does not stop the server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOST: &str = "lgota.test";

/// A CA and a server certificate for `HOST` and 127.0.0.1 signed by it.
struct Issued {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn issue(ca_name: &str) -> Issued {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, ca_name);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec![HOST.to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();
    Issued { ca_pem: ca_cert.pem(), cert_pem: format!("{}{}", cert.pem(), ca_cert.pem()), key_pem: key.serialize_pem() }
}

fn put(issued: &Issued, cert: &Path, key: &Path) {
    std::fs::write(cert, &issued.cert_pem).unwrap();
    std::fs::write(key, &issued.key_pem).unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Serving {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn central(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lgota-central"));
    c.arg("--db").arg(db).env_remove("LGOTA_CENTRAL_CONFIG").env("RUST_LOG", "info");
    c
}

fn serve(db: &Path, tls: Option<(&Path, &Path)>, log: &Path) -> Serving {
    let port = free_port();
    let mut c = central(db);
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    if let Some((cert, key)) = tls {
        c.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
    }
    let log = std::fs::File::create(log).unwrap();
    let child = c.stdout(Stdio::null()).stderr(log).spawn().unwrap();
    Serving { child, addr: SocketAddr::from(([127, 0, 0, 1], port)) }
}

/// A client that trusts only `ca_pem` and reaches `HOST` at `addr`.
fn client_trusting(ca_pem: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .resolve(HOST, addr)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn until_healthy(client: &reqwest::Client, url: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(Instant::now() < deadline, "the server did not answer {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hangup(child: &Child) {
    let ok = Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -HUP");
}

fn add_admin(db: &Path) {
    let mut child = central(db)
        .args(["admin", "add", "--login", "metodist", "--role", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"verno-verno-2026\n").unwrap();
    assert!(child.wait().unwrap().success());
}

fn log_text(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_over_built_in_https_and_a_certificate_renewed_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (cert, key, log) = (dir.path().join("fullchain.pem"), dir.path().join("privkey.pem"), dir.path().join("log"));
    add_admin(&db);
    let first = issue("Library CA 1");
    put(&first, &cert, &key);
    let mut server = serve(&db, Some((&cert, &key)), &log);
    let base = format!("https://{HOST}:{}", server.addr.port());
    let client = client_trusting(&first.ca_pem, server.addr);
    until_healthy(&client, &format!("{base}/health"), &mut server.child).await;

    // Plain http to the HTTPS port gets no page.
    let plain = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let r = plain.get(format!("http://{}/health", server.addr)).send().await;
    assert!(r.map(|r| r.status() != 200).unwrap_or(true), "plain http must not be served");

    // Over HTTPS on a network name the sign-in page does not warn, and signing in works: the
    // `Secure` cookie is kept and the overview opens.
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
    assert!(!page.contains("незащищённому адресу"), "no plain-http warning over HTTPS");
    let r = client
        .post(format!("{base}/login"))
        .form(&[("login", "metodist"), ("password", "verno-verno-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let overview = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(overview.status(), 200);
    assert!(overview.text().await.unwrap().contains("Выйти"));

    // A renewed certificate (another CA, to tell them apart) is read on SIGHUP.
    let second = issue("Library CA 2");
    put(&second, &cert, &key);
    hangup(&server.child);
    let renewed = client_trusting(&second.ca_pem, server.addr);
    let deadline = Instant::now() + Duration::from_secs(20);
    while renewed.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the renewed certificate was not served: {}", log_text(&log));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        client_trusting(&first.ca_pem, server.addr).get(format!("{base}/health")).send().await.is_err(),
        "the old certificate is no longer served"
    );

    // Unreadable files on SIGHUP: the certificate in use stays, the reason is logged.
    std::fs::write(&key, "not a key").unwrap();
    hangup(&server.child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !log_text(&log).contains("certificate not reloaded") {
        assert!(Instant::now() < deadline, "no log line for the failed reload: {}", log_text(&log));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.child.try_wait().unwrap().is_none(), "the server goes on");
    let r = renewed.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!log_text(&log).contains("verno-verno"), "no password in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_certificate_files_stop_the_start_with_a_reason_and_sighup_without_https_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let one = issue("CA 1");
    let other = issue("CA 2");
    std::fs::write(&cert, &one.cert_pem).unwrap();
    std::fs::write(&key, &other.key_pem).unwrap();
    let port = free_port().to_string();
    let out = central(&db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("не подходят друг к другу"), "{said}");
    let out = central(&db).args(["serve", "--listen", "127.0.0.1:1", "--tls-cert"]).arg(&cert).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("задаются вместе"));

    let log = dir.path().join("log");
    let mut server = serve(&db, None, &log);
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    until_healthy(&client, &format!("{base}/health"), &mut server.child).await;
    hangup(&server.child);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.child.try_wait().unwrap().is_none(), "SIGHUP must not stop a plain-http server");
    assert_eq!(client.get(format!("{base}/health")).send().await.unwrap().status(), 200);
}

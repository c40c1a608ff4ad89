//! One build for any institution (issue 17): the real `lgota-central` binary with its built-in
//! HTTPS, and a phone — the real `lgota-core` store and sync engine with the real `lgota-client` —
//! enrolled from the QR the binary prints. The QR pins the institution's content key and its CA
//! certificate: the phone syncs with a private CA's and with a self-signed certificate, refuses a
//! server whose certificate another CA signed, refuses to enroll when the CA does not match the
//! pin, installs its institution's pack and refuses another's (and reports the refusal).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lgota_central::service::{self, Actor};
use lgota_central::store::SqliteDatabase;
use lgota_core::content::testing::{bundled_with_version, sign, test_key};
use lgota_core::sync::sync_once;
use lgota_core::{ContentSource, Store};
use lgota_protocol::parse_enroll_uri;

/// A certificate for 127.0.0.1: signed by a fresh CA (`ca_name`), or self-signed (`None`). The
/// chain file ends with the certificate phones pin.
struct Issued {
    chain_pem: String,
    key_pem: String,
}

fn issue(ca_name: Option<&str>) -> Issued {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    match ca_name {
        None => Issued { chain_pem: params.self_signed(&key).unwrap().pem(), key_pem: key.serialize_pem() },
        Some(name) => {
            let ca_key = rcgen::KeyPair::generate().unwrap();
            let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ca.distinguished_name.push(rcgen::DnType::CommonName, name);
            let ca_cert = ca.self_signed(&ca_key).unwrap();
            let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();
            Issued { chain_pem: format!("{}{}", cert.pem(), ca_cert.pem()), key_pem: key.serialize_pem() }
        }
    }
}

/// One institution's server files in `dir`: database, keys, certificate.
struct Site {
    dir: PathBuf,
    port: u16,
}

impl Site {
    fn new(dir: &Path) -> Site {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Site { dir: dir.to_path_buf(), port }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The binary with this site's settings: its trusted keys (`keys.json`: one key, so it is the
    /// pinned one) and the CA phones pin (the last certificate of the chain it serves).
    fn central(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lgota-central"));
        c.arg("--db")
            .arg(self.path("central.db"))
            .arg("--trusted-keys")
            .arg(self.path("keys.json"))
            .arg("--tls-ca-cert")
            .arg(self.path("chain.pem"))
            .arg("--public-url")
            .arg(self.base())
            .env_remove("LGOTA_CENTRAL_CONFIG")
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.central().args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
        text
    }

    fn trust(&self, key: &lgota_core::TrustedKey) {
        std::fs::write(self.path("keys.json"), serde_json::to_string(&[key]).unwrap()).unwrap();
    }

    fn certify(&self, issued: &Issued) {
        std::fs::write(self.path("chain.pem"), &issued.chain_pem).unwrap();
        std::fs::write(self.path("key.pem"), &issued.key_pem).unwrap();
    }

    fn publish_pack(&self, envelope: &str) {
        let file = self.path("pack.json");
        std::fs::write(&file, envelope).unwrap();
        self.run(&["reference", "content", file.to_str().unwrap()]);
    }

    /// The QR's text `device enroll` prints.
    fn enrollment_qr(&self) -> String {
        let png = self.path("enroll.png");
        let out = self.run(&["device", "enroll", "--branch", "branch-1", "--png", png.to_str().unwrap()]);
        let line = out.lines().find(|l| l.starts_with("Содержимое QR:")).unwrap_or_else(|| panic!("{out}"));
        line.trim_start_matches("Содержимое QR:").trim().to_owned()
    }

    fn serve(&self) -> Serving {
        let mut c = self.central();
        c.args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--tls-cert")
            .arg(self.path("chain.pem"))
            .arg("--tls-key")
            .arg(self.path("key.pem"));
        let child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let mut serving = Serving { child };
        // Up when it accepts TCP (TLS is the phone's business).
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(serving.child.try_wait().unwrap().is_none(), "the server exited");
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        serving
    }

    fn device_report(&self, device_id: &str) -> lgota_central::store::DeviceReport {
        let db = SqliteDatabase::open(self.path("central.db")).unwrap();
        let devices = service::devices::list(&db, &Actor::cli()).unwrap();
        devices.into_iter().find(|d| d.id == device_id).and_then(|d| d.report).expect("the phone's report")
    }
}

struct Serving {
    child: Child,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn phone(dir: &Path) -> Mutex<Store> {
    Mutex::new(Store::open(dir.join("phone.db")).unwrap())
}

fn enroll(phone: &Mutex<Store>, qr: &str) -> Result<(), lgota_core::sync::SyncError> {
    let uri = parse_enroll_uri(qr).expect("a QR the phone reads");
    let (_, pull_failed) = lgota_client::enroll_device_pinned(phone, &uri.server, &uri.code, &uri.pins, &[])?;
    assert!(pull_failed.is_none(), "the first pull right after enrollment: {pull_failed:?}");
    Ok(())
}

fn sync(phone: &Mutex<Store>) -> Result<(), lgota_core::sync::SyncError> {
    let enrollment = phone.lock().unwrap().enrollment().unwrap().expect("enrolled");
    let mut client = lgota_client::Client::for_enrollment(&enrollment)?;
    sync_once(phone, &mut client, &[], |_, _| {}).map(|_| ())
}

#[test]
fn a_phone_pinned_to_a_private_ca_and_a_key_syncs_refuses_another_ca_and_another_institutions_pack() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(dir.path());
    let (a, a_key) = test_key(1);
    let (b, b_key) = test_key(2);
    site.trust(&a_key);
    site.certify(&issue(Some("Library CA")));
    site.publish_pack(&sign(&a, &a_key.key_id, &bundled_with_version(3)));
    let qr = site.enrollment_qr();
    let pins = parse_enroll_uri(&qr).unwrap().pins;
    assert_eq!(pins.content_key.as_ref().map(|k| k.key_id.as_str()), Some("test-1"), "{qr}");
    assert!(pins.ca_sha256.is_some(), "{qr}");

    // Enrolled with the pins: A's pack arrives with the first pull, records go out.
    let server = site.serve();
    let phone = phone(dir.path());
    enroll(&phone, &qr).unwrap();
    {
        let store = phone.lock().unwrap();
        let state = store.content_state().unwrap();
        assert_eq!((state.source, state.pack.version), (ContentSource::Installed, 3));
        assert_eq!(store.enrollment().unwrap().unwrap().ca_der.map(|d| !d.is_empty()), Some(true));
    }
    sync(&phone).unwrap();
    drop(server);

    // The office publishes a pack signed with another institution's key (the server is told to
    // trust B's key only): the phone refuses it by name, keeps A's, and says so in its report.
    site.trust(&b_key);
    site.publish_pack(&sign(&b, &b_key.key_id, &bundled_with_version(4)));
    let server = site.serve();
    sync(&phone).unwrap();
    sync(&phone).unwrap();
    let (state, device_id) = {
        let store = phone.lock().unwrap();
        (store.content_state().unwrap(), store.device_id().to_owned())
    };
    assert_eq!((state.source, state.pack.version), (ContentSource::Installed, 3), "A's pack stays");
    let refusal = state.last_refusal.expect("the refusal is kept");
    assert_eq!(refusal.code, "content_key_not_pinned");
    assert!(refusal.message.contains("другого учреждения"), "{}", refusal.message);
    drop(server);
    let report = site.device_report(&device_id);
    assert_eq!((report.content_version, report.pack_refusal.as_deref()), (3, Some("content_key_not_pinned")));

    // The same address with a certificate another CA signed: nothing is sent, a clear reason.
    site.trust(&a_key);
    site.certify(&issue(Some("Someone else's CA")));
    let _server = site.serve();
    let e = sync(&phone).unwrap_err();
    assert_eq!(e.code(), "certificate_not_trusted", "{e}");
    assert!(e.to_string().contains("Сертификат сервера не подтверждён"), "{e}");
    let problem = e.problem(lgota_core::Now::system());
    assert!(problem.advice.contains("новому QR-коду"), "{}", problem.advice);
}

#[test]
fn a_self_signed_certificate_works_when_pinned_and_a_pin_mismatch_refuses_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(dir.path());
    let (a, a_key) = test_key(1);
    site.trust(&a_key);
    site.certify(&issue(None));
    site.publish_pack(&sign(&a, &a_key.key_id, &bundled_with_version(3)));
    let _server = site.serve();

    // A QR whose CA pin is not this server's: refused before the code is sent.
    let qr = site.enrollment_qr();
    let pin = parse_enroll_uri(&qr).unwrap().pins.ca_sha256.unwrap();
    let forged = qr.replace(&pin, &"0".repeat(64));
    let phone = phone(dir.path());
    let e = enroll(&phone, &forged).unwrap_err();
    assert_eq!(e.code(), "ca_pin_mismatch", "{e}");
    assert!(e.to_string().contains("не совпадает с указанным в QR-коде"), "{e}");
    assert!(phone.lock().unwrap().enrollment().unwrap().is_none(), "not enrolled");

    // Without the pin, the app's own roots do not know a self-signed certificate.
    let unpinned = parse_enroll_uri(&qr).unwrap();
    let e = lgota_client::enroll_device(&phone, &unpinned.server, &unpinned.code, &[]).unwrap_err();
    assert_eq!(e.code(), "certificate_not_trusted", "{e}");

    // With it, the same code enrolls (nothing was sent before), and the phone syncs.
    enroll(&phone, &qr).unwrap();
    assert_eq!(phone.lock().unwrap().content_state().unwrap().pack.version, 3);
    sync(&phone).unwrap();
}

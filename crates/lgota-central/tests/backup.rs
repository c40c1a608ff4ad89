//! Backups (issue 14) over real SQLite files: a backup taken while three phones push (the core's
//! sync engine, the real client) restores to a whole database, and the phones fill in what it
//! lacks; the command line's refusals; scheduled backups keeping the newest N; the last backup on
//! the audit page.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use lgota_central::service::{self, Actor};
use lgota_central::store::{inspect_file, prelude::*, SqliteDatabase};
use lgota_client::Client;
use lgota_core::sync::{push_pending, sync_once};
use lgota_core::{CheckInput, Now, SetupInput, Store};

const PHONES: usize = 3;
const ROUNDS: usize = 12;
const PER_ROUND: usize = 15;

async fn serve_file(
    path: &Path,
) -> (String, Arc<SqliteDatabase>, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let db = Arc::new(SqliteDatabase::open(path).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_db: Arc<dyn Database> = db.clone();
    let task = tokio::spawn(async move {
        let _ = lgota_central::serve(listener, server_db, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (base, db, stop, task)
}

fn record(store: &Mutex<Store>, n: usize) {
    let mut store = store.lock().unwrap();
    for i in 0..n {
        let input = if i % 2 == 0 {
            CheckInput::DigitalIdConfirmed { category_id: "pensioner".into(), note: None }
        } else {
            CheckInput::Refused { category_id: None, note: None }
        };
        store.record_check(&input, Now::system()).unwrap();
    }
}

fn log_ids(path: &Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM records WHERE training = 0").unwrap();
    let ids = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect();
    ids
}

type Phone = (Arc<Mutex<Store>>, PathBuf, String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_phones_push_restores_whole_and_the_phones_fill_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("central.db");
    let (base, db, stop, task) = serve_file(&live).await;
    let mut phones: Vec<Phone> = Vec::new();
    for p in 0..PHONES {
        let path = dir.path().join(format!("phone-{p}.db"));
        let mut store = Store::open(&path).unwrap();
        let setup = SetupInput { branch_id: common::BRANCH.into(), staff_label: format!("Л{p}"), event: None };
        store.setup(&setup, Now::system()).unwrap();
        let issuer = lgota_central::store::CodeIssuer::admin("admin");
        let code = service::devices::issue_code(db.as_ref(), common::BRANCH, &issuer, 60, &base).unwrap().code;
        let (device_id, server) = (store.device_id().to_owned(), base.clone());
        let token = tokio::task::spawn_blocking(move || {
            Client::new(&server, None).unwrap().enroll(&code, &device_id, None).unwrap().device_token
        })
        .await
        .unwrap();
        phones.push((Arc::new(Mutex::new(store)), path, token));
    }

    // The phones record and push round after round; the backup is taken in the middle of it.
    let backup = dir.path().join("backup.db");
    let (phones, check) = {
        let (base, db, backup) = (base.clone(), db.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            let check = std::thread::scope(|scope| {
                for (store, _, token) in &phones {
                    let base = base.clone();
                    scope.spawn(move || {
                        let mut client = Client::new(&base, Some(token.clone())).unwrap();
                        for _ in 0..ROUNDS {
                            record(store, PER_ROUND);
                            push_pending(store, &mut client, 10, |_, _| {}).unwrap();
                        }
                    });
                }
                let made = (PHONES * ROUNDS * PER_ROUND) as u64;
                while db.record_count().unwrap() < made / 3 {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                service::backup::backup(db.as_ref(), &Actor::cli(), &backup, false).unwrap()
            });
            (phones, check)
        })
        .await
        .unwrap()
    };
    let made = (PHONES * ROUNDS * PER_ROUND) as u64;
    assert!(check.ok(), "{check:?}");
    assert!(check.records < made, "taken while the phones pushed: {} of {made}", check.records);
    assert_eq!(db.record_count().unwrap(), made);
    assert_eq!(db.last_backup().unwrap().unwrap().records, check.records);

    // The server stops; the backup is put back.
    let _ = stop.send(());
    task.await.unwrap();
    drop(db);
    let restored = service::backup::restore(&live, &backup, &Actor::cli()).unwrap();
    let aside = restored.aside.expect("the database in place is kept");
    assert_eq!(inspect_file(&aside).unwrap().records, made, "the old database is kept whole");
    let now = inspect_file(&live).unwrap();
    assert!(now.ok() && now.ours, "{now:?}");
    assert_eq!(now.records, check.records);

    // Served again. The restored database is another server to the phones (a new identity):
    // a phone with nothing new to send learns it at its next sync and sends everything at the
    // one after; the others record once more and send everything at once.
    let (base, db, _stop, _task) = serve_file(&live).await;
    assert_eq!(db.audit_log(None, 1).unwrap()[0].action, "restore");
    let phones = tokio::task::spawn_blocking(move || {
        let trusted = lgota_domain::content::trusted_keys();
        for (i, (store, _, token)) in phones.iter().enumerate() {
            let mut client = Client::new(&base, Some(token.clone())).unwrap();
            if i == 0 {
                assert_eq!(store.lock().unwrap().pending_count().unwrap(), 0, "nothing new to send");
                sync_once(store, &mut client, &trusted, |_, _| {}).unwrap();
                assert!(store.lock().unwrap().pending_count().unwrap() > 0, "the new identity resets the outbox");
                sync_once(store, &mut client, &trusted, |_, _| {}).unwrap();
            } else {
                record(store, 1);
                let report = push_pending(store, &mut client, 100, |_, _| {}).unwrap();
                assert!(report.resent_all, "{report:?}");
            }
            assert_eq!(store.lock().unwrap().pending_count().unwrap(), 0);
        }
        phones
    })
    .await
    .unwrap();
    let mut union = HashSet::new();
    for (_, path, _) in &phones {
        union.extend(log_ids(path));
    }
    assert_eq!(union.len() as u64, made + PHONES as u64 - 1);
    assert_eq!(db.record_count().unwrap(), union.len() as u64, "every record the phones made, once");
    for id in &union {
        assert!(db.has_record(id).unwrap(), "record {id} lost");
    }
}

fn cli_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lgota-central"));
    command.arg("--db").arg(dir.join("central.db")).args(args).env_remove("LGOTA_CENTRAL_CONFIG").current_dir(dir);
    for var in ["LGOTA_CENTRAL_BACKUP_DIR", "LGOTA_CENTRAL_BACKUP_EVERY", "LGOTA_CENTRAL_BACKUP_KEEP"] {
        command.env_remove(var);
    }
    command
}

fn cli(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = cli_in(dir, args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// A server process, stopped (killed) when dropped; waits until it serves.
struct Serving(std::process::Child);

impl Serving {
    fn start(dir: &Path, args: &[&str]) -> Serving {
        let mut child = cli_in(dir, &[&["serve", "--listen", "127.0.0.1:0"], args].concat())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("lgota-central serving") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the server started");
        Serving(child)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn backup_refuses_to_overwrite_and_restore_refuses_what_is_no_database_of_ours() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = cli(d, &["backup", "copy.db"]);
    assert!(ok, "{err}");
    assert!(out.contains("Записей:  0") && out.contains("Проверка: ok") && out.contains("Размер:"), "{out}");
    std::fs::write(d.join("copy.db"), b"keep me").unwrap();
    let (ok, _, err) = cli(d, &["backup", "copy.db"]);
    assert!(!ok && err.contains("уже есть") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(d.join("copy.db")).unwrap(), b"keep me", "left as it was");
    let (ok, out, err) = cli(d, &["backup", "copy.db", "--force"]);
    assert!(ok && out.contains("Проверка: ok"), "{err}");
    assert!(inspect_file(&d.join("copy.db")).unwrap().ours);

    let before = std::fs::read(d.join("central.db")).unwrap();
    std::fs::write(d.join("notes.txt"), "не база данных").unwrap();
    let (ok, _, err) = cli(d, &["restore", "notes.txt"]);
    assert!(!ok && err.contains("не база данных SQLite"), "{err}");
    let other = rusqlite::Connection::open(d.join("other.db")).unwrap();
    other.execute_batch("CREATE TABLE records (id TEXT); INSERT INTO records VALUES ('x');").unwrap();
    drop(other);
    let (ok, _, err) = cli(d, &["restore", "other.db"]);
    assert!(!ok && err.contains("не база данных lgota-central"), "{err}");
    let (ok, _, err) = cli(d, &["restore", "missing.db"]);
    assert!(!ok && err.contains("нет файла"), "{err}");
    assert_eq!(std::fs::read(d.join("central.db")).unwrap(), before, "the database untouched");
    let names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.contains("before-restore")), "{names:?}");
}

#[test]
fn restore_refuses_while_a_server_serves_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(cli(d, &["backup", "copy.db"]).0);
    let server = Serving::start(d, &[]);
    let (ok, _, err) = cli(d, &["restore", "copy.db"]);
    assert!(!ok && err.contains("остановите службу"), "{err}");
    drop(server);
    let (ok, out, err) = cli(d, &["restore", "copy.db"]);
    assert!(ok, "{err}");
    assert!(out.contains("восстановлена") && out.contains("Прежняя база сохранена как"), "{out}");
    assert!(out.contains("новый идентификатор") && out.contains("пришлёт всё"), "{out}");
}

/// A file copied back by hand (not by `restore`) keeps the copy's identity, and phones would
/// not send again what it lacks: `restored` gives it a new one, which a server already serving
/// the file answers with within seconds (no restart).
#[test]
fn a_database_copied_back_by_hand_gets_a_new_identity_that_a_running_server_takes_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let serving = SqliteDatabase::open(d.join("central.db")).unwrap();
    let before = serving.server_id().unwrap();
    let (ok, out, err) = cli(d, &["restored"]);
    assert!(ok, "{err}");
    let after = SqliteDatabase::open(d.join("central.db")).unwrap().server_id().unwrap();
    assert!(after != before && out.contains(&after) && out.contains("пришлёт всё"), "{out}");
    std::thread::sleep(lgota_central::store::IDENTITY_FRESH + std::time::Duration::from_millis(200));
    assert_eq!(serving.server_id().unwrap(), after, "the running store reads the new identity");
    let audit = serving.audit_log(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.action == "restore" && e.detail.contains(&after)), "{audit:?}");
}

fn scheduled_copies(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lgota-central-2") && n.ends_with(".db"))
        .collect();
    names.sort();
    names
}

/// `backup_every` in seconds (`1s`) exists for this test; the service would use hours.
#[test]
fn scheduled_backups_keep_the_newest_n_and_nothing_else_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let copies = d.join("copies");
    std::fs::create_dir(&copies).unwrap();
    for other in ["notes.txt", "lgota-central-manual.db", "lgota-central-20200101-000000.db.bak"] {
        std::fs::write(copies.join(other), "чужой файл").unwrap();
    }
    let server =
        Serving::start(d, &["--backup-dir", copies.to_str().unwrap(), "--backup-every", "1s", "--backup-keep", "2"]);
    let db = SqliteDatabase::open(d.join("central.db")).unwrap();
    let made = || db.audit_log(None, 100).unwrap().iter().filter(|e| e.action == "backup").count();
    let started = std::time::Instant::now();
    while made() < 4 {
        assert!(started.elapsed().as_secs() < 60, "scheduled backups happen");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(server);
    let kept = scheduled_copies(&copies);
    assert_eq!(kept.len(), 2, "{kept:?}");
    for name in &kept {
        let check = inspect_file(&copies.join(name)).unwrap();
        assert!(check.ok() && check.ours, "{name}: {check:?}");
    }
    for other in ["notes.txt", "lgota-central-manual.db", "lgota-central-20200101-000000.db.bak"] {
        assert!(copies.join(other).exists(), "{other} left alone");
    }
    let last = db.last_backup().unwrap().unwrap();
    assert!(last.ok && last.file.ends_with(kept.last().unwrap()), "{last:?}");
    assert!(db.audit_log(None, 100).unwrap().iter().filter(|e| e.action == "backup").all(|e| e.login == "server"));
}

#[tokio::test]
async fn the_audit_page_shows_the_last_backup_in_the_institutions_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteDatabase::open(dir.path().join("central.db")).unwrap());
    service::reference::seed(db.as_ref()).unwrap();
    service::admins::add_admin(db.as_ref(), "admin", "admin", None, "верный пароль 123").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let tz = chrono_tz::Asia::Yekaterinburg;
    let dashboard = lgota_central::http::Dashboard::new(false, tz);
    let state = lgota_central::AppState::with_dashboard(db.clone() as Arc<dyn Database>, dashboard);
    tokio::spawn(lgota_central::serve_state(listener, state, std::future::pending()));
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser
        .post(format!("{base}/login"))
        .form(&[("login", "admin"), ("password", "верный пароль 123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let audit = || async { browser.get(format!("{base}/audit")).send().await.unwrap().text().await.unwrap() };
    assert!(audit().await.contains("Резервных копий ещё не было."));

    let file = dir.path().join("copy.db");
    service::backup::backup(db.as_ref(), &Actor::cli(), &file, false).unwrap();
    let at = db.last_backup().unwrap().unwrap().at_ms;
    let local = chrono::DateTime::from_timestamp_millis(at).unwrap().with_timezone(&tz).format("%d.%m.%Y %H:%M");
    let page = audit().await;
    assert!(
        page.contains(&format!("Последняя резервная копия: {local}, проверка целостности пройдена")),
        "{}",
        &page[page.find("id=\"backup\"").unwrap()..][..300]
    );
    assert!(page.contains("<code>backup</code>"));
}

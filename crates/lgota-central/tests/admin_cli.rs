//! `lgota-central admin add`: the password comes from stdin and is kept only as argon2id.

use std::io::Write;
use std::process::{Command, Stdio};

use lgota_central::store::{prelude::*, Role, SqliteDatabase};

fn add(db: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .arg("--db")
        .arg(db)
        .args(["admin", "add"])
        .args(args)
        .env_remove("LGOTA_CENTRAL_CONFIG")
        .current_dir(db.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refused command may exit before reading the password: a closed pipe is not a failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn admin_add_reads_the_password_from_stdin_and_stores_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("central.db");
    let (ok, out, err) = add(&db_path, &["--login", "metodist", "--role", "admin"], "длинный пароль 1\n");
    assert!(ok, "{err}");
    assert!(out.contains("Добавлен пользователь metodist"), "{out}");
    let (ok, _, err) =
        add(&db_path, &["--login", "head", "--role", "branch_head", "--branch", "branch-2"], "ещё один пароль\n");
    assert!(ok, "{err}");
    let (ok, _, err) = add(&db_path, &["--login", "x", "--role", "branch_head"], "ещё один пароль\n");
    assert!(!ok && err.contains("--branch"), "{err}");
    let (ok, _, err) = add(&db_path, &["--login", "x", "--role", "admin"], "short\n");
    assert!(!ok && err.contains("пароль"), "{err}");
    let (ok, _, _) = add(&db_path, &["--login", "x", "--role", "root"], "длинный пароль 1\n");
    assert!(!ok);

    let db = SqliteDatabase::open(&db_path).unwrap();
    let a = db.admin("metodist").unwrap().unwrap();
    assert!(a.password_hash.starts_with("$argon2id$") && !a.password_hash.contains("длинный"));
    assert!(lgota_central::service::admins::verify_password(&a.password_hash, "длинный пароль 1"));
    assert_eq!(a.role, Role::Admin);
    assert_eq!(db.admin("head").unwrap().unwrap().role, Role::BranchHead("branch-2".into()));
    assert!(db.admin("x").unwrap().is_none());
}

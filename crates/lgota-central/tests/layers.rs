//! The server's layers depend downward only (ARCHITECTURE.md, «Invariants»):
//! `http` → `service` → `store` / `report`, with `secrets` and `now_ms` shared leaves; only
//! `store/sqlite` names SQLite's driver and only `store/postgres` PostgreSQL's; nothing below `http` names axum or the templates.
//! This test reads the sources and fails naming the file and the path that breaks a rule.

use std::path::{Path, PathBuf};

/// A layer and what its files may name: crate modules (first path segment after `crate::`)
/// and the external crates it must not name.
struct Rule {
    layer: &'static str,
    may_name: &'static [&'static str],
    must_not_use: &'static [&'static str],
}

const DRIVERS: &[&str] = &["rusqlite", "rusqlite_migration", "postgres"];

fn rule(file: &Path) -> Option<Rule> {
    let rel = file.to_string_lossy().replace('\\', "/");
    let web_and_drivers: &'static [&'static str] =
        &["axum", "tower_http", "askama", "rusqlite", "rusqlite_migration", "postgres"];
    Some(if rel.starts_with("store/sqlite/") {
        Rule {
            layer: "store/sqlite",
            may_name: &["store", "report", "metrics"],
            must_not_use: &["axum", "tower_http", "askama", "postgres"],
        }
    } else if rel.starts_with("store/postgres/") {
        Rule {
            layer: "store/postgres",
            may_name: &["store", "report", "metrics"],
            must_not_use: &["axum", "tower_http", "askama", "rusqlite", "rusqlite_migration"],
        }
    } else if rel.starts_with("store/") {
        Rule { layer: "store", may_name: &["store", "report"], must_not_use: web_and_drivers }
    } else if rel.starts_with("report/") {
        Rule { layer: "report", may_name: &["report"], must_not_use: web_and_drivers }
    } else if rel.starts_with("service/") {
        Rule {
            layer: "service",
            may_name: &["service", "store", "report", "secrets", "metrics", "now_ms"],
            must_not_use: web_and_drivers,
        }
    } else if rel.starts_with("http/") {
        Rule {
            layer: "http",
            may_name: &["http", "service", "store", "report", "secrets", "settings", "metrics", "now_ms"],
            must_not_use: DRIVERS,
        }
    } else if rel == "metrics.rs" {
        Rule { layer: "metrics", may_name: &[], must_not_use: web_and_drivers }
    } else if rel == "secrets.rs" {
        Rule { layer: "secrets", may_name: &[], must_not_use: web_and_drivers }
    } else {
        return None;
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments (a doc comment may mention any module).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Every module named by `crate::x` or inside `crate::{x, y::z}`.
fn crate_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or_default().trim();
                if !first.is_empty() && first != "self" {
                    names.push(first.to_string());
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            names.push(name);
        }
    }
    names
}

fn names_crate(code: &str, krate: &str) -> bool {
    code.match_indices(krate).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = &code[i + krate.len()..];
        before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) && after.starts_with("::")
    })
}

/// The breaches of the layer rules among the files under `src`.
fn breaches(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut breaches = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let Some(rule) = rule(rel) else { continue };
        let code = code(&std::fs::read_to_string(&file).unwrap());
        for name in crate_names(&code) {
            if !rule.may_name.contains(&name.as_str()) {
                breaches.push(format!("{} ({}) names crate::{name}", rel.display(), rule.layer));
            }
        }
        for krate in rule.must_not_use {
            if names_crate(&code, krate) {
                breaches.push(format!("{} ({}) names {krate}", rel.display(), rule.layer));
            }
        }
    }
    breaches.sort();
    breaches.dedup();
    breaches
}

#[test]
fn lower_layers_never_name_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = breaches(&src);
    assert!(found.is_empty(), "layer rules broken (ARCHITECTURE.md, «Invariants»):\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_breach() {
    // A copy of the sources with a service naming the HTTP layer and the driver, and a report
    // naming the store: each is caught.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    for (path, text) in [
        ("service/bad.rs", "use crate::http::AppError;\nfn f() { let _ = rusqlite::Connection::open_in_memory(); }\n"),
        ("report/bad.rs", "use crate::{report::Names, store::RecordFilter};\n"),
        ("store/ok.rs", "// crate::http is only mentioned here\nuse crate::report::Overview;\n"),
        ("http/ok.rs", "use crate::service::{self, Kind};\nuse axum::Router;\n"),
        ("store/postgres/bad.rs", "use rusqlite::Connection;\nuse postgres::Client;\n"),
        ("store/sqlite/bad.rs", "fn f() { let _ = postgres::Config::new(); }\n"),
        ("store/bad.rs", "pub use self::postgres::PostgresDatabase;\nfn f(e: postgres::Error) {}\n"),
    ] {
        std::fs::create_dir_all(src.join(path).parent().unwrap()).unwrap();
        std::fs::write(src.join(path), text).unwrap();
    }
    assert_eq!(
        breaches(src),
        [
            "report/bad.rs (report) names crate::store",
            "service/bad.rs (service) names crate::http",
            "service/bad.rs (service) names rusqlite",
            "store/bad.rs (store) names postgres",
            "store/postgres/bad.rs (store/postgres) names rusqlite",
            "store/sqlite/bad.rs (store/sqlite) names postgres",
        ]
    );
}

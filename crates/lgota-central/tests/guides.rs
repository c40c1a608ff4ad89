//! The Russian guides (`docs/ru/`) stay true to the product. Their convention (docs/ru/README.md):
//! text in «ёлочки» outside code is a screen label of «Льгота» — it must appear in the phone's UI
//! (`ui/src`, tests aside) or the dashboard (`crates/lgota-central/templates`, `src/http`) — except
//! the outside names the regulation uses ([`OUTSIDE_NAMES`]); and every `lgota-central …` command
//! in code, with its flags, must be accepted by the binary's own help (`lgota-central … --help`).
//! docs/deploy.md (the installation guide, also in Russian) is held to the same.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Names of other applications and services in «…», as the regulation writes them, and our
/// product's name in its cases.
const OUTSIDE_NAMES: &[&str] = &[
    "Госуслуги",
    "Госкан",
    "Госкана",
    "Госкане",
    "Госканом",
    "Госкану",
    "МАХ",
    "Цифровой ID",
    "Цифрового ID",
    "Цифровым ID",
    "Подтвердить льготный статус гражданина",
    "Льгота",
    "Льготы",
    "Льготе",
    "Льготу",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The guides whose labels are checked.
fn guides() -> Vec<(String, String)> {
    ["docs/ru/librarian.md", "docs/ru/administrator.md", "docs/deploy.md"]
        .iter()
        .map(|p| (p.to_string(), std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))))
        .collect()
}

/// White space runs as one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A markdown text without its code (fenced blocks and inline spans), and the code apart: each
/// fenced line (continuations with `\` joined) and each inline span.
fn split_code(text: &str) -> (String, Vec<String>) {
    let (mut prose, mut code) = (String::new(), Vec::new());
    let mut fenced = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            pending.push_str(line.trim_end_matches('\\'));
            pending.push(' ');
            if !line.ends_with('\\') {
                code.push(std::mem::take(&mut pending));
            }
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    let mut text_only = String::new();
    for (i, piece) in prose.split('`').enumerate() {
        if i % 2 == 1 {
            code.push(piece.to_string());
        } else {
            text_only.push_str(piece);
        }
    }
    (text_only, code)
}

/// Every «…» of `text` (the innermost level: labels hold no guillemets).
fn labels(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match c {
            '«' => open = Some(i + c.len_utf8()),
            '»' => {
                if let Some(start) = open.take() {
                    out.push(squeeze(&text[start..i]));
                }
            }
            _ => {}
        }
    }
    out
}

fn ui_text() -> String {
    fn walk(dir: &Path, out: &mut String, keep: &dyn Fn(&Path) -> bool) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out, keep);
            } else if keep(&path) {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
                out.push('\n');
            }
        }
    }
    let mut all = String::new();
    let ui = |p: &Path| {
        let name = p.to_string_lossy();
        (name.ends_with(".svelte") || name.ends_with(".ts"))
            && !name.contains(".test.")
            && !name.contains("/test/")
            && !name.contains("/bindings/")
    };
    walk(&root().join("ui/src"), &mut all, &ui);
    walk(&root().join("crates/lgota-central/templates"), &mut all, &|p| p.extension().is_some_and(|e| e == "html"));
    walk(&root().join("crates/lgota-central/src/http"), &mut all, &|p| p.extension().is_some_and(|e| e == "rs"));
    squeeze(&all)
}

/// The labels of `guides` that no screen shows.
fn missing_labels(guides: &[(String, String)], ui: &str) -> Vec<String> {
    let mut missing = BTreeSet::new();
    for (file, text) in guides {
        let (prose, _) = split_code(text);
        for label in labels(&prose) {
            if !OUTSIDE_NAMES.contains(&label.as_str()) && !ui.contains(&label) {
                missing.insert(format!("{file}: «{label}»"));
            }
        }
    }
    missing.into_iter().collect()
}

/// Splits a command line into words, keeping "quoted text" together.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The `lgota-central` invocations of a code line or span: the words after the program, where
/// the program is the first word or follows `sudo -u lgota-central` (elsewhere the name is the
/// service's or the user's).
fn invocations(code: &str) -> Vec<Vec<String>> {
    let w = words(code);
    let mut found = Vec::new();
    for i in 0..w.len() {
        let program = w[i] == "lgota-central"
            && (i == 0 || (i >= 3 && w[i - 3] == "sudo" && w[i - 2] == "-u" && w[i - 1] == "lgota-central"));
        if program {
            found.push(
                w[i + 1..].iter().take_while(|t| !matches!(t.as_str(), "|" | "&&" | ";" | "#")).cloned().collect(),
            );
        }
    }
    found
}

/// The binary's help of a subcommand path.
fn help(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lgota-central"))
        .args(path)
        .arg("--help")
        .env_clear()
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "lgota-central {} --help: {}", path.join(" "), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Whether `help` lists option `name` (e.g. `--branch`), and whether it takes a value.
fn option(help: &str, name: &str) -> Option<bool> {
    help.lines().find_map(|l| {
        let l = l.trim_start();
        let l = l.strip_prefix("-h, ").unwrap_or(l);
        let rest = l.strip_prefix(name)?;
        match rest.chars().next() {
            None | Some(' ') | Some(',') => Some(rest.trim_start().starts_with('<')),
            _ => None,
        }
    })
}

/// What is wrong with one invocation (`args` after the program), if anything.
fn check_invocation(args: &[String]) -> Result<(), String> {
    let mut path: Vec<String> = Vec::new();
    let mut page = help(&path);
    let mut positional = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "…" || a == "..." {
            break;
        }
        if let Some(flag) = a.strip_prefix("--").map(|_| a.split('=').next().unwrap()) {
            match option(&page, flag) {
                None => return Err(format!("no option {flag} in `lgota-central {} --help`", path.join(" "))),
                Some(true) if !a.contains('=') => i += 1,
                Some(_) => {}
            }
        } else if !positional && !subcommands(&page).is_empty() {
            if !subcommands(&page).contains(a) {
                return Err(format!("no command «{a}» in `lgota-central {} --help`", path.join(" ")));
            }
            path.push(a.clone());
            page = help(&path);
        } else {
            positional = true;
        }
    }
    Ok(())
}

fn command_problems(docs: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, text) in docs {
        for code in split_code(text).1 {
            for args in invocations(&code) {
                if let Err(e) = check_invocation(&args) {
                    problems.push(format!("{file}: `lgota-central {}`: {e}", args.join(" ")));
                }
            }
        }
    }
    problems
}

#[test]
fn every_label_the_guides_quote_is_on_a_screen() {
    let guides = guides();
    let ui = ui_text();
    let quoted: usize = guides.iter().map(|(_, t)| labels(&split_code(t).0).len()).sum();
    assert!(quoted > 100, "the guides quote labels ({quoted})");
    let missing = missing_labels(&guides, &ui);
    assert!(missing.is_empty(), "labels no screen shows:\n{}", missing.join("\n"));
}

#[test]
fn a_label_that_is_nowhere_is_found_out() {
    let guide = vec![("test.md".to_string(), "Нажмите «Настройки» → «Кнопка, которой нет».".to_string())];
    assert_eq!(missing_labels(&guide, &ui_text()), ["test.md: «Кнопка, которой нет»"]);
    // Code is not prose: a name in a code block is not a label.
    let (prose, code) = split_code("текст `institution = \"«Имя»\"` и\n```toml\nx = «y»\n```\n");
    assert!(labels(&prose).is_empty() && code.len() == 2, "{prose} {code:?}");
}

#[test]
fn every_command_the_guides_name_exists() {
    let mut docs = guides();
    docs.push(("docs/ru/README.md".into(), std::fs::read_to_string(root().join("docs/ru/README.md")).unwrap()));
    let named: usize = docs.iter().flat_map(|(_, t)| split_code(t).1).map(|c| invocations(&c).len()).sum();
    assert!(named >= 15, "the guides name commands ({named})");
    let problems = command_problems(&docs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_command_or_flag_that_is_not_there_is_found_out() {
    let doc = |code: &str| vec![("test.md".to_string(), format!("Запустите `{code}`.\n"))];
    assert!(command_problems(&doc("lgota-central device enroll --branch КОД --ttl-minutes 60")).is_empty());
    assert!(command_problems(&doc("sudo systemctl restart lgota-central")).is_empty(), "the service, not the program");
    let wrong = command_problems(&doc("lgota-central device enrol --branch КОД"));
    assert!(wrong.len() == 1 && wrong[0].contains("no command «enrol»"), "{wrong:?}");
    let wrong = command_problems(&doc("sudo -u lgota-central lgota-central backup --fast x.db"));
    assert!(wrong.len() == 1 && wrong[0].contains("no option --fast"), "{wrong:?}");
}

//! The personal-data screen against realistic notes (`tests/corpus/`): every note holding a
//! citizen's personal data is refused (0 misses) and at most 2 % of the harmless ones are
//! (false alarms). The figures are printed (`cargo test -p lgota-domain --test screen_corpus --
//! --nocapture`).

use lgota_domain::screen::find_personal_data;
use lgota_domain::text::normalize;

fn notes(text: &'static str) -> Vec<&'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

#[test]
fn the_screen_misses_nothing_and_rarely_cries_wolf() {
    let personal = notes(include_str!("corpus/personal.txt"));
    let harmless = notes(include_str!("corpus/harmless.txt"));
    assert!(personal.len() >= 150 && harmless.len() >= 150, "the corpus holds at least 150 notes of each kind");

    let misses: Vec<&str> = personal.iter().copied().filter(|n| find_personal_data(&normalize(n)).is_none()).collect();
    let alarms: Vec<(&str, String)> = harmless
        .iter()
        .filter_map(|n| find_personal_data(&normalize(n)).map(|k| (*n, k.describe().to_string())))
        .collect();
    let rate = alarms.len() as f64 * 100.0 / harmless.len() as f64;
    println!(
        "screen corpus: {} notes with personal data, {} missed; {} harmless notes, {} false alarms ({rate:.1} %)",
        personal.len(),
        misses.len(),
        harmless.len(),
        alarms.len()
    );
    for m in &misses {
        println!("  missed: {m}");
    }
    for (a, kind) in &alarms {
        println!("  false alarm ({kind}): {a}");
    }
    assert!(misses.is_empty(), "missed: {misses:#?}");
    assert!(rate <= 2.0, "false alarms {rate:.1} % > 2 %: {alarms:#?}");
}

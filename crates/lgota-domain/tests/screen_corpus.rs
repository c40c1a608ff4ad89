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

#[test]
fn a_batch_admits_what_admit_admits() {
    // Each note of the corpus as a note and as a staff label, in batches that repeat texts, the
    // same texts again past the batch's memory: the same verdict as one record at a time.
    use lgota_domain::record::{admit, Batch};
    use lgota_protocol::{Method, Outcome, RecordKind, WireRecord};
    let record = |n: usize, label: &str, note: Option<&str>| WireRecord {
        id: format!("r-{n}"),
        kind: RecordKind::Check,
        created_at_ms: 1_767_225_600_000,
        utc_offset_min: 180,
        device_id: "d1".into(),
        branch_id: "b1".into(),
        event_id: None,
        staff_label: label.into(),
        training: false,
        method: Some(Method::Paper),
        outcome: Some(Outcome::PaperShown),
        granted: Some(true),
        category_id: None,
        failure_reason_id: None,
        document_type_id: None,
        checklist_completed: None,
        note: note.map(str::to_string),
        target_id: None,
        void_reason: None,
        event_title: None,
        event_date: None,
    };
    let texts: Vec<&str> = notes(include_str!("corpus/personal.txt"))
        .into_iter()
        .zip(notes(include_str!("corpus/harmless.txt")))
        .flat_map(|(a, b)| [a, b])
        .collect();
    let verdict = |r: lgota_domain::Result<WireRecord>| r.map_err(|e| e.to_string());
    let (mut refused, mut batch) = (0, Batch::default());
    for (n, text) in texts.iter().chain(&texts).enumerate() {
        if n % 100 == 0 {
            batch = Batch::default();
        }
        let short: String = text.chars().take(40).collect();
        for r in [record(n, "Иванова", Some(text)), record(n, &short, Some("ок")), record(n, &short, Some(text))]
        {
            let one = verdict(admit(r.clone()));
            refused += usize::from(one.is_err());
            assert_eq!(verdict(batch.admit(r)), one, "{text}");
        }
    }
    assert!(refused > 300, "the corpus's personal notes are refused: {refused}");
}

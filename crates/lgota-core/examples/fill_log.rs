//! Fills a phone's record log for `scripts/bench-startup.sh`: sets the app up (branch
//! «central», so it opens on the recording screen) and records N checks through the core API —
//! one committed transaction each, as the app does — spread over the year before now, today's
//! included.
//!
//! Run: `cargo run --release -p lgota-core --example fill_log -- PATH/lgota.db N`

use lgota_core::{CheckInput, Now, SetupInput, Store};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: fill_log PATH N");
    let n: i64 = args.next().map(|a| a.parse().expect("N is a number")).unwrap_or(0);
    let mut store = Store::open(&path).expect("open the log");
    let now = Now::system();
    store
        .setup(&SetupInput { branch_id: "central".into(), staff_label: "БЕНЧ".into(), event: None }, now)
        .expect("setup");
    let categories: Vec<String> = store.config().categories.iter().map(|c| c.id.clone()).collect();
    const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
    for i in 0..n {
        let at = now.plus_ms(-YEAR_MS + YEAR_MS * i / n.max(1));
        let category_id = categories[i as usize % categories.len()].clone();
        let input = match i % 3 {
            0 => CheckInput::DigitalIdConfirmed { category_id, note: None },
            1 => CheckInput::Paper {
                category_id: "student".into(),
                document_type_id: "student_card".into(),
                checklist_completed: true,
                accepted: true,
                note: None,
            },
            _ => CheckInput::Refused { category_id: None, note: None },
        };
        store.record_check(&input, at).expect("record");
    }
    println!("{path}: set up, {n} checks");
}

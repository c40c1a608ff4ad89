//! The store contract (`src/store/mod.rs`, «The contract»), one suite for every backend: each
//! guarantee is a function of a backend factory, and [`backend!`] instantiates all of them for
//! one backend. SQLite runs here on real files, PostgreSQL on a database of its own per test
//! (created on the server `LGOTA_TEST_POSTGRES_URL` names; without it those tests say so and
//! pass — `scripts/test.sh` always sets it).
//!
//! The expected figures are a direct count over what the test knows is stored (the records the
//! store answered `Stored`), never the store's own arithmetic.

use std::collections::BTreeMap;
use std::path::Path;

use lgota_central::report::{Overview, TrendCounts};
use lgota_central::store::prelude::*;
use lgota_central::store::{
    postgres, CodeIssuer, EnrollAttempt, PostgresDatabase, RecordFilter, SqliteDatabase, StoreError, StoreStatus,
    OFFLINE_AFTER_MS,
};
use lgota_protocol::{Method, Outcome, RecordKind, WireRecord};

/// Opens (creating if needed) the backend's database at `path`; the same path opens the same data.
type Open = fn(&Path) -> Box<dyn Database>;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2025-01-01 00:00 UTC.
const Y2025: i64 = 1_735_689_600_000;
/// The first millisecond of each UTC month of 2025, and 2026-01-01.
const MONTHS_2025: [i64; 13] = [
    1_735_689_600_000,
    1_738_368_000_000,
    1_740_787_200_000,
    1_743_465_600_000,
    1_746_057_600_000,
    1_748_736_000_000,
    1_751_328_000_000,
    1_754_006_400_000,
    1_756_684_800_000,
    1_759_276_800_000,
    1_761_955_200_000,
    1_764_547_200_000,
    1_767_225_600_000,
];

/// A small deterministic generator (the same records each run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Device → its branch.
const DEVICES: [(&str, &str); 4] = [("dev-a", "b1"), ("dev-b", "b1"), ("dev-c", "b2"), ("dev-d", "b3")];

fn check(rng: &mut Rng, n: &mut u32, created_at_ms: i64) -> WireRecord {
    *n += 1;
    let (device, branch) = *rng.pick(&DEVICES);
    let (method, outcome, granted) = *rng.pick(&[
        (Method::DigitalId, Outcome::Confirmed, true),
        (Method::Paper, Outcome::PaperShown, true),
        (Method::Paper, Outcome::PaperRejected, false),
        (Method::SvoQr, Outcome::Confirmed, true),
        (Method::None, Outcome::NoDocument, false),
        (Method::DigitalId, Outcome::Refused, false),
    ]);
    let event = rng.pick(&[None, None, Some("ev-1"), Some("ev-2"), Some("ev-3")]).map(str::to_string);
    WireRecord {
        id: format!("0190a0a0-0000-7000-8000-{:012}", *n),
        kind: RecordKind::Check,
        created_at_ms,
        utc_offset_min: 180,
        device_id: device.into(),
        branch_id: branch.into(),
        event_title: event.as_ref().map(|e| format!("Мероприятие {e}")),
        event_date: event.as_ref().map(|_| "2025-03-01".to_string()),
        event_id: event,
        staff_label: "Иванова".into(),
        training: rng.below(10) == 0,
        method: Some(method),
        outcome: Some(outcome),
        granted: Some(granted),
        category_id: rng.pick(&[None, Some("pensioner"), Some("student")]).map(str::to_string),
        failure_reason_id: if granted { None } else { rng.pick(&[None, Some("no_internet")]).map(str::to_string) },
        document_type_id: None,
        checklist_completed: None,
        note: None,
        target_id: None,
        void_reason: None,
    }
}

fn void_by(device: &str, target: &WireRecord, n: &mut u32, created_at_ms: i64) -> WireRecord {
    *n += 1;
    WireRecord {
        id: format!("0190a0a0-0000-7000-8000-{:012}", *n),
        kind: RecordKind::Void,
        created_at_ms,
        utc_offset_min: 180,
        device_id: device.into(),
        branch_id: target.branch_id.clone(),
        event_id: None,
        staff_label: "Иванова".into(),
        training: false,
        method: None,
        outcome: None,
        granted: None,
        category_id: None,
        failure_reason_id: None,
        document_type_id: None,
        checklist_completed: None,
        note: None,
        target_id: Some(target.id.clone()),
        void_reason: Some("Ошибочная запись".into()),
        event_title: None,
        event_date: None,
    }
}

fn void(target: &WireRecord, n: &mut u32, created_at_ms: i64) -> WireRecord {
    void_by(&target.device_id.clone(), target, n, created_at_ms)
}

/// What the test knows is stored: each record as first stored, with its receipt time.
#[derive(Default)]
struct Model {
    stored: BTreeMap<String, (WireRecord, i64)>,
}

impl Model {
    /// The status the contract says `r` gets, given what is stored (earlier records of the same
    /// batch included).
    fn expect(&self, r: &WireRecord) -> StoreStatus {
        if let (RecordKind::Void, Some(target)) = (r.kind, &r.target_id) {
            if let Some((t, _)) = self.stored.get(target) {
                if t.device_id != r.device_id {
                    return StoreStatus::VoidTargetForeign;
                }
                if t.kind != RecordKind::Check {
                    return StoreStatus::VoidTargetNotCheck;
                }
            }
        }
        match self.stored.get(&r.id) {
            None => StoreStatus::Stored,
            Some((s, _)) if *s == WireRecord { event_title: None, event_date: None, ..r.clone() } => {
                StoreStatus::Duplicate
            }
            Some(_) => StoreStatus::Conflict,
        }
    }

    /// Stores a batch, checks every status against the contract, and notes what was stored.
    fn store(&mut self, db: &dyn Database, batch: &[WireRecord], received_at_ms: i64) {
        let mut expected = Vec::new();
        for r in batch {
            let status = self.expect(r);
            if status == StoreStatus::Stored {
                let kept = WireRecord { event_title: None, event_date: None, ..r.clone() };
                self.stored.insert(r.id.clone(), (kept, received_at_ms));
            }
            expected.push(status);
        }
        let outcome = db.store_records(batch, received_at_ms).expect("store");
        assert_eq!(outcome.statuses, expected, "statuses");
        let count = |s: StoreStatus| expected.iter().filter(|e| **e == s).count() as u32;
        assert_eq!(
            (outcome.stored, outcome.duplicates, outcome.conflicts),
            (count(StoreStatus::Stored), count(StoreStatus::Duplicate), count(StoreStatus::Conflict))
        );
    }

    fn voided(&self, check: &WireRecord) -> bool {
        self.stored.values().any(|(v, _)| {
            v.kind == RecordKind::Void
                && v.target_id.as_deref() == Some(check.id.as_str())
                && v.device_id == check.device_id
        })
    }

    fn offline(&self, r: &WireRecord) -> bool {
        self.stored[&r.id].1 - r.created_at_ms > OFFLINE_AFTER_MS
    }

    /// Checks matching `f` (every check: training and voided ones too), as the export lists them.
    fn matching<'a>(&'a self, f: &'a RecordFilter) -> impl Iterator<Item = &'a WireRecord> + 'a {
        self.stored.values().map(|(r, _)| r).filter(move |r| {
            let text = |want: &Option<String>, have: &Option<String>| match want.as_deref() {
                None => true,
                Some("") => have.is_none(),
                Some(w) => have.as_deref() == Some(w),
            };
            r.kind == RecordKind::Check
                && f.from_ms <= r.created_at_ms
                && r.created_at_ms < f.to_ms
                && f.branch_id.as_ref().is_none_or(|b| *b == r.branch_id)
                && text(&f.category_id, &r.category_id)
                && text(&f.event_id, &r.event_id)
                && f.method.is_none_or(|m| r.method == Some(m))
                && f.outcome.is_none_or(|o| r.outcome == Some(o))
                && f.failure_reason_id.as_ref().is_none_or(|x| r.failure_reason_id.as_ref() == Some(x))
                && f.granted.is_none_or(|g| r.granted == Some(g))
                && f.offline.is_none_or(|o| self.offline(r) == o)
                && f.kind.as_ref().is_none_or(|k| {
                    k.age_check == r.category_id.as_ref().is_some_and(|c| k.age_category_ids.contains(c))
                })
        })
    }

    /// The valid checks (not training, not voided from their device) matching `f`.
    fn valid<'a>(&'a self, f: &'a RecordFilter) -> impl Iterator<Item = &'a WireRecord> + 'a {
        self.matching(f).filter(|r| !r.training && !self.voided(r))
    }
}

type Counts = BTreeMap<String, u64>;

fn tally<'a>(records: impl Iterator<Item = &'a WireRecord>, key: impl Fn(&WireRecord) -> Option<String>) -> Counts {
    let mut out = Counts::new();
    for r in records {
        if let Some(k) = key(r) {
            *out.entry(k).or_default() += 1;
        }
    }
    out
}

fn as_map(list: &[(String, u64)]) -> Counts {
    let map: Counts = list.iter().cloned().collect();
    assert_eq!(map.len(), list.len(), "a key twice: {list:?}");
    map
}

/// Every figure of `f` against a direct count over the model.
fn assert_figures(db: &dyn Database, model: &Model, f: &RecordFilter, what: &str) {
    let valid: Vec<&WireRecord> = model.valid(f).collect();
    let o: Overview = db.overview(f).expect("overview");
    assert_eq!(o.total, valid.len() as u64, "{what}: total");
    let granted = valid.iter().filter(|r| r.granted == Some(true)).count() as u64;
    assert_eq!((o.granted, o.refused), (granted, o.total - granted), "{what}: granted/refused");
    let it = || valid.iter().copied();
    // Granted checks by category add up to the granted ones: the dashboard splits them into
    // benefits and age checks with the configuration.
    assert_eq!(
        as_map(&o.granted_by_category),
        tally(it().filter(|r| r.granted == Some(true)), |r| Some(r.category_id.clone().unwrap_or_default())),
        "{what}: granted by category"
    );
    assert_eq!(o.granted_by_category.iter().map(|(_, n)| n).sum::<u64>(), o.granted);
    assert_eq!(as_map(&o.by_branch), tally(it(), |r| Some(r.branch_id.clone())), "{what}: by branch");
    assert_eq!(as_map(&o.by_method), tally(it(), |r| r.method.map(|m| m.as_str().into())), "{what}: by method");
    assert_eq!(as_map(&o.by_outcome), tally(it(), |r| r.outcome.map(|m| m.as_str().into())), "{what}: by outcome");
    assert_eq!(
        as_map(&o.by_category),
        tally(it(), |r| Some(r.category_id.clone().unwrap_or_default())),
        "{what}: by category"
    );
    assert_eq!(as_map(&o.by_failure_reason), tally(it(), |r| r.failure_reason_id.clone()), "{what}: by reason");
    assert_eq!(
        as_map(&o.by_event),
        tally(it(), |r| Some(r.event_id.clone().unwrap_or_default())),
        "{what}: by event (fewer events than the overview names)"
    );
    assert_eq!(o.more_events, 0);

    assert_eq!(db.check_count(f).expect("count"), o.total, "{what}: check_count");

    // The records page: exactly the valid checks, newest first; and page by page the same.
    let mut expected: Vec<(i64, String)> = valid.iter().map(|r| (r.created_at_ms, r.id.clone())).collect();
    expected.sort_by(|a, b| b.cmp(a));
    let all = db.checks_page(f, None, 100_000).expect("page");
    assert_eq!(all.iter().map(|s| (s.record.created_at_ms, s.record.id.clone())).collect::<Vec<_>>(), expected);
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = db.checks_page(f, before.as_ref(), 37).expect("page");
        if page.is_empty() {
            break;
        }
        before = page.last().map(|s| (s.record.created_at_ms, s.record.id.clone()));
        paged.extend(page.into_iter().map(|s| (s.record.created_at_ms, s.record.id)));
    }
    assert_eq!(paged, expected, "{what}: keyset pages");

    // The trend: buckets of 9 days and 7 hours from before the period to after it.
    let buckets: Vec<(i64, i64)> = (0..)
        .map(|i| f.from_ms - DAY + i * (9 * DAY + 7 * HOUR))
        .take_while(|a| *a < f.to_ms + DAY)
        .map(|a| (a, a + 9 * DAY + 7 * HOUR))
        .collect();
    let trend = db.trend(f, &buckets).expect("trend");
    assert_eq!(trend.len(), buckets.len());
    for (t, (a, b)) in trend.iter().zip(&buckets) {
        let inside: Vec<&&WireRecord> =
            valid.iter().filter(|r| *a <= r.created_at_ms && r.created_at_ms < *b).collect();
        let method = |m: Method| inside.iter().filter(|r| r.method == Some(m)).count() as u64;
        let expected = TrendCounts {
            checks: inside.len() as u64,
            digital_id: method(Method::DigitalId),
            paper: method(Method::Paper),
        };
        assert_eq!(*t, expected, "{what}: trend bucket [{a}, {b})");
    }

    // The monthly summary of 2025 (UTC months), per month and branch.
    let months: Vec<(u32, i64, i64)> = (0..12).map(|m| (m as u32 + 1, MONTHS_2025[m], MONTHS_2025[m + 1])).collect();
    let summary = db.monthly_summary(f, &months).expect("summary");
    let mut expected = BTreeMap::new();
    let mut granted_by_category: BTreeMap<(u32, String, String), u64> = BTreeMap::new();
    for r in &valid {
        let Some(m) = months.iter().find(|m| m.1 <= r.created_at_ms && r.created_at_ms < m.2) else { continue };
        let e: &mut (u64, u64, u64, u64) = expected.entry((m.0, r.branch_id.clone())).or_default();
        e.0 += 1;
        e.1 += u64::from(r.method == Some(Method::DigitalId));
        e.2 += u64::from(r.method == Some(Method::Paper));
        e.3 += u64::from(r.granted == Some(true));
        if r.granted == Some(true) {
            *granted_by_category
                .entry((m.0, r.branch_id.clone(), r.category_id.clone().unwrap_or_default()))
                .or_default() += 1u64;
        }
    }
    let got_by_category: BTreeMap<(u32, String, String), u64> = summary
        .iter()
        .flat_map(|s| s.granted_by_category.iter().map(move |(c, n)| ((s.month, s.branch_id.clone(), c.clone()), *n)))
        .collect();
    assert_eq!(got_by_category, granted_by_category, "{what}: monthly summary, granted by category");
    let got: BTreeMap<(u32, String), (u64, u64, u64, u64)> = summary
        .iter()
        .map(|s| {
            assert_eq!(s.granted + s.refused, s.checks);
            ((s.month, s.branch_id.clone()), (s.checks, s.digital_id, s.paper, s.granted))
        })
        .collect();
    assert_eq!(got.len(), summary.len(), "{what}: a month and branch twice");
    assert_eq!(got, expected, "{what}: monthly summary");
    let ordered: Vec<_> = summary.iter().map(|s| (s.month, s.branch_id.clone())).collect();
    assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{what}: ordered by month, then branch");

    // The export: the period's checks (voided and training ones too) with their voided flag.
    let export = db.export_records(f, None).expect("export");
    let got: BTreeMap<String, bool> = export
        .iter()
        .filter(|(s, _)| s.record.kind == RecordKind::Check)
        .map(|(s, v)| (s.record.id.clone(), *v))
        .collect();
    let expected: BTreeMap<String, bool> = model.matching(f).map(|r| (r.id.clone(), model.voided(r))).collect();
    assert_eq!(got, expected, "{what}: export");
}

/// `kind=age_check` (`true`) or `kind=benefit` with these age-check categories.
fn age(age_check: bool, ids: &[&str]) -> lgota_central::store::KindFilter {
    lgota_central::store::KindFilter { age_check, age_category_ids: ids.iter().map(|s| s.to_string()).collect() }
}

/// The filters the figures are checked with: periods with even and uneven ends, and each field.
fn filters() -> Vec<(String, RecordFilter)> {
    let year = RecordFilter { from_ms: Y2025, to_ms: MONTHS_2025[12], ..Default::default() };
    // Moscow's months are UTC's three hours early; odd periods start and end inside days.
    let moscow_q1 = RecordFilter { from_ms: Y2025 - 3 * HOUR, to_ms: MONTHS_2025[3] - 3 * HOUR, ..Default::default() };
    let odd = RecordFilter {
        from_ms: Y2025 + 14 * DAY + 13 * HOUR + 37,
        to_ms: MONTHS_2025[2] + 2 * DAY + 2 * HOUR,
        ..Default::default()
    };
    let one_day = RecordFilter { from_ms: MONTHS_2025[1], to_ms: MONTHS_2025[1] + DAY, ..Default::default() };
    let empty = RecordFilter { from_ms: Y2025 + 5, to_ms: Y2025 + 5, ..Default::default() };
    let mut out = vec![
        ("the year".to_string(), year.clone()),
        ("Moscow's first quarter".into(), moscow_q1.clone()),
        ("an odd period".into(), odd.clone()),
        ("one UTC day".into(), one_day),
        ("an empty period".into(), empty),
    ];
    for (name, base) in [("year", &year), ("odd", &odd), ("moscow", &moscow_q1)] {
        let with = |what: &str, f: RecordFilter| (format!("{name}, {what}"), f);
        out.extend([
            with("branch b1", RecordFilter { branch_id: Some("b1".into()), ..base.clone() }),
            with("no category", RecordFilter { category_id: Some(String::new()), ..base.clone() }),
            with("category student", RecordFilter { category_id: Some("student".into()), ..base.clone() }),
            with("no event", RecordFilter { event_id: Some(String::new()), ..base.clone() }),
            with("event ev-1", RecordFilter { event_id: Some("ev-1".into()), ..base.clone() }),
            with("paper", RecordFilter { method: Some(Method::Paper), ..base.clone() }),
            with("refused", RecordFilter { outcome: Some(Outcome::Refused), ..base.clone() }),
            with("no internet", RecordFilter { failure_reason_id: Some("no_internet".into()), ..base.clone() }),
            with("not granted", RecordFilter { granted: Some(false), ..base.clone() }),
            with("offline", RecordFilter { offline: Some(true), ..base.clone() }),
            // Age checks and benefits (those without a category among them) part the checks.
            with("age checks", RecordFilter { kind: Some(age(true, &["student"])), ..base.clone() }),
            with("benefits", RecordFilter { kind: Some(age(false, &["student", "pensioner"])), ..base.clone() }),
            with("no age-check category", RecordFilter { kind: Some(age(true, &[])), ..base.clone() }),
            with(
                "granted benefits",
                RecordFilter { kind: Some(age(false, &["student"])), granted: Some(true), ..base.clone() },
            ),
            with(
                "b2, at no event, online, granted",
                RecordFilter {
                    branch_id: Some("b2".into()),
                    event_id: Some(String::new()),
                    offline: Some(false),
                    granted: Some(true),
                    ..base.clone()
                },
            ),
        ]);
    }
    out
}

/// A year of checks, most of them near month and day boundaries, in batches received a few
/// minutes to hours after their newest record, with every kind of trouble mixed in.
fn mixed_history(db: &dyn Database, model: &mut Model) {
    let mut rng = Rng(2025);
    let mut n = 0;
    let mut checks = Vec::new();
    for i in 0..600 {
        let month = MONTHS_2025[(i % 12) as usize];
        let at = match rng.below(4) {
            // Around the month's start: the hours UTC and Moscow disagree on.
            0 => month - 5 * HOUR + rng.below(10 * HOUR as u64) as i64,
            1 => month + rng.below(40) as i64 * DAY / 2 + 1,
            _ => month + rng.below(28 * DAY as u64) as i64,
        };
        checks.push(check(&mut rng, &mut n, at));
    }
    checks.sort_by_key(|r| r.created_at_ms);
    let batches: Vec<Vec<WireRecord>> = checks.chunks(25).map(<[WireRecord]>::to_vec).collect();
    let received = |batch: &[WireRecord], rng: &mut Rng| {
        batch.iter().map(|r| r.created_at_ms).max().unwrap_or(Y2025) + rng.below(30 * 60_000) as i64
    };

    // A void that arrives before its check (import order), and one of another device that
    // arrives before its target: the first makes the check not count, the second is inert.
    let early = &batches[3][4];
    let inert_target = &batches[3][5];
    let inert_device = DEVICES.iter().map(|d| d.0).find(|d| *d != inert_target.device_id).unwrap();
    let early_voids = [
        void(early, &mut n, early.created_at_ms + 1),
        void_by(inert_device, inert_target, &mut n, early.created_at_ms + 2),
    ];
    model.store(db, &early_voids, early.created_at_ms + 3);

    for (i, batch) in batches.iter().enumerate() {
        let at = received(batch, &mut rng);
        model.store(db, batch, at);
        // Now and then, in the next batch: voids of own checks (some twice), a void of another
        // device's check, a void of a void, a re-sent batch (its event titles changed: not
        // compared), and a conflicting re-send of a check.
        let mut extra = Vec::new();
        let voided: Vec<&WireRecord> = batch.iter().filter(|r| r.id != inert_target.id && rng.below(6) == 0).collect();
        for r in voided {
            let v = void(r, &mut n, r.created_at_ms + HOUR);
            if rng.below(3) == 0 {
                extra.push(void(r, &mut n, r.created_at_ms + 2 * HOUR));
            }
            extra.push(v);
        }
        if i % 5 == 1 {
            let target = &batch[0];
            let other = DEVICES.iter().map(|d| d.0).find(|d| *d != target.device_id).unwrap();
            extra.push(void_by(other, target, &mut n, target.created_at_ms + HOUR));
        }
        if i % 7 == 2 {
            if let Some(v) = model.stored.values().map(|(r, _)| r).find(|r| r.kind == RecordKind::Void).cloned() {
                extra.push(void(&v, &mut n, v.created_at_ms + HOUR));
            }
        }
        if i % 4 == 3 {
            let mut again = batches[i - 1].clone();
            for r in again.iter_mut().filter(|r| r.event_title.is_some()) {
                r.event_title = Some("Другое название".into());
            }
            extra.extend(again);
        }
        if i % 6 == 4 {
            let mut changed = batch[1].clone();
            changed.granted = changed.granted.map(|g| !g);
            changed.outcome = Some(if changed.granted == Some(true) { Outcome::Confirmed } else { Outcome::Refused });
            extra.push(changed);
        }
        if !extra.is_empty() {
            let at = received(&extra, &mut rng).max(at);
            model.store(db, &extra, at);
        }
    }
    // The mix really has every case.
    let stored = model.stored.values().map(|(r, _)| r);
    assert!(stored.clone().filter(|r| r.training).count() > 20);
    assert!(stored.clone().filter(|r| r.kind == RecordKind::Void).count() > 50);
    assert!(model.voided(early));
    assert!(!model.voided(inert_target));
    assert!(stored.clone().filter(|r| model.offline(r)).count() > 20);
}

// ——— the guarantees, one function each ———

/// Contract 3, 4, 5: after a mix of checks, voids (early, twice, foreign, of voids), duplicate
/// and conflicting re-sends and training checks, every figure of every filter equals a direct
/// count over the stored records.
pub fn figures_equal_a_direct_count(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let mut model = Model::default();
    mixed_history(db.as_ref(), &mut model);
    assert_eq!(db.record_count().unwrap(), model.stored.len() as u64);
    for (what, f) in filters() {
        assert_figures(db.as_ref(), &model, &f, &what);
    }
    // The figures survive a reopen (nothing kept only in memory).
    drop(db);
    let db = open(&dir.path().join("store.db"));
    assert_figures(db.as_ref(), &model, &filters()[0].1, "the year, reopened");
}

/// Contract 1: the same batch stored twice is all duplicates the second time and changes no
/// figure; the event's title and date are not compared.
pub fn the_same_batch_twice_changes_nothing(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let mut model = Model::default();
    let (mut rng, mut n) = (Rng(7), 0);
    let mut batch: Vec<WireRecord> = (0..40).map(|i| check(&mut rng, &mut n, Y2025 + i * 7 * HOUR)).collect();
    let voids: Vec<WireRecord> = batch.iter().step_by(5).map(|r| void(r, &mut n, r.created_at_ms + 1)).collect();
    batch.extend(voids);
    let year = &filters()[0].1;
    model.store(db.as_ref(), &batch, Y2025 + 20 * DAY);
    let before = (db.overview(year).unwrap(), db.record_count().unwrap(), db.check_count(year).unwrap());
    for r in batch.iter_mut() {
        r.event_title = r.event_title.as_ref().map(|t| format!("{t} (иначе)"));
    }
    let again = db.store_records(&batch, Y2025 + 30 * DAY).unwrap();
    assert_eq!((again.stored, again.duplicates, again.conflicts), (0, batch.len() as u32, 0));
    assert!(again.statuses.iter().all(|s| *s == StoreStatus::Duplicate));
    assert_eq!((db.overview(year).unwrap(), db.record_count().unwrap(), db.check_count(year).unwrap()), before);
    assert_figures(db.as_ref(), &model, year, "after the batch twice");
    // The first receipt time stands (the offline flag is not recomputed).
    let first = db.record(&batch[0].id).unwrap().unwrap();
    assert_eq!(first.received_at_ms, Y2025 + 20 * DAY);
    // A check first stored without its event's title (an older phone), sent again with it: a
    // duplicate all the same, and the event is named then.
    let mut late = check(&mut rng, &mut n, Y2025 + 3 * DAY);
    late.event_id = Some("ev-late".into());
    late.event_title = None;
    late.event_date = None;
    model.store(db.as_ref(), std::slice::from_ref(&late), Y2025 + 31 * DAY);
    assert!(!db.phone_events(100).unwrap().iter().any(|e| e.id == "ev-late"));
    assert_eq!(db.phone_event("ev-late").unwrap(), None);
    late.event_title = Some("Вечер поэзии".into());
    late.event_date = Some("2025-01-04".into());
    let again = db.store_records(std::slice::from_ref(&late), Y2025 + 32 * DAY).unwrap();
    assert_eq!(again.statuses, [StoreStatus::Duplicate]);
    let named = db.phone_events(100).unwrap();
    assert!(named.iter().any(|e| e.id == "ev-late" && e.title == "Вечер поэзии"), "{named:?}");
    let one = db.phone_event("ev-late").unwrap().expect("named");
    assert_eq!((one.title.as_str(), one.date.as_str(), one.branch_id), ("Вечер поэзии", "2025-01-04", late.branch_id));
}

/// Contract 1: the same id with other content is kept aside, never counted, and the stored
/// version is unchanged.
pub fn conflicts_are_kept_aside_and_not_counted(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let mut model = Model::default();
    let (mut rng, mut n) = (Rng(11), 0);
    let mut original = check(&mut rng, &mut n, Y2025 + DAY);
    original.training = false;
    original.method = Some(Method::Paper);
    original.outcome = Some(Outcome::PaperShown);
    original.granted = Some(true);
    (original.event_title, original.event_date) = (None, None);
    model.store(db.as_ref(), std::slice::from_ref(&original), Y2025 + DAY + 60_000);
    let mut other = original.clone();
    other.method = Some(Method::DigitalId);
    other.outcome = Some(Outcome::Confirmed);
    let out = db.store_records(&[other.clone(), other.clone()], Y2025 + 2 * DAY).unwrap();
    assert_eq!(out.statuses, [StoreStatus::Conflict, StoreStatus::Conflict]);
    assert_eq!(db.record(&original.id).unwrap().unwrap().record, original);
    let conflicts = db.conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1, "the same later version is kept once");
    assert_eq!(conflicts[0].arrived, other);
    assert_eq!(conflicts[0].stored.as_ref().map(|s| &s.record), Some(&original));
    let year = &filters()[0].1;
    let o = db.overview(year).unwrap();
    assert_eq!((o.total, o.by_method.clone()), (1, vec![("paper".to_string(), 1)]));
    assert_figures(db.as_ref(), &model, year, "after conflicts");
}

/// Contract 2: a batch with a record the store refuses is stored not at all.
pub fn a_batch_is_stored_whole_or_not_at_all(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let (mut rng, mut n) = (Rng(13), 0);
    let good: Vec<WireRecord> = (0..5).map(|i| check(&mut rng, &mut n, Y2025 + i * HOUR)).collect();
    let mut bad = check(&mut rng, &mut n, Y2025 + 9 * HOUR);
    bad.method = None; // a check needs a method
    let mut batch = good.clone();
    batch.insert(3, bad);
    let err = db.store_records(&batch, Y2025 + DAY).unwrap_err();
    assert!(matches!(err, StoreError::Constraint(_)), "{err:?}");
    assert_eq!(db.record_count().unwrap(), 0);
    assert!(good.iter().all(|r| !db.has_record(&r.id).unwrap()));
    let year = &filters()[0].1;
    assert_eq!(db.overview(year).unwrap(), Overview::default());
    // The good ones alone are stored, once.
    let mut model = Model::default();
    model.store(db.as_ref(), &good, Y2025 + DAY);
    assert_figures(db.as_ref(), &model, year, "after the good batch");
}

/// Contract 2 under concurrency: batches stored at once from many threads (a backend may commit
/// them together) are each stored whole or not at all, and each answers for itself.
pub fn concurrent_batches_each_whole_or_nothing(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db: std::sync::Arc<dyn Database> = open(&dir.path().join("store.db")).into();
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let (mut rng, mut n) = (Rng(100 + t), (t as u32) * 10_000);
                let (mut stored, mut refused) = (Vec::new(), Vec::new());
                for b in 0..15 {
                    let mut batch: Vec<WireRecord> =
                        (0..20).map(|i| check(&mut rng, &mut n, Y2025 + (b * 20 + i) * HOUR)).collect();
                    if b % 3 == 1 {
                        batch[7].method = None; // refused by the backend: the whole batch fails
                        assert!(db.store_records(&batch, Y2025 + 30 * DAY).is_err());
                        refused.extend(batch);
                    } else {
                        let outcome = db.store_records(&batch, Y2025 + 30 * DAY).unwrap();
                        assert_eq!(outcome.statuses, vec![StoreStatus::Stored; batch.len()]);
                        stored.extend(batch);
                    }
                }
                (stored, refused)
            })
        })
        .collect();
    let (mut stored, mut refused) = (Vec::new(), Vec::new());
    for t in threads {
        let (s, r) = t.join().unwrap();
        stored.extend(s);
        refused.extend(r);
    }
    assert_eq!(db.record_count().unwrap(), stored.len() as u64);
    assert!(stored.iter().all(|r| db.has_record(&r.id).unwrap()));
    assert!(refused.iter().all(|r| !db.has_record(&r.id).unwrap()), "nothing of a refused batch");
    let valid = stored.iter().filter(|r| r.kind == RecordKind::Check && !r.training).count() as u64;
    assert_eq!(db.check_count(&filters()[0].1).unwrap(), valid, "the counts kept agree with the records");
}

/// Contract 3, 4: training checks never count, a void counts down once and only from the
/// check's device, a void of a void is refused.
pub fn voids_and_training(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let mut model = Model::default();
    let (mut rng, mut n) = (Rng(17), 0);
    let mut checks: Vec<WireRecord> = (0..6).map(|i| check(&mut rng, &mut n, Y2025 + 3 * DAY + i * HOUR)).collect();
    for c in &mut checks {
        c.training = false;
    }
    checks[5].training = true;
    let year = &filters()[0].1;
    model.store(db.as_ref(), &checks, Y2025 + 4 * DAY);
    assert_eq!(db.check_count(year).unwrap(), 5, "the training check is not counted");
    let v = void(&checks[0], &mut n, Y2025 + 4 * DAY);
    model.store(db.as_ref(), &[v.clone(), void(&checks[0], &mut n, Y2025 + 4 * DAY)], Y2025 + 4 * DAY + 1);
    assert_eq!(db.check_count(year).unwrap(), 4, "two voids of one check count it down once");
    model.store(db.as_ref(), &[void(&checks[0], &mut n, Y2025 + 4 * DAY)], Y2025 + 4 * DAY + 1);
    assert_eq!(db.check_count(year).unwrap(), 4, "nor does a third in a later batch");
    let other = DEVICES.iter().map(|d| d.0).find(|d| *d != checks[1].device_id).unwrap();
    model.store(db.as_ref(), &[void_by(other, &checks[1], &mut n, Y2025 + 4 * DAY)], Y2025 + 4 * DAY + 2);
    assert_eq!(db.check_count(year).unwrap(), 4, "another device's void is refused");
    model.store(db.as_ref(), &[void(&v, &mut n, Y2025 + 4 * DAY)], Y2025 + 4 * DAY + 3);
    model.store(db.as_ref(), &[void(&checks[5], &mut n, Y2025 + 4 * DAY)], Y2025 + 4 * DAY + 4);
    assert_eq!(db.check_count(year).unwrap(), 4, "a void of a training check counts nothing down");
    assert_figures(db.as_ref(), &model, year, "voids and training");
}

/// Contract 8: the identity is the same at every open of the same database, and another
/// database has another.
pub fn identity_is_kept(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let first = open(&dir.path().join("a.db")).server_id().unwrap();
    assert!(!first.is_empty());
    assert_eq!(open(&dir.path().join("a.db")).server_id().unwrap(), first);
    assert_ne!(open(&dir.path().join("b.db")).server_id().unwrap(), first);
}

/// A disabled or removed user has no session at once; the last enabled administrator stays.
pub fn disabling_ends_sessions_and_keeps_an_administrator(open: Open) {
    use lgota_central::store::{Admin, AdminChange, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    let user = |login: &str, role: Role| Admin {
        login: login.into(),
        password_hash: "x".into(),
        role,
        disabled: false,
        records: false,
    };
    db.put_admin(&user("a", Role::Admin), 1).unwrap();
    db.put_admin(&user("b", Role::Admin), 1).unwrap();
    db.create_session("s-b", "b", "csrf", 1, 1_000).unwrap();
    assert!(db.session("s-b", 2).unwrap().is_some());
    assert_eq!(db.set_admin_disabled("b", true, 2).unwrap(), AdminChange::Done);
    assert!(db.session("s-b", 3).unwrap().is_none(), "ended at once");
    assert!(db.admin("b").unwrap().unwrap().disabled);
    assert_eq!(db.set_admin_disabled("b", true, 3).unwrap(), AdminChange::Unchanged);
    assert_eq!(db.set_admin_disabled("a", true, 3).unwrap(), AdminChange::LastAdmin);
    assert_eq!(db.remove_admin("a").unwrap(), AdminChange::LastAdmin);
    assert_eq!(db.set_admin_disabled("b", false, 4).unwrap(), AdminChange::Done);
    db.create_session("s-a", "a", "csrf", 4, 1_000).unwrap();
    assert_eq!(db.remove_admin("a").unwrap(), AdminChange::Done);
    assert!(db.session("s-a", 5).unwrap().is_none() && db.admin("a").unwrap().is_none());
    assert_eq!(db.remove_admin("a").unwrap(), AdminChange::NotFound);
    assert_eq!(db.admins().unwrap().iter().map(|a| a.login.as_str()).collect::<Vec<_>>(), ["b"]);
}

/// A branch head's records grant: only a branch head has one; replacing the user with the same
/// role and branch keeps it, another branch loses it.
pub fn records_access_is_a_branch_heads_grant(open: Open) {
    use lgota_central::store::{Admin, AdminChange, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    db.add_branches(&[("b1".into(), "Один".into()), ("b2".into(), "Два".into())]).unwrap();
    let user = |login: &str, role: Role| Admin {
        login: login.into(),
        password_hash: "x".into(),
        role,
        disabled: false,
        records: false,
    };
    db.put_admin(&user("a", Role::Admin), 1).unwrap();
    db.put_admin(&user("o", Role::Observer), 1).unwrap();
    db.put_admin(&user("h", Role::BranchHead("b1".into())), 1).unwrap();
    assert_eq!(db.admin("o").unwrap().unwrap().role, Role::Observer);
    assert!(!db.admin("h").unwrap().unwrap().records, "no grant by default");
    assert_eq!(db.set_records_access("a", true).unwrap(), AdminChange::NotApplicable);
    assert_eq!(db.set_records_access("o", true).unwrap(), AdminChange::NotApplicable);
    assert_eq!(db.set_records_access("x", true).unwrap(), AdminChange::NotFound);
    assert_eq!(db.set_records_access("h", true).unwrap(), AdminChange::Done);
    assert_eq!(db.set_records_access("h", true).unwrap(), AdminChange::Unchanged);
    assert!(db.admin("h").unwrap().unwrap().sees_records());
    db.put_admin(&user("h", Role::BranchHead("b1".into())), 2).unwrap();
    assert!(db.admin("h").unwrap().unwrap().records, "the same role and branch keep it");
    db.put_admin(&user("h", Role::BranchHead("b2".into())), 3).unwrap();
    assert!(!db.admin("h").unwrap().unwrap().records, "another branch loses it");
    assert!(!db.admin("o").unwrap().unwrap().sees_records() && db.admin("a").unwrap().unwrap().sees_records());
}

/// Contract 6, 9: a redaction empties one field and nothing else, and the old text arriving
/// again is a duplicate; a purge removes a year all or nothing, keeps the voids of earlier
/// years' checks, and changes no figure; a record of a purged year is acknowledged, not stored.
pub fn retention_changes_no_figure(open: Open) {
    use lgota_central::store::{PurgeOutcome, PurgedYear, RedactField, RedactOutcome};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    let mut model = Model::default();
    let y2023 = Y2025 - 731 * DAY;
    let y2024 = Y2025 - 366 * DAY;
    let (mut rng, mut n) = (Rng(29), 0);
    let at = |base: i64, i: i64| base + (i % 300) * DAY + 9 * HOUR + i * 60_000;
    let old: Vec<WireRecord> = (0..5).map(|i| check(&mut rng, &mut n, at(y2023, i * 40))).collect();
    let mid: Vec<WireRecord> = (0..30).map(|i| check(&mut rng, &mut n, at(y2024, i * 9))).collect();
    let new: Vec<WireRecord> = (0..30).map(|i| check(&mut rng, &mut n, at(Y2025, i * 9))).collect();
    let mut batch = [old.clone(), mid.clone(), new.clone()].concat();
    batch.iter_mut().for_each(|r| r.training = false);
    model.store(db.as_ref(), &batch, Y2025 + 340 * DAY);
    let (old, mid) = (&batch[..5], &batch[5..35]);
    // Voids: made in 2024 of a 2023 check (kept by the purge), in 2025 of a 2024 check.
    let v_old = void(&old[0], &mut n, at(y2024, 100));
    let v_mid = void(&mid[0], &mut n, at(Y2025, 5));
    model.store(db.as_ref(), &[v_old.clone(), v_mid.clone()], Y2025 + 341 * DAY);
    let years =
        [y2023, y2024, Y2025].map(|from| RecordFilter { from_ms: from, to_ms: from + 365 * DAY, ..Default::default() });
    let figures = |db: &dyn Database| {
        years.clone().map(|f| {
            (
                db.overview(&f).unwrap(),
                db.check_count(&f).unwrap(),
                db.monthly_summary(&f, &[(1, f.from_ms, f.from_ms + 31 * DAY)]).unwrap(),
            )
        })
    };
    for f in &years {
        assert_figures(db.as_ref(), &model, f, "before");
    }
    let before = figures(db.as_ref());

    // Redaction.
    let target = &mid[3];
    let RedactOutcome::Done(r) =
        db.redact_record(&target.id, RedactField::StaffLabel, 5, "admin", "cli:x", "причина").unwrap()
    else {
        panic!("redacted");
    };
    assert_eq!(
        (r.record_id.as_str(), r.field, r.reason.as_str()),
        (target.id.as_str(), RedactField::StaffLabel, "причина")
    );
    let after = db.record(&target.id).unwrap().unwrap().record;
    assert_eq!(after, WireRecord { staff_label: String::new(), event_title: None, event_date: None, ..target.clone() });
    assert_eq!(db.redactions(Some(&target.id), 10).unwrap(), vec![r]);
    let again = db.store_records(std::slice::from_ref(target), Y2025 + 342 * DAY).unwrap();
    assert_eq!(again.statuses, vec![StoreStatus::Duplicate]);
    assert!(db.conflicts(10).unwrap().is_empty());
    assert_eq!(figures(db.as_ref()), before, "a redaction changes no figure");

    // Purge of 2024: refused while one record is missing from the archive, then done.
    let (from_ms, to_ms) = (y2024, Y2025);
    let mut ids: std::collections::HashSet<String> = model
        .stored
        .values()
        .filter(|(r, _)| (from_ms..to_ms).contains(&r.created_at_ms))
        .map(|(r, _)| r.id.clone())
        .collect();
    assert_eq!(ids.len(), 31);
    let year = PurgedYear {
        year: 2024,
        from_ms,
        to_ms,
        records: 0,
        archive_sha256: "ab".repeat(32),
        at_ms: 7,
        login: "cli:x".into(),
    };
    ids.remove(&mid[1].id);
    assert_eq!(db.purge_year(&year, &ids).unwrap(), PurgeOutcome::NotArchived { missing: 1 });
    assert!(db.has_record(&mid[2].id).unwrap(), "nothing removed");
    ids.insert(mid[1].id.clone());
    assert_eq!(db.purge_year(&year, &ids).unwrap(), PurgeOutcome::Purged { records: 30, conflicts: 0, voids_kept: 1 });
    assert!(
        db.has_record(&v_old.id).unwrap() && db.has_record(&old[0].id).unwrap() && db.has_record(&v_mid.id).unwrap()
    );
    assert!(!db.has_record(&mid[0].id).unwrap());
    assert_eq!(figures(db.as_ref()), before, "a purge changes no figure of any year");
    assert_eq!(db.purge_year(&year, &ids).unwrap(), PurgeOutcome::AlreadyPurged);
    let purged = db.purged_years().unwrap();
    assert_eq!((purged.len(), purged[0].year, purged[0].records), (1, 2024, 30));
    let again = db.store_records(&[mid[5].clone()], Y2025 + 343 * DAY).unwrap();
    assert_eq!(again.statuses, vec![StoreStatus::Duplicate]);
    assert!(!db.has_record(&mid[5].id).unwrap());
    assert_eq!(figures(db.as_ref()), before);
}

/// 9. Training results: once by id (duplicate, conflict: the first stays), newest first, by
///    branch, never a record or a figure.
pub fn training_results_once_by_id_never_a_figure(open: Open) {
    use lgota_protocol::WireTrainingResult;
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    let result = |id: &str, branch: &str, at: i64| WireTrainingResult {
        id: id.into(),
        device_id: "dev-a".into(),
        branch_id: branch.into(),
        staff_label: "ИП".into(),
        scenario_id: "did-success".into(),
        scenario_title: "Цифровой ID подтверждён".into(),
        content_version: 1,
        completed_at_ms: at,
        utc_offset_min: 180,
        steps: 3,
        correct_first_try: 2,
    };
    let batch = [result("t1", "b1", Y2025), result("t2", "b2", Y2025 + DAY), result("t3", "b1", Y2025 + 2 * DAY)];
    assert_eq!(db.store_training(&batch, Y2025 + 3 * DAY).unwrap(), [StoreStatus::Stored; 3]);
    assert_eq!(db.store_training(&batch, Y2025 + 4 * DAY).unwrap(), [StoreStatus::Duplicate; 3], "idempotent");
    let other = WireTrainingResult { correct_first_try: 0, ..result("t1", "b1", Y2025) };
    assert_eq!(db.store_training(&[other], Y2025 + 4 * DAY).unwrap(), [StoreStatus::Conflict]);
    let all = db.training_results(None, 10).unwrap();
    assert_eq!(all.iter().map(|t| t.result.id.as_str()).collect::<Vec<_>>(), ["t3", "t2", "t1"]);
    assert_eq!(all[2].result, batch[0], "the first version stays");
    assert_eq!(all[2].received_at_ms, Y2025 + 3 * DAY);
    let b1 = db.training_results(Some("b1"), 10).unwrap();
    assert_eq!(b1.iter().map(|t| t.result.id.as_str()).collect::<Vec<_>>(), ["t3", "t1"]);
    assert_eq!(db.training_results(None, 1).unwrap().len(), 1);
    assert_eq!(db.record_count().unwrap(), 0);
    let year = RecordFilter { from_ms: Y2025, to_ms: MONTHS_2025[12], ..RecordFilter::default() };
    assert_eq!(db.check_count(&year).unwrap(), 0);
}

/// A phone's report of itself: none until the first, then replaced whole by each (also in the
/// list of devices); a report for an unknown device changes nothing.
pub fn device_report_is_replaced_whole(open: Open) {
    use lgota_central::store::{CodeIssuer, DeviceReport, EnrollAttempt, EnrollOutcome};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    db.add_branches(&[("b1".into(), "Один".into())]).unwrap();
    db.insert_enrollment_code("code-sha", "b1", &CodeIssuer::admin("admin"), 1, i64::MAX / 2).unwrap();
    let attempt = EnrollAttempt {
        code_sha256: "code-sha",
        device_id: "dev-a",
        secret_sha256: None,
        token_sha256: "t",
        now_ms: 2,
    };
    assert!(matches!(db.enroll(&attempt).unwrap(), EnrollOutcome::Enrolled { .. }));
    assert_eq!(db.device("dev-a").unwrap().unwrap().report, None, "none before the first report");
    let first = DeviceReport {
        at_ms: 10,
        app_version: Some("0.2.0".into()),
        config_version: 3,
        content_version: 4,
        pin_set: Some(true),
        idle_seconds: Some(120),
        policy_kept: Some(true),
        pack_refusal: Some("content_signature".into()),
        pack_refusal_at_ms: Some(9),
    };
    db.note_report("dev-a", &first).unwrap();
    assert_eq!(db.device("dev-a").unwrap().unwrap().report.as_ref(), Some(&first));
    let second = DeviceReport { at_ms: 20, config_version: 5, ..DeviceReport::default() };
    db.note_report("dev-a", &second).unwrap();
    assert_eq!(db.device("dev-a").unwrap().unwrap().report.as_ref(), Some(&second), "replaced whole");
    assert_eq!(db.devices().unwrap()[0].report.as_ref(), Some(&second));
    assert_eq!(db.device_by_token("t").unwrap().unwrap().report.as_ref(), Some(&second));
    db.note_report("nobody", &first).unwrap();
    assert_eq!(db.devices().unwrap().len(), 1);
}

/// App releases: numbered in order, listed newest first, only the two newest keep their file.
pub fn app_releases_keep_the_two_newest_files(open: Open) {
    use lgota_central::store::AppRelease;
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    assert!(db.app_releases(10).unwrap().is_empty());
    assert_eq!(db.app_apk(1).unwrap(), None);
    let release = |version: &str, at: i64, bytes: usize| AppRelease {
        seq: 0,
        version: version.into(),
        sha256: format!("{:064x}", at),
        bytes: bytes as u64,
        uploaded_at_ms: at,
        login: "admin".into(),
        kept: true,
    };
    // Every byte value, so nothing on the way treats the file as text.
    let file = |n: usize, salt: u8| (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt)).collect::<Vec<u8>>();
    let mut seqs = Vec::new();
    for (i, version) in ["0.1.0", "0.2.0", "0.3.0"].iter().enumerate() {
        let apk = file(1000 + i * 7, i as u8);
        seqs.push(db.add_app_release(&release(version, 100 + i as i64, apk.len()), &apk).unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let listed = db.app_releases(10).unwrap();
    assert_eq!(listed.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["0.3.0", "0.2.0", "0.1.0"]);
    assert_eq!(listed.iter().map(|r| r.kept).collect::<Vec<_>>(), [true, true, false]);
    assert_eq!(listed[0], AppRelease { seq: seqs[2], ..release("0.3.0", 102, 1014) });
    assert_eq!(db.app_apk(seqs[2]).unwrap(), Some(file(1014, 2)));
    assert_eq!(db.app_apk(seqs[1]).unwrap(), Some(file(1007, 1)));
    assert_eq!(db.app_apk(seqs[0]).unwrap(), None, "the oldest file let go");
    assert_eq!(db.app_releases(1).unwrap().len(), 1);
}

/// Contract 6: a redaction reaches the conflicting versions kept aside (two that become the
/// same: one stays), and arriving again with either old text is a duplicate.
pub fn a_redaction_reaches_the_conflicting_versions(open: Open) {
    use lgota_central::store::{RedactField, RedactOutcome};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    let (mut rng, mut n) = (Rng(41), 0);
    let mut first = check(&mut rng, &mut n, Y2025 + DAY);
    first.training = false;
    first.note = Some("первый текст".into());
    let other = |note: &str| WireRecord { note: Some(note.into()), ..first.clone() };
    db.store_records(std::slice::from_ref(&first), Y2025 + DAY).unwrap();
    let statuses = db.store_records(&[other("второй"), other("третий")], Y2025 + 2 * DAY).unwrap().statuses;
    assert_eq!(statuses, [StoreStatus::Conflict, StoreStatus::Conflict]);
    assert_eq!(db.conflicts(10).unwrap().len(), 2);
    let RedactOutcome::Done(_) = db.redact_record(&first.id, RedactField::Note, 5, "admin", "cli:x", "ФИО").unwrap()
    else {
        panic!("redacted")
    };
    let conflicts = db.conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1, "the two versions became one: {conflicts:?}");
    assert_eq!(conflicts[0].arrived.note, None);
    assert_eq!(conflicts[0].stored.as_ref().unwrap().record.note, None);
    let again = db.store_records(&[first.clone(), other("второй")], Y2025 + 3 * DAY).unwrap().statuses;
    assert_eq!(again, [StoreStatus::Duplicate, StoreStatus::Duplicate]);
    assert_eq!(db.conflicts(10).unwrap().len(), 1);
    assert_eq!(db.redactions(None, 10).unwrap().len(), 1);
    assert_eq!(db.redactions(Some("другая"), 10).unwrap(), vec![]);
}

/// The audit log's retention: old entries of the named actions blanked (once: a second pass
/// changes nothing), newer ones and other actions untouched; entries before a moment removed.
pub fn the_audit_log_is_blanked_and_trimmed_by_age_only(open: Open) {
    use lgota_central::store::AuditBlank;
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    for (at, login, action, detail) in [
        (10, "anna", "signin", "Вход с адреса 203.0.113.7"),
        (20, "кто-то", "signin.failed", "Неудачный вход с адреса 203.0.113.8"),
        (30, "anna", "device.revoke", "Устройство dev-a отключено"),
        (40, "boris", "signin", "Вход с адреса 203.0.113.9"),
    ] {
        db.audit(at, login, action, detail).unwrap();
    }
    let blanks = [
        AuditBlank { action: "signin".into(), detail: "адрес удалён".into(), login: None },
        AuditBlank {
            action: "signin.failed".into(), detail: "адрес удалён".into(), login: Some("—".into())
        },
    ];
    assert_eq!(db.blank_audit(35, &blanks).unwrap(), 2);
    assert_eq!(db.blank_audit(35, &blanks).unwrap(), 0, "already blanked");
    let log = |db: &dyn Database| {
        let mut entries = db.audit_log(None, 10).unwrap();
        entries.reverse();
        entries.into_iter().map(|e| (e.at_ms, e.login, e.action, e.detail)).collect::<Vec<_>>()
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        log(db.as_ref()),
        [
            (10, s("anna"), s("signin"), s("адрес удалён")),
            (20, s("—"), s("signin.failed"), s("адрес удалён")),
            (30, s("anna"), s("device.revoke"), s("Устройство dev-a отключено")),
            (40, s("boris"), s("signin"), s("Вход с адреса 203.0.113.9")),
        ]
    );
    assert_eq!(db.delete_audit_before(30).unwrap(), 2);
    assert_eq!(db.delete_audit_before(30).unwrap(), 0);
    assert_eq!(log(db.as_ref()).iter().map(|e| e.0).collect::<Vec<_>>(), [30, 40]);
    db.audit(50, "anna", "signin", "Вход").unwrap();
    assert_eq!(log(db.as_ref()).len(), 3, "the log goes on");
}

/// The observer: stored and read back with no branch and no records grant.
pub fn an_observer_is_stored_without_branch_or_records(open: Open) {
    use lgota_central::store::{Admin, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("contract.db"));
    let observer =
        Admin { login: "o".into(), password_hash: "x".into(), role: Role::Observer, disabled: false, records: true };
    assert!(db.put_admin(&observer, 1).unwrap());
    let stored = db.admin("o").unwrap().unwrap();
    assert_eq!((stored.sees_records(), stored.records, stored.role), (false, false, Role::Observer));
    db.create_session("s", "o", "c", 1, 100).unwrap();
    assert_eq!(db.session("s", 2).unwrap().map(|(a, csrf)| (a.role, csrf)), Some((Role::Observer, "c".into())));
}

/// The retention pass's end of the back-off: keys whose last failure is old and whose wait is
/// over are dropped; a key still waiting or failed since stays.
pub fn old_sign_in_backoff_is_forgotten(open: Open) {
    use lgota_central::service::admins::{BACKOFF, FREE_FAILURES};
    use lgota_central::store::Reservation;
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("store.db"));
    let waiting = ["login:anna".to_string(), "ip:10.0.0.1".to_string()];
    for _ in 0..=FREE_FAILURES {
        assert!(matches!(db.reserve_sign_in(&waiting, 1_000, &BACKOFF).unwrap(), Reservation::Reserved(_)));
    }
    let Reservation::Wait(wait) = db.reserve_sign_in(&waiting, 1_000, &BACKOFF).unwrap() else { panic!("waits") };
    let once = ["ip:10.0.0.2".to_string()];
    assert!(matches!(db.reserve_sign_in(&once, 1_000, &BACKOFF).unwrap(), Reservation::Reserved(_)));
    assert_eq!(db.forget_sign_ins(1_000).unwrap(), 0, "nothing before the moment");
    assert_eq!(db.forget_sign_ins(1_001).unwrap(), 1, "only the key that does not wait");
    assert_eq!(db.reserve_sign_in(&waiting, 1_000, &BACKOFF).unwrap(), Reservation::Wait(wait), "still waits");
    assert_eq!(db.forget_sign_ins(1_000 + wait + 1).unwrap(), 2);
    let Reservation::Reserved(fresh) = db.reserve_sign_in(&waiting, 1_000 + wait + 2, &BACKOFF).unwrap() else {
        panic!("forgotten")
    };
    assert_eq!(fresh.iter().map(|k| k.failures).collect::<Vec<_>>(), [1, 1]);
}

/// The PostgreSQL server of the tests, if one is given.
fn postgres_url() -> Option<String> {
    let url = std::env::var("LGOTA_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("LGOTA_TEST_POSTGRES_URL is not set: the PostgreSQL contract tests do nothing");
    }
    url
}

/// A database of its own for each path (named by a hash of it: the same path, the same data).
fn open_postgres(path: &Path) -> Box<dyn Database> {
    use std::hash::{Hash, Hasher};
    let server = postgres_url().expect("LGOTA_TEST_POSTGRES_URL");
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hash);
    let url = postgres::create_database(&server, &format!("lgota_contract_{:016x}", hash.finish())).expect("create");
    Box::new(PostgresDatabase::open(&url).expect("open the PostgreSQL database"))
}

/// Contract 9: the sign-in back-off is the database's — a second handle on the same database
/// (another server process) sees every wait the first one counted, and a success forgives for
/// both.
pub fn sign_in_backoff_is_shared(open: Open) {
    use lgota_central::service::admins::{BACKOFF, FREE_FAILURES};
    use lgota_central::store::Reservation;
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (open(&dir.path().join("store.db")), open(&dir.path().join("store.db")));
    let keys = ["login:anna".to_string(), "ip:10.0.0.1".to_string()];
    let reserve = |db: &dyn Database, keys: &[String], at: i64| db.reserve_sign_in(keys, at, &BACKOFF).unwrap();
    // Attempts sent at once, alternating between the two: the free ones and one more pass.
    let passed: Vec<_> = (0..10)
        .filter_map(|i| match reserve(if i % 2 == 0 { one.as_ref() } else { two.as_ref() }, &keys, 1_000) {
            Reservation::Reserved(r) => Some(r),
            Reservation::Wait(_) => None,
        })
        .collect();
    assert_eq!(passed.len(), FREE_FAILURES as usize + 1);
    assert_eq!(reserve(two.as_ref(), &keys[..1], 1_999), Reservation::Wait(1));
    assert_eq!(reserve(one.as_ref(), &["ip:10.0.0.1".to_string()], 1_500), Reservation::Wait(500));
    let Reservation::Reserved(next) = reserve(two.as_ref(), &keys, 2_000) else { panic!("after the wait") };
    assert_eq!(next.iter().map(|k| k.failures).collect::<Vec<_>>(), [5, 5]);
    assert_eq!(reserve(one.as_ref(), &keys, 3_999), Reservation::Wait(1), "then 2 s");
    // A success forgives the login (for both) and takes this attempt back from the address, which
    // keeps its earlier failures.
    one.forgive_sign_in(&next, true).unwrap();
    let failures = |r: Reservation| match r {
        Reservation::Reserved(keys) => keys[0].failures,
        Reservation::Wait(ms) => panic!("waits {ms} ms"),
    };
    assert_eq!(failures(reserve(two.as_ref(), &keys[..1], 2_000)), 1);
    assert_eq!(failures(reserve(two.as_ref(), &keys[1..], 2_000)), 5);
    // An attempt not checked is taken back whole: no wait grows from it.
    let other = ["login:boris".to_string(), "ip:10.0.0.2".to_string()];
    for _ in 0..20 {
        let Reservation::Reserved(r) = reserve(one.as_ref(), &other, 5) else { panic!("taken back each time") };
        two.forgive_sign_in(&r, false).unwrap();
    }
    // Forgotten after a while.
    assert!(matches!(reserve(one.as_ref(), &keys, 2_000 + BACKOFF.memory_ms + 60_000), Reservation::Reserved(_)));
}

/// A phone's export-signing key (issue 17): none until registered; a sync's registration only
/// fills an empty place, an enrollment's replaces; an unknown device registers nothing.
pub fn signing_keys_register_once_and_enrollment_replaces(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("keys.db"));
    db.add_branches(&[("b1".into(), "Один".into())]).unwrap();
    db.insert_enrollment_code("c".repeat(64).as_str(), "b1", &CodeIssuer::admin("a"), 0, i64::MAX).unwrap();
    let attempt = EnrollAttempt {
        code_sha256: &"c".repeat(64),
        device_id: "p1",
        secret_sha256: None,
        token_sha256: "t1",
        now_ms: 1,
    };
    assert!(matches!(db.enroll(&attempt).unwrap(), lgota_central::store::EnrollOutcome::Enrolled { .. }));
    assert_eq!(db.signing_key("p1").unwrap(), None);
    let marked = |db: &dyn Database| {
        (db.device("p1").unwrap().unwrap().has_signing_key, db.devices().unwrap()[0].has_signing_key)
    };
    assert_eq!(marked(db.as_ref()), (false, false), "«Устройства» reads the mark with the device");
    assert!(db.set_signing_key("p1", "key-a", 2, false).unwrap(), "a sync fills an empty place");
    assert_eq!(marked(db.as_ref()), (true, true));
    assert!(!db.set_signing_key("p1", "key-b", 3, false).unwrap(), "a sync never replaces");
    assert_eq!(db.signing_key("p1").unwrap().as_deref(), Some("key-a"));
    assert!(!db.set_signing_key("p1", "key-a", 4, true).unwrap(), "the same key again changes nothing");
    assert!(db.set_signing_key("p1", "key-b", 5, true).unwrap(), "an enrollment replaces");
    assert_eq!(db.signing_key("p1").unwrap().as_deref(), Some("key-b"));
    assert!(!db.set_signing_key("nobody", "key-c", 6, true).unwrap());
    assert_eq!(db.signing_key("nobody").unwrap(), None);
}

macro_rules! backend {
    ($name:ident, $open:expr, $available:expr, [$($case:ident),* $(,)?]) => {
        mod $name {
            use super::*;

            const OPEN: Open = $open;

            fn available() -> bool {
                $available
            }

            $(
                #[test]
                fn $case() {
                    if !available() {
                        return;
                    }
                    super::$case(OPEN);
                }
            )*
        }
    };
}

/// Every guarantee, for each backend.
macro_rules! every_case {
    ($name:ident, $open:expr, $available:expr) => {
        backend!(
            $name,
            $open,
            $available,
            [
                figures_equal_a_direct_count,
                the_same_batch_twice_changes_nothing,
                conflicts_are_kept_aside_and_not_counted,
                a_batch_is_stored_whole_or_not_at_all,
                concurrent_batches_each_whole_or_nothing,
                voids_and_training,
                identity_is_kept,
                sign_in_backoff_is_shared,
                disabling_ends_sessions_and_keeps_an_administrator,
                records_access_is_a_branch_heads_grant,
                retention_changes_no_figure,
                training_results_once_by_id_never_a_figure,
                device_report_is_replaced_whole,
                app_releases_keep_the_two_newest_files,
                a_redaction_reaches_the_conflicting_versions,
                the_audit_log_is_blanked_and_trimmed_by_age_only,
                an_observer_is_stored_without_branch_or_records,
                old_sign_in_backoff_is_forgotten,
                signing_keys_register_once_and_enrollment_replaces,
            ]
        );
    };
}

every_case!(sqlite, |path| Box::new(SqliteDatabase::open(path).expect("open the SQLite database")), true);
every_case!(postgresql, open_postgres, postgres_url().is_some());

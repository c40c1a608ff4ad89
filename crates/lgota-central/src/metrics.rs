//! The server's counters for `/metrics` (Prometheus text format 0.0.4): requests by route and
//! status, records by what became of them, push latency, the wait for a database connection.
//! A leaf every layer may record into; nothing here names a request, a record's content or a
//! person — only routes (their patterns, never the paths with ids), statuses and stable codes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Observations at most `BUCKETS[i]`, not cumulative.
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, n) in BUCKETS.iter().zip(self.counts) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Registry {
    /// (route pattern, status) → requests.
    requests: BTreeMap<(String, u16), u64>,
    /// (result, code) → records; code is empty unless refused.
    records: BTreeMap<(&'static str, String), u64>,
    push: Histogram,
    /// "read" / "write" → the wait for a connection.
    pool_wait: BTreeMap<&'static str, Histogram>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// A request answered: `route` is the matched pattern (`/api/v1/records`, `/events/{id}`), or
/// `unmatched` for a path no route serves.
pub fn request(route: &str, status: u16) {
    *registry().requests.entry((route.to_string(), status)).or_default() += 1;
}

/// What became of the records of a push or an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordResult {
    Stored,
    Duplicate,
    Conflict,
    Refused,
}

impl RecordResult {
    fn label(self) -> &'static str {
        match self {
            RecordResult::Stored => "stored",
            RecordResult::Duplicate => "duplicate",
            RecordResult::Conflict => "conflict",
            RecordResult::Refused => "refused",
        }
    }
}

/// `n` records with `result` (and, refused, the stable code of why).
pub fn records(result: RecordResult, code: &str, n: u64) {
    if n > 0 {
        *registry().records.entry((result.label(), code.to_string())).or_default() += n;
    }
}

/// How long a phone's push took, from the request to the answer.
pub fn push_latency(d: Duration) {
    registry().push.observe(d.as_secs_f64());
}

/// How long a store call waited for a database connection (`"read"` or `"write"`).
pub fn pool_wait(pool: &'static str, d: Duration) {
    registry().pool_wait.entry(pool).or_default().observe(d.as_secs_f64());
}

static IN_FLIGHT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A request being served, from `enter` until dropped.
pub struct InFlight(());

impl InFlight {
    pub fn enter() -> InFlight {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Requests being served now.
pub fn in_flight() -> u64 {
    IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Gauges read when `/metrics` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// When the server's last backup was taken (UTC milliseconds), if ever.
    pub last_backup_ms: Option<i64>,
    /// Whether backups are the server's own (SQLite): on PostgreSQL its own tools make them,
    /// and there is no backup gauge (it would read «never» for ever).
    pub file_backups: bool,
    /// Records stored in the database, as last counted ([`RecordCount`]).
    pub records_in_database: Option<u64>,
    /// Requests being served now.
    pub in_flight: u64,
}

/// How old a count of the records `/metrics` shows may be.
pub const RECORDS_COUNTED_EVERY: Duration = Duration::from_secs(300);

/// `lgota_records_in_database` of one database, counted at most every [`RECORDS_COUNTED_EVERY`]
/// by one caller at a time: counting every record reads the whole table (1.2–1.8 s at
/// 10,000,000 records on either store, over 10 s from a cold cache), too much for every scrape.
#[derive(Debug)]
pub struct RecordCount {
    state: Mutex<CountState>,
    every: Duration,
}

impl Default for RecordCount {
    fn default() -> RecordCount {
        RecordCount::every(RECORDS_COUNTED_EVERY)
    }
}

#[derive(Debug, Default)]
struct CountState {
    last: Option<(Instant, u64)>,
    counting: bool,
}

impl RecordCount {
    /// Counted again when the last count is `every` old.
    pub fn every(every: Duration) -> RecordCount {
        RecordCount { state: Mutex::default(), every }
    }

    /// The last count, and whether the caller is to count now (none yet or too old, and nobody
    /// counting): it then reports with [`RecordCount::counted`].
    pub fn read(&self) -> (Option<u64>, bool) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let due = state.last.is_none_or(|(at, _)| at.elapsed() >= self.every);
        let count_now = due && !state.counting;
        state.counting |= count_now;
        (state.last.map(|(_, n)| n), count_now)
    }

    /// The count just taken (`None`: it failed, the last one stays).
    pub fn counted(&self, n: Option<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.counting = false;
        if let Some(n) = n {
            state.last = Some((Instant::now(), n));
        }
    }
}

/// Label values are routes and codes of our own, but escape them anyway.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Everything, in the Prometheus text format.
pub fn render(gauges: &Gauges) -> String {
    let r = registry();
    let mut out = String::new();
    out.push_str("# HELP lgota_http_requests_total Requests answered, by route pattern and status.\n");
    out.push_str("# TYPE lgota_http_requests_total counter\n");
    for ((route, status), n) in &r.requests {
        let _ = writeln!(out, "lgota_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}", escape(route));
    }
    out.push_str("# HELP lgota_records_total Records pushed or imported, by result (stored, duplicate, conflict, refused) and the code of a refusal.\n");
    out.push_str("# TYPE lgota_records_total counter\n");
    for result in ["stored", "duplicate", "conflict"] {
        let n = r.records.get(&(result, String::new())).copied().unwrap_or(0);
        let _ = writeln!(out, "lgota_records_total{{result=\"{result}\",code=\"\"}} {n}");
    }
    for ((result, code), n) in r.records.iter().filter(|((result, _), _)| *result == "refused") {
        let _ = writeln!(out, "lgota_records_total{{result=\"{result}\",code=\"{}\"}} {n}", escape(code));
    }
    out.push_str("# HELP lgota_push_duration_seconds Time to answer a phone's push of records.\n");
    out.push_str("# TYPE lgota_push_duration_seconds histogram\n");
    r.push.write(&mut out, "lgota_push_duration_seconds", "");
    out.push_str("# HELP lgota_db_pool_wait_seconds Time a database call waited for a connection.\n");
    out.push_str("# TYPE lgota_db_pool_wait_seconds histogram\n");
    for pool in ["read", "write"] {
        let h = r.pool_wait.get(pool).cloned().unwrap_or_default();
        h.write(&mut out, "lgota_db_pool_wait_seconds", &format!("pool=\"{pool}\""));
    }
    drop(r);
    out.push_str("# HELP lgota_http_requests_in_flight Requests being served now.\n");
    out.push_str("# TYPE lgota_http_requests_in_flight gauge\n");
    let _ = writeln!(out, "lgota_http_requests_in_flight {}", gauges.in_flight);
    if let Some(n) = gauges.records_in_database {
        out.push_str(
            "# HELP lgota_records_in_database Records stored in the database (counted at most 5 minutes ago).\n",
        );
        out.push_str("# TYPE lgota_records_in_database gauge\n");
        let _ = writeln!(out, "lgota_records_in_database {n}");
    }
    if gauges.file_backups {
        out.push_str(
            "# HELP lgota_last_backup_timestamp_seconds When the last backup was taken (Unix time; 0: never).\n",
        );
        out.push_str("# TYPE lgota_last_backup_timestamp_seconds gauge\n");
        let _ = writeln!(
            out,
            "lgota_last_backup_timestamp_seconds {}",
            gauges.last_backup_ms.map_or(0.0, |ms| ms as f64 / 1000.0)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_by_one_caller_and_then_not_until_the_count_is_old() {
        let count = RecordCount::default();
        assert_eq!(count.read(), (None, true), "none yet: count now");
        assert_eq!(count.read(), (None, false), "one counts at a time");
        count.counted(None);
        assert_eq!(count.read(), (None, true), "a failed count is tried again");
        count.counted(Some(7));
        assert_eq!(count.read(), (Some(7), false), "fresh: the last count");
        let old = RecordCount::every(Duration::ZERO);
        old.counted(Some(3));
        assert_eq!(old.read(), (Some(3), true), "old: shown, and counted again");
        assert_eq!(old.read(), (Some(3), false));
        old.counted(Some(4));
        assert_eq!(old.read().0, Some(4));
    }

    #[test]
    fn histograms_are_cumulative_and_the_text_is_prometheus() {
        let mut h = Histogram::default();
        for s in [0.0005, 0.003, 0.003, 20.0] {
            h.observe(s);
        }
        let mut out = String::new();
        h.write(&mut out, "x", "pool=\"read\"");
        assert!(out.contains("x_bucket{pool=\"read\",le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{pool=\"read\",le=\"0.005\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{pool=\"read\",le=\"10\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{pool=\"read\",le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_count{pool=\"read\"} 4\n"), "{out}");
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }
}

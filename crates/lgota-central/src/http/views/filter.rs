//! The filter of the dashboard's figures, records page and exports, read from a query string:
//! period, branch, category, event, method, outcome, failure reason, granted, offline. A bad
//! value is a Russian message (the page answers 400), never a 500; a branch head's own branch
//! replaces whatever branch they ask for.

use std::fmt::Write as _;

use chrono_tz::Tz;
use lgota_protocol::{Method, Outcome};
use serde::Deserialize;

pub use crate::report::calendar::TrendUnit;
use crate::report::Period;
use crate::store::{KindFilter, RecordFilter, Role};
use lgota_domain::text::is_id;

/// The query value of «no category» (the overview's key for it is empty; ids never hold `(`).
pub const NO_CATEGORY: &str = "(none)";

/// The query value of «no event», as [`NO_CATEGORY`].
pub use crate::report::names::NO_EVENT;

/// The query string as given; every field optional, empty means «all».
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub branch: Option<String>,
    pub category: Option<String>,
    pub event: Option<String>,
    pub method: Option<String>,
    pub outcome: Option<String>,
    /// A failure reason id.
    pub reason: Option<String>,
    /// `1` granted, `0` not granted.
    pub granted: Option<String>,
    /// `1` made offline, `0` sent at once.
    pub offline: Option<String>,
    /// `benefit`: checks of benefit categories (and without a category); `age_check`: of
    /// age-check categories («Совершеннолетие (18+)»).
    pub kind: Option<String>,
    /// The records page's cursor: `<created_at_ms>.<id>` of the last record shown.
    pub before: Option<String>,
    /// The overview's trend: `week`, `month`; none or empty chooses by the period's length.
    pub trend: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// At most 40 characters of a bad value, for the message.
fn shown(s: &str) -> String {
    s.chars().take(40).collect()
}

fn id(value: Option<&str>, what: &str) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if is_id(v) => Ok(Some(v.to_string())),
        Some(v) => Err(format!("Неверный код {what} «{}»: допустимы латинские буквы, цифры, «-», «_», «.».", shown(v))),
    }
}

fn yes_no(value: Option<&str>, what: &str) -> Result<Option<bool>, String> {
    match value {
        None => Ok(None),
        Some("1") => Ok(Some(true)),
        Some("0") => Ok(Some(false)),
        Some(v) => Err(format!("Фильтр «{what}» принимает 1 (да) или 0 (нет), а не «{}».", shown(v))),
    }
}

const METHODS: [Method; 4] = [Method::DigitalId, Method::Paper, Method::SvoQr, Method::None];
const OUTCOMES: [Outcome; 5] =
    [Outcome::Confirmed, Outcome::PaperShown, Outcome::PaperRejected, Outcome::NoDocument, Outcome::Refused];

pub fn methods() -> &'static [Method] {
    &METHODS
}

pub fn outcomes() -> &'static [Outcome] {
    &OUTCOMES
}

/// A parsed filter: the period shown and the filter for the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub period: Period,
    pub filter: RecordFilter,
    /// The records page's cursor.
    pub before: Option<(i64, String)>,
    /// The overview's trend as asked for (`None`: chosen by the period's length).
    pub trend: Option<TrendUnit>,
}

/// Reads a query. On a bad value: the message, and the filter without anything bad (the
/// current month for a bad period), for pages that still show something.
pub fn parse(role: &Role, q: &FilterQuery, tz: Tz) -> (Parsed, Option<String>) {
    let mut error = None;
    let mut check = |r: Result<(), String>| {
        if let Err(e) = r {
            error.get_or_insert(e);
        }
    };
    let period = match Period::parse(q.from.as_deref(), q.to.as_deref(), tz) {
        Ok(p) => p,
        Err(e) => {
            check(Err(e));
            Period::current_month(tz)
        }
    };
    let (from_ms, to_ms) = period.utc_ms(tz);
    let mut filter = RecordFilter { from_ms, to_ms, ..Default::default() };
    macro_rules! field {
        ($target:expr, $result:expr) => {
            match $result {
                Ok(v) => $target = v,
                Err(e) => check(Err(e)),
            }
        };
    }
    field!(filter.branch_id, id(given(&q.branch), "филиала"));
    if let Some(own) = role.branch() {
        filter.branch_id = Some(own.to_string());
    }
    field!(
        filter.category_id,
        match given(&q.category) {
            Some(NO_CATEGORY) => Ok(Some(String::new())),
            other => id(other, "категории"),
        }
    );
    field!(
        filter.event_id,
        match given(&q.event) {
            Some(NO_EVENT) => Ok(Some(String::new())),
            other => id(other, "мероприятия"),
        }
    );
    field!(filter.failure_reason_id, id(given(&q.reason), "причины неудачи"));
    field!(
        filter.method,
        given(&q.method)
            .map(|m| {
                Method::parse(m).ok_or_else(|| {
                    format!(
                        "Неизвестный способ подтверждения «{}»: допустимы {}.",
                        shown(m),
                        METHODS.map(Method::as_str).join(", ")
                    )
                })
            })
            .transpose()
    );
    field!(
        filter.outcome,
        given(&q.outcome)
            .map(|o| {
                Outcome::parse(o).ok_or_else(|| {
                    format!(
                        "Неизвестный результат проверки «{}»: допустимы {}.",
                        shown(o),
                        OUTCOMES.map(Outcome::as_str).join(", ")
                    )
                })
            })
            .transpose()
    );
    field!(filter.granted, yes_no(given(&q.granted), "льгота предоставлена"));
    field!(filter.offline, yes_no(given(&q.offline), "записано без связи"));
    field!(
        filter.kind,
        match given(&q.kind) {
            None => Ok(None),
            Some("benefit") => Ok(Some(KindFilter { age_check: false, age_category_ids: Vec::new() })),
            Some("age_check") => Ok(Some(KindFilter { age_check: true, age_category_ids: Vec::new() })),
            Some(k) =>
                Err(format!("Вид проверки — льгота (benefit) или проверка возраста (age_check), а не «{}».", shown(k))),
        }
    );
    let mut trend = None;
    match given(&q.trend) {
        None => {}
        Some("week") => trend = Some(TrendUnit::Week),
        Some("month") => trend = Some(TrendUnit::Month),
        Some(t) => {
            check(Err(format!("Динамика строится по неделям (week) или по месяцам (month), а не «{}».", shown(t))))
        }
    }
    let mut before = None;
    if let Some(b) = given(&q.before) {
        match b.split_once('.').and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id))) {
            Some((at, id)) if is_id(id) => before = Some((at, id.to_string())),
            _ => check(Err("Неверная ссылка на следующую страницу: откройте список записей заново.".into())),
        }
    }
    (Parsed { period, filter, before, trend }, error)
}

/// The query string of a filter (without the cursor), for links; a branch head's branch is
/// left out (it is forced anyway).
pub fn query(period: &Period, f: &RecordFilter, role: &Role) -> String {
    let from = period.from.format("%Y-%m-%d").to_string();
    let to = period.to.format("%Y-%m-%d").to_string();
    let branch = if role.branch().is_some() { None } else { f.branch_id.as_deref() };
    let category = f.category_id.as_deref().map(|c| if c.is_empty() { NO_CATEGORY } else { c });
    let yes_no = |b: Option<bool>| b.map(|b| if b { "1" } else { "0" });
    query_string(&[
        ("from", &from),
        ("to", &to),
        ("branch", branch.unwrap_or("")),
        ("category", category.unwrap_or("")),
        ("event", f.event_id.as_deref().map(|e| if e.is_empty() { NO_EVENT } else { e }).unwrap_or("")),
        ("method", f.method.map(Method::as_str).unwrap_or("")),
        ("outcome", f.outcome.map(Outcome::as_str).unwrap_or("")),
        ("reason", f.failure_reason_id.as_deref().unwrap_or("")),
        ("granted", yes_no(f.granted).unwrap_or("")),
        ("offline", yes_no(f.offline).unwrap_or("")),
        ("kind", f.kind.as_ref().map_or("", |k| if k.age_check { "age_check" } else { "benefit" })),
    ])
}

/// `k=v&…` of the non-empty values, percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                s.push(b as char);
            } else {
                let _ = write!(s, "%{b:02X}");
            }
        }
    }
    s
}

/// The event filter's value in a form: `(none)` for checks at no event.
pub fn event_selected(filter: &RecordFilter) -> Option<&str> {
    filter.event_id.as_deref().map(|e| if e.is_empty() { NO_EVENT } else { e })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> FilterQuery {
        let s = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        serde_urlencoded_like(&s)
    }

    fn serde_urlencoded_like(s: &str) -> FilterQuery {
        let mut f = FilterQuery::default();
        for pair in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            let v = Some(v.to_string());
            match k {
                "from" => f.from = v,
                "to" => f.to = v,
                "branch" => f.branch = v,
                "category" => f.category = v,
                "event" => f.event = v,
                "method" => f.method = v,
                "outcome" => f.outcome = v,
                "reason" => f.reason = v,
                "granted" => f.granted = v,
                "offline" => f.offline = v,
                "kind" => f.kind = v,
                "before" => f.before = v,
                "trend" => f.trend = v,
                _ => panic!("{k}"),
            }
        }
        f
    }

    #[test]
    fn values_parse_and_bad_ones_are_explained() {
        let tz = chrono_tz::Europe::Moscow;
        let (p, e) = parse(
            &Role::Admin,
            &q(&[
                ("from", "2026-03-01"),
                ("to", "2026-03-31"),
                ("branch", "branch-2"),
                ("category", NO_CATEGORY),
                ("method", "paper"),
                ("outcome", "no_document"),
                ("reason", "no_internet"),
                ("granted", "0"),
                ("offline", "1"),
                ("before", "1772312400000.0190-x"),
                ("event", NO_EVENT),
                ("trend", "week"),
            ]),
            tz,
        );
        assert_eq!(e, None);
        assert_eq!(p.filter.branch_id.as_deref(), Some("branch-2"));
        assert_eq!(p.filter.category_id.as_deref(), Some(""));
        assert_eq!((p.filter.method, p.filter.outcome), (Some(Method::Paper), Some(Outcome::NoDocument)));
        assert_eq!((p.filter.granted, p.filter.offline), (Some(false), Some(true)));
        assert_eq!(p.before, Some((1_772_312_400_000, "0190-x".to_string())));
        assert_eq!((p.filter.event_id.as_deref(), p.trend), (Some(""), Some(TrendUnit::Week)));
        // The link of a filter reads back as the same filter.
        let link = query(&p.period, &p.filter, &Role::Admin);
        let (again, _) = parse(&Role::Admin, &serde_urlencoded_like(&link.replace("%28none%29", NO_CATEGORY)), tz);
        assert_eq!(again.filter, p.filter);

        let head = Role::BranchHead("branch-1".into());
        let (p, e) = parse(&head, &q(&[("branch", "branch-2")]), tz);
        assert_eq!((p.filter.branch_id.as_deref(), e), (Some("branch-1"), None));
        assert!(!query(&p.period, &p.filter, &head).contains("branch"));

        for (field, value, expected) in [
            ("method", "telepathy", "Неизвестный способ подтверждения «telepathy»"),
            ("outcome", "maybe", "Неизвестный результат проверки «maybe»"),
            ("granted", "yes", "принимает 1 (да) или 0 (нет)"),
            ("offline", "2", "принимает 1 (да) или 0 (нет)"),
            ("branch", "<b>", "Неверный код филиала «<b>»"),
            ("category", "a b", "Неверный код категории"),
            ("before", "x", "Неверная ссылка на следующую страницу"),
            ("trend", "day", "по неделям (week) или по месяцам (month)"),
            ("from", "31.02.2026", "ДД.ММ.ГГГГ"),
            ("from", "2026/03/01", "ДД.ММ.ГГГГ"),
        ] {
            let (p, e) = parse(&head, &q(&[(field, value)]), tz);
            let e = e.unwrap_or_default();
            assert!(e.contains(expected), "{field}={value}: {e}");
            assert_eq!(p.filter.branch_id.as_deref(), Some("branch-1"), "still confined");
        }
    }
}

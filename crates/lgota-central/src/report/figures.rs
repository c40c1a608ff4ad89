//! The dashboard's figures and the pure arithmetic that folds counts into them. A backend counts
//! valid checks per combination of keys ([`Combination`]) and per event; [`fold_overview`] and
//! [`top_events`] make the overview of them, the same for every backend.

/// Totals of valid checks (kind = check, not voided) for a filter. Keys are wire ids; a
/// missing category or failure reason is the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Overview {
    pub total: u64,
    pub by_branch: Vec<(String, u64)>,
    pub by_method: Vec<(String, u64)>,
    pub by_outcome: Vec<(String, u64)>,
    pub by_category: Vec<(String, u64)>,
    pub by_failure_reason: Vec<(String, u64)>,
    /// The [`TOP_EVENTS`] events with the most checks (most first), then `""`: the checks made at
    /// no event. Zero counts are left out.
    pub by_event: Vec<(String, u64)>,
    /// Events with checks in the period beyond those of `by_event`.
    pub more_events: u64,
    pub granted: u64,
    pub refused: u64,
    /// Of `granted`, per category ("" for none), most first: the report layer tells benefits
    /// from age checks with the configuration ([`split_granted`]).
    pub granted_by_category: Vec<(String, u64)>,
}

/// Granted checks as «льгота предоставлена» and «проверка возраста»: `(benefits, age checks)`
/// of `granted_by_category`, `is_age_check` telling the configuration's age-check categories.
/// The two add up to the granted checks.
pub fn split_granted(granted_by_category: &[(String, u64)], is_age_check: impl Fn(&str) -> bool) -> (u64, u64) {
    granted_by_category.iter().fold(
        (0, 0),
        |(benefit, age), (c, n)| {
            if is_age_check(c) {
                (benefit, age + n)
            } else {
                (benefit + n, age)
            }
        },
    )
}

/// How many events the overview names.
pub const TOP_EVENTS: usize = 15;

/// Valid checks (as in [`Overview`]) of one stretch of the trend.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrendCounts {
    pub checks: u64,
    /// Method `digital_id`.
    pub digital_id: u64,
    /// Method `paper`.
    pub paper: u64,
}

/// Valid checks (as in [`Overview`]) of one branch in one month of the institution's local
/// time, for the monthly summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MonthlySummary {
    /// 1..=12.
    pub month: u32,
    pub branch_id: String,
    pub checks: u64,
    /// Method `digital_id` (as the overview's «Цифровой ID»).
    pub digital_id: u64,
    /// Method `paper`.
    pub paper: u64,
    pub granted: u64,
    pub refused: u64,
    /// Of `granted`, per category ("" for none), as the overview's.
    pub granted_by_category: Vec<(String, u64)>,
}

/// The monthly summary's rows of one month from counts per combination: a row per branch with
/// checks, by branch id.
pub fn fold_month(month: u32, combos: impl IntoIterator<Item = Combination>) -> Vec<MonthlySummary> {
    use std::collections::BTreeMap;
    let mut branches: BTreeMap<String, (MonthlySummary, BTreeMap<String, u64>)> = BTreeMap::new();
    for (branch, method, _, category, _, granted, n) in combos {
        let n = match u64::try_from(n) {
            Ok(n) if n > 0 => n,
            _ => continue,
        };
        let (s, by_category) = branches
            .entry(branch.clone())
            .or_insert_with(|| (MonthlySummary { month, branch_id: branch, ..Default::default() }, BTreeMap::new()));
        s.checks += n;
        match method.as_str() {
            "digital_id" => s.digital_id += n,
            "paper" => s.paper += n,
            _ => {}
        }
        if granted {
            s.granted += n;
            *by_category.entry(category).or_insert(0) += n;
        } else {
            s.refused += n;
        }
    }
    branches
        .into_values()
        .map(|(mut s, by_category)| {
            s.granted_by_category = sorted(by_category);
            s
        })
        .collect()
}

fn sorted(map: std::collections::BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut list: Vec<(String, u64)> = map.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

/// A combination of the overview's keys and its count: branch, method, outcome, category (""
/// for none), failure reason, granted, count.
pub type Combination = (String, String, String, String, Option<String>, bool, i64);

/// Folds counts per combination into the overview's figures (all but `by_event`).
pub fn fold_overview(combos: impl IntoIterator<Item = Combination>) -> Overview {
    use std::collections::BTreeMap;
    let mut o = Overview::default();
    let (mut branch, mut method, mut outcome, mut category, mut failure, mut granted_category) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (b, m, out, c, f, granted, n) in combos {
        let n = match u64::try_from(n) {
            Ok(n) if n > 0 => n,
            _ => continue,
        };
        o.total += n;
        *branch.entry(b).or_insert(0) += n;
        *method.entry(m).or_insert(0) += n;
        *outcome.entry(out).or_insert(0) += n;
        if granted {
            *granted_category.entry(c.clone()).or_insert(0) += n;
        }
        *category.entry(c).or_insert(0) += n;
        if let Some(f) = f {
            *failure.entry(f).or_insert(0) += n;
        }
        if granted {
            o.granted += n;
        } else {
            o.refused += n;
        }
    }
    o.by_branch = sorted(branch);
    o.granted_by_category = sorted(granted_category);
    o.by_method = sorted(method);
    o.by_outcome = sorted(outcome);
    o.by_category = sorted(category);
    o.by_failure_reason = sorted(failure);
    o
}

/// The overview's `by_event` and `more_events` from the checks of each event (`counts`) and the
/// total: the [`TOP_EVENTS`] largest (ties by id), then the checks made at no event.
pub fn top_events(counts: impl IntoIterator<Item = (String, i64)>, total: u64) -> (Vec<(String, u64)>, u64) {
    let mut list: Vec<(String, u64)> =
        counts.into_iter().filter_map(|(e, n)| Some((e, u64::try_from(n).ok().filter(|n| *n > 0)?))).collect();
    let at_events: u64 = list.iter().map(|(_, n)| n).sum();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let more = list.len().saturating_sub(TOP_EVENTS) as u64;
    list.truncate(TOP_EVENTS);
    let none = total.saturating_sub(at_events);
    if none > 0 {
        list.push((String::new(), none));
    }
    (list, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combo(b: &str, m: &str, o: &str, c: &str, f: Option<&str>, granted: bool, n: i64) -> Combination {
        (b.into(), m.into(), o.into(), c.into(), f.map(str::to_string), granted, n)
    }

    #[test]
    fn overview_folds_counts_per_key_most_first() {
        let o = fold_overview([
            combo("b1", "paper", "paper_shown", "pensioner", None, true, 3),
            combo("b2", "digital_id", "confirmed", "", None, true, 5),
            combo("b1", "none", "no_document", "student", Some("no_internet"), false, 2),
            combo("b2", "paper", "paper_rejected", "pensioner", Some("expired"), false, 1),
            combo("b3", "paper", "confirmed", "student", None, true, 1),
            // Zero and negative counts (a difference of counts) are left out.
            combo("b3", "svo_qr", "confirmed", "x", None, true, 0),
            combo("b3", "svo_qr", "confirmed", "x", None, true, -4),
        ]);
        assert_eq!(o.total, 12);
        assert_eq!((o.granted, o.refused), (9, 3));
        let pairs = |v: &[(&str, u64)]| v.iter().map(|(k, n)| (k.to_string(), *n)).collect::<Vec<_>>();
        assert_eq!(o.by_branch, pairs(&[("b2", 6), ("b1", 5), ("b3", 1)]));
        // Ties by key.
        assert_eq!(o.by_method, pairs(&[("digital_id", 5), ("paper", 5), ("none", 2)]));
        assert_eq!(
            o.by_outcome,
            pairs(&[("confirmed", 6), ("paper_shown", 3), ("no_document", 2), ("paper_rejected", 1)])
        );
        // No category is the key "".
        assert_eq!(o.by_category, pairs(&[("", 5), ("pensioner", 4), ("student", 3)]));
        // Only refusals have a failure reason.
        assert_eq!(o.by_failure_reason, pairs(&[("no_internet", 2), ("expired", 1)]));
        for list in [&o.by_branch, &o.by_method, &o.by_outcome, &o.by_category] {
            assert_eq!(list.iter().map(|(_, n)| n).sum::<u64>(), o.total, "{list:?}");
        }
        assert!(o.by_event.is_empty() && o.more_events == 0, "left to top_events");
        assert_eq!(o.granted_by_category, pairs(&[("", 5), ("pensioner", 3), ("student", 1)]));
        assert_eq!(split_granted(&o.granted_by_category, |c| c == "student"), (8, 1));
        assert_eq!(split_granted(&o.granted_by_category, |_| false), (o.granted, 0));
        let months = fold_month(
            4,
            [
                combo("b1", "paper", "paper_shown", "adult", None, true, 2),
                combo("b1", "digital_id", "confirmed", "pensioner", None, true, 3),
                combo("b1", "none", "refused", "adult", None, false, 1),
                combo("b2", "svo_qr", "confirmed", "", None, true, 0),
            ],
        );
        assert_eq!(months.len(), 1, "a branch without checks has no row");
        let m = &months[0];
        assert_eq!((m.month, m.checks, m.digital_id, m.paper, m.granted, m.refused), (4, 6, 3, 2, 5, 1));
        assert_eq!(split_granted(&m.granted_by_category, |c| c == "adult"), (3, 2));
        assert_eq!(fold_overview([]), Overview::default());
    }

    #[test]
    fn top_events_name_the_largest_then_the_checks_at_no_event() {
        // Fewer than TOP_EVENTS: all of them, most first, ties by id, then "" for the rest.
        let (list, more) = top_events([("e2".into(), 4), ("e1".into(), 4), ("e3".into(), 9), ("e0".into(), 0)], 20);
        assert_eq!(list, [("e3".into(), 9), ("e1".into(), 4), ("e2".into(), 4), (String::new(), 3)]);
        assert_eq!(more, 0);
        // No check outside events: no "" entry.
        let (list, _) = top_events([("e1".into(), 2)], 2);
        assert_eq!(list, [("e1".to_string(), 2)]);
        // More events than shown: the largest TOP_EVENTS, the others counted in `more`, and
        // their checks are not taken for checks at no event.
        let counts: Vec<(String, i64)> = (0..TOP_EVENTS as i64 + 4).map(|i| (format!("e{i:02}"), i + 1)).collect();
        let at_events: i64 = counts.iter().map(|(_, n)| n).sum();
        let (list, more) = top_events(counts, at_events as u64 + 7);
        assert_eq!(more, 4);
        assert_eq!(list.len(), TOP_EVENTS + 1);
        assert_eq!(list[0], (format!("e{:02}", TOP_EVENTS + 3), TOP_EVENTS as u64 + 4));
        assert_eq!(list[TOP_EVENTS - 1], ("e04".to_string(), 5));
        assert_eq!(list[TOP_EVENTS], (String::new(), 7));
        // Nothing at all.
        assert_eq!(top_events([], 0), (vec![], 0));
    }
}

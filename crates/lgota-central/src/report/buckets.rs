//! How a period's counts are read from counts kept per UTC day and per UTC month: [`pieces`] cuts
//! `[from, to)` into signed stretches of whole months, whole days and (at the uneven ends) single
//! records, whose counts add up to exactly the period's. Pure arithmetic on UTC milliseconds.

pub const DAY_MS: i64 = 86_400_000;

/// Where the counts of a stretch of time come from: whole UTC months or days of the
/// `check_counts` table, or the records themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Months,
    Days,
    Records,
}

/// The counts of uneven ends already read during one call of a store's figures: neighbouring
/// stretches of a trend or a monthly summary end and begin on the same part of a day (a month
/// in Moscow ends at 21:00 UTC), which is then read from the records once, not twice. Keyed by
/// the query (its text, the rest of the filter being the call's) and the bounds.
#[derive(Default)]
pub struct EndsMemo(std::cell::RefCell<std::collections::HashMap<EndKey, Box<dyn std::any::Any>>>);

/// A query's text and the bounds of the end it counted.
type EndKey = (String, i64, i64);

impl EndsMemo {
    /// What `query` counted over `[from, to)`, if read already in this call.
    pub fn get<K: Clone + 'static>(&self, query: &str, from: i64, to: i64) -> Option<Vec<(K, i64)>> {
        let memo = self.0.borrow();
        memo.get(&(query.to_string(), from, to)).and_then(|rows| rows.downcast_ref::<Vec<(K, i64)>>()).cloned()
    }

    /// Keeps what `query` counted over `[from, to)`.
    pub fn put<K: Clone + 'static>(&self, query: &str, from: i64, to: i64, rows: &[(K, i64)]) {
        self.0.borrow_mut().insert((query.to_string(), from, to), Box::new(rows.to_vec()));
    }
}

/// The first millisecond of the UTC month holding `t`.
pub fn month_floor(t: i64) -> i64 {
    use chrono::Datelike;
    let day = chrono::DateTime::from_timestamp_millis(t).unwrap_or_default().date_naive();
    day.with_day(1).unwrap_or(day).and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

/// The first millisecond of the UTC month after the one holding `t`.
pub fn month_next(t: i64) -> i64 {
    month_floor(month_floor(t) + 32 * DAY_MS)
}

/// The nearer of the two bucket starts around `t`.
fn nearest(t: i64, floor: i64, next: i64) -> i64 {
    if t - floor <= next - t {
        floor
    } else {
        next
    }
}

/// `[from, to)` as signed stretches whose counts add up to exactly the period's: whole months
/// and days of `check_counts` and, at the uneven ends, the records themselves. Each end is
/// moved to the nearest day start and the days between to the nearest month start; what the
/// move added is taken away (sign −1), what it left out is added (+1). So a period costs at most
/// its months, ~15 days a side and half a day of records a side, whatever the time zone.
pub fn pieces(from: i64, to: i64) -> Vec<(Source, i64, i64, i64)> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    let day = |t: i64| nearest(t, t.div_euclid(DAY_MS) * DAY_MS, (t.div_euclid(DAY_MS) + 1) * DAY_MS);
    let (a, b) = (day(from), day(to));
    if a >= b {
        out.push((Source::Records, from, to, 1));
        return out;
    }
    let edge = |out: &mut Vec<_>, source, x: i64, y: i64, sign: i64| match x.cmp(&y) {
        std::cmp::Ordering::Less => out.push((source, x, y, sign)),
        std::cmp::Ordering::Greater => out.push((source, y, x, -sign)),
        std::cmp::Ordering::Equal => {}
    };
    edge(&mut out, Source::Records, from, a, 1);
    edge(&mut out, Source::Records, b, to, 1);
    let month = |t: i64| nearest(t, month_floor(t), month_next(t));
    let (ma, mb) = (month(a), month(b));
    if ma >= mb {
        out.push((Source::Days, a, b, 1));
    } else {
        out.push((Source::Months, ma, mb, 1));
        edge(&mut out, Source::Days, a, ma, 1);
        edge(&mut out, Source::Days, mb, b, 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At any moment, the signs of the stretches holding it add up to 1 inside the period and
    /// 0 outside: the stretches count each record exactly once.
    #[test]
    fn pieces_cover_a_period_exactly_once() {
        let t0 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
        let hour = 3_600_000;
        let mut periods = vec![(t0 - 3 * hour, t0 + 365 * DAY_MS - 3 * hour), (t0 + 5, t0 + 7), (t0, t0 + DAY_MS)];
        let mut x: u64 = 42;
        for _ in 0..300 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let from = t0 + (x >> 20) as i64 % (400 * DAY_MS);
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            periods.push((from, from + (x >> 20) as i64 % (500 * DAY_MS)));
        }
        for (from, to) in periods {
            let pieces = pieces(from, to);
            assert!(pieces.iter().filter(|p| p.0 == Source::Records).all(|p| p.2 - p.1 <= DAY_MS), "{pieces:?}");
            for t in [from - 1, from, from + 1, to - 1, to, (from + to) / 2, from + DAY_MS / 3, to - 40 * DAY_MS] {
                let covered: i64 = pieces.iter().filter(|p| p.1 <= t && t < p.2).map(|p| p.3).sum();
                let expected = i64::from(from <= t && t < to);
                assert_eq!(covered, expected, "t = {t} in [{from}, {to}): {pieces:?}");
            }
            // Buckets are whole: days and months start on their bounds.
            for (source, a, b, _) in &pieces {
                match source {
                    Source::Days => assert!(a % DAY_MS == 0 && b % DAY_MS == 0),
                    Source::Months => assert!(month_floor(*a) == *a && month_floor(*b) == *b),
                    Source::Records => {}
                }
            }
        }
        assert!(pieces(5, 5).is_empty());
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    const JAN_2026: i64 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_short_stretch_is_records_only() {
        assert_eq!(
            pieces(JAN_2026 + HOUR, JAN_2026 + 2 * HOUR),
            [(Source::Records, JAN_2026 + HOUR, JAN_2026 + 2 * HOUR, 1)]
        );
    }

    #[test]
    fn whole_days_and_months_are_read_from_counts() {
        // A whole UTC day: one day of counts, no records.
        assert_eq!(pieces(JAN_2026, JAN_2026 + DAY_MS), [(Source::Days, JAN_2026, JAN_2026 + DAY_MS, 1)]);
        // A whole UTC year: twelve months of counts at once.
        let next_year = 1_798_761_600_000; // 2027-01-01 00:00 UTC
        assert_eq!(pieces(JAN_2026, next_year), [(Source::Months, JAN_2026, next_year, 1)]);
        assert_eq!(month_floor(next_year - 1), 1_796_083_200_000, "2026-12-01");
        assert_eq!(month_next(next_year - 1), next_year, "across the year boundary");
    }

    #[test]
    fn a_moscow_month_borrows_three_hours_and_gives_three_back() {
        // March 2026 in Moscow (UTC+3): [Feb 28 21:00 UTC, Mar 31 21:00 UTC). The ends move to
        // the nearest UTC midnights (Mar 1 and Apr 1), the middle is the month of March; the
        // three hours of February are added from the records, the three of April 1 taken away.
        let (from, to) = (1_772_312_400_000, 1_772_312_400_000 + 31 * DAY_MS);
        let march = 1_772_323_200_000; // 2026-03-01 00:00 UTC
        let april = march + 31 * DAY_MS;
        let mut p = pieces(from, to);
        p.sort_by_key(|p| (p.1, p.2));
        assert_eq!(
            p,
            [(Source::Records, from, march, 1), (Source::Months, march, april, 1), (Source::Records, to, april, -1)]
        );
    }

    #[test]
    fn ends_beyond_half_a_month_take_the_next_month_and_remove_days() {
        // Jan 1 to Jan 20: the end is nearer Feb 1 than Jan 1, so January whole, minus Jan 20..31.
        let to = JAN_2026 + 19 * DAY_MS;
        let feb = JAN_2026 + 31 * DAY_MS;
        let mut p = pieces(JAN_2026, to);
        p.sort_by_key(|p| (p.1, p.2));
        assert_eq!(p, [(Source::Months, JAN_2026, feb, 1), (Source::Days, to, feb, -1)]);
    }
}

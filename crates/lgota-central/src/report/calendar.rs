//! The calendar of the figures, in the institution's time zone: days, periods of whole days,
//! the trend's weeks and months, the twelve months of a year, and the Russian month names. Pure:
//! no clock but [`Period::current_month`]'s, no database, no HTTP.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The months' names, January first, as the dashboard and the exports write them.
pub const MONTHS: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

/// The UTC ms at which local `day` begins in `tz`: local midnight, or, where a clock change
/// skips midnight, the first local moment of that day.
pub fn day_start_ms(tz: Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_time(NaiveTime::MIN);
    // Clock changes skip at most a few hours; look in quarter-hour steps.
    for quarter in 0..(4 * 24) {
        let local = midnight + chrono::Duration::minutes(15 * quarter);
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.timestamp_millis(),
            LocalResult::None => continue,
        }
    }
    midnight.and_utc().timestamp_millis()
}

/// A UTC ms moment in `tz`.
pub fn local_time(tz: Tz, utc_ms: i64) -> Option<DateTime<Tz>> {
    Utc.timestamp_millis_opt(utc_ms).single().map(|t| t.with_timezone(&tz))
}

/// The first day of the month after the month of `day`.
pub fn next_month(day: NaiveDate) -> Option<NaiveDate> {
    if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
    }
}

/// The stretches of the overview's trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendUnit {
    /// Monday to Sunday.
    Week,
    Month,
}

impl TrendUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TrendUnit::Week => "week",
            TrendUnit::Month => "month",
        }
    }
}

/// A period of whole days in the institution's time zone, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The current month in the institution's time zone `tz`.
    pub fn current_month(tz: Tz) -> Period {
        let today = Utc::now().with_timezone(&tz).date_naive();
        let from = today.with_day(1).unwrap_or(today);
        Period { from, to: next_month(from).and_then(|n| n.pred_opt()).unwrap_or(today) }
    }

    /// From form fields `ДД.ММ.ГГГГ`; dates outside [`FIRST_YEAR`]..=[`LAST_YEAR`] are refused
    /// (nothing is recorded there, and a far date would overflow the arithmetic of time zones) (or `YYYY-MM-DD`, as links write them); an empty field takes
    /// the current month's end.
    pub fn parse(from: Option<&str>, to: Option<&str>, tz: Tz) -> Result<Period, String> {
        let default = Period::current_month(tz);
        let date = |s: Option<&str>, d: NaiveDate, what: &str| match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(d),
            Some(s) => lgota_domain::text::parse_typed_date(s)
                .ok_or_else(|| format!("Дата {what} периода должна быть в виде ДД.ММ.ГГГГ, например 01.03.2026."))
                .and_then(|d| {
                    if (FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
                        Ok(d)
                    } else {
                        Err(format!("Дата {what} периода должна быть между {FIRST_YEAR} и {LAST_YEAR} годом."))
                    }
                }),
        };
        let period =
            Period { from: date(from, default.from, "начала")?, to: date(to, default.to, "конца")? };
        if period.from > period.to {
            return Err("Начало периода позже его конца.".into());
        }
        if (period.to - period.from).num_days() > 3660 {
            return Err("Период не может быть длиннее десяти лет.".into());
        }
        Ok(period)
    }

    /// `[from 00:00, to + 1 day 00:00)` in the institution's time zone `tz`, as UTC ms.
    pub fn utc_ms(&self, tz: Tz) -> (i64, i64) {
        (day_start_ms(tz, self.from), day_start_ms(tz, self.to.succ_opt().unwrap_or(self.to)))
    }
}

/// The years a period may name.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// Weeks are offered for periods up to this many days (about two years); longer ones go by month.
pub const MAX_WEEKS_DAYS: i64 = 2 * 366;

/// The trend's stretch for a period: as asked, else weeks up to three months, months beyond.
/// Weeks of more than [`MAX_WEEKS_DAYS`] would be unreadable: months then.
pub fn trend_unit(period: &Period, asked: Option<TrendUnit>) -> TrendUnit {
    let days = (period.to - period.from).num_days() + 1;
    match asked {
        Some(TrendUnit::Week) if days <= MAX_WEEKS_DAYS => TrendUnit::Week,
        Some(_) => TrendUnit::Month,
        None if days <= 92 => TrendUnit::Week,
        None => TrendUnit::Month,
    }
}

/// The period cut into weeks (Monday to Sunday) or calendar months; the first and the last are
/// cut to the period.
pub fn trend_stretches(period: &Period, unit: TrendUnit) -> Vec<Period> {
    let mut out = Vec::new();
    let mut from = period.from;
    while from <= period.to {
        let end = match unit {
            TrendUnit::Week => from + chrono::Days::new(6 - u64::from(from.weekday().num_days_from_monday())),
            TrendUnit::Month => next_month(from).and_then(|n| n.pred_opt()).unwrap_or(period.to),
        };
        let to = end.min(period.to);
        out.push(Period { from, to });
        match to.succ_opt() {
            Some(next) => from = next,
            None => break,
        }
    }
    out
}

/// The twelve months of `year` in `tz` as `(month, from_ms, to_ms)`: each from its first local
/// moment to the next month's, whatever the zone's clock changes.
pub fn month_ranges(year: i32, tz: chrono_tz::Tz) -> Vec<(u32, i64, i64)> {
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let next = next_month(first)?;
            Some((m, day_start_ms(tz, first), day_start_ms(tz, next)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn month_ranges_in_moscow_are_utc_months_three_hours_early() {
        let moscow = chrono_tz::Europe::Moscow;
        let months = month_ranges(2026, moscow);
        assert_eq!(months.len(), 12);
        assert_eq!(months.iter().map(|m| m.0).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>());
        // 2026-01-01 00:00 MSK = 2025-12-31 21:00 UTC; 2027-01-01 00:00 MSK likewise.
        assert_eq!(months[0].1, 1_767_225_600_000 - 3 * HOUR);
        assert_eq!(months[11].2, 1_798_761_600_000 - 3 * HOUR);
        // No clock changes in Moscow: each month is its days × 24 h, and they follow each other.
        let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (m, d) in months.iter().zip(days) {
            assert_eq!(m.2 - m.1, d * DAY, "month {}", m.0);
        }
        assert!(months.windows(2).all(|w| w[0].2 == w[1].1), "no gap, no overlap");
        // A leap year's February.
        assert_eq!(month_ranges(2028, moscow)[1].2 - month_ranges(2028, moscow)[1].1, 29 * DAY);
        // Years follow each other too: December's end is next January's start.
        assert_eq!(month_ranges(2025, moscow)[11].2, months[0].1);
    }

    #[test]
    fn month_ranges_follow_clock_changes() {
        let berlin = chrono_tz::Europe::Berlin;
        let months = month_ranges(2026, berlin);
        assert_eq!(months[2].2 - months[2].1, 31 * DAY - HOUR, "March loses an hour");
        assert_eq!(months[9].2 - months[9].1, 31 * DAY + HOUR, "October gains one");
        assert_eq!(months.last().unwrap().2 - months[0].1, 365 * DAY);
    }

    #[test]
    fn periods_and_days_across_a_year_boundary() {
        let moscow = chrono_tz::Europe::Moscow;
        assert_eq!(next_month(day("2026-12-15")), Some(day("2027-01-01")));
        assert_eq!(next_month(day("2026-01-31")), Some(day("2026-02-01")));
        let p = Period { from: day("2026-12-30"), to: day("2027-01-02") };
        let (from, to) = p.utc_ms(moscow);
        assert_eq!(to - from, 4 * DAY);
        assert_eq!(from, day_start_ms(moscow, day("2026-12-30")));
        assert_eq!(local_time(moscow, from).unwrap().format("%Y-%m-%d %H:%M").to_string(), "2026-12-30 00:00");
        let months = trend_stretches(&p, TrendUnit::Month);
        assert_eq!(
            months.iter().map(|m| (m.from, m.to)).collect::<Vec<_>>(),
            [(day("2026-12-30"), day("2026-12-31")), (day("2027-01-01"), day("2027-01-02"))]
        );
        // 2026-12-28 is a Monday: one week to Sunday 2027-01-03, cut to the period.
        let weeks = trend_stretches(&Period { from: day("2026-12-28"), to: day("2027-01-05") }, TrendUnit::Week);
        assert_eq!(
            weeks.iter().map(|w| (w.from, w.to)).collect::<Vec<_>>(),
            [(day("2026-12-28"), day("2027-01-03")), (day("2027-01-04"), day("2027-01-05"))]
        );
        assert_eq!(MONTHS[0], "Январь");
        assert_eq!(MONTHS[11], "Декабрь");
        assert_eq!(TrendUnit::Week.as_str(), "week");
    }

    #[test]
    fn periods_outside_the_years_are_refused_not_overflowed() {
        let moscow = chrono_tz::Europe::Moscow;
        for far in ["+262142-12-31", "-262143-01-01", "1999-12-31", "2101-01-01", "31.12.9999", "9999-99-99"] {
            assert!(Period::parse(Some(far), None, moscow).is_err(), "{far}");
            assert!(Period::parse(None, Some(far), moscow).is_err(), "{far}");
        }
        let p = Period::parse(Some("2000-01-01"), Some("2009-12-31"), moscow).unwrap();
        assert!(p.utc_ms(moscow).0 < p.utc_ms(moscow).1);
        assert!(Period::parse(Some("01.01.2100"), Some("31.12.2100"), moscow).is_ok());
    }
}

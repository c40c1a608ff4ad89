//! The dashboard's views: the pages (`pages`, `manage_pages`, `records`), the filter of a
//! request (`filter`) and the files (`csv`, `xlsx`, their rows in `rows`). The handlers that show
//! them are in `crate::http`.

pub mod csv;
pub mod filter;
pub mod manage_pages;
pub mod pages;
pub mod records;
pub mod rows;
pub mod xlsx;

use chrono::NaiveDate;

/// The twelve months of `year` in `tz` as `(month, from_ms, to_ms)`: each from its first local
/// moment to the next month's, whatever the zone's clock changes.
pub fn month_ranges(year: i32, tz: chrono_tz::Tz) -> Vec<(u32, i64, i64)> {
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let next = pages::next_month(first)?;
            Some((m, pages::day_start_ms(tz, first), pages::day_start_ms(tz, next)))
        })
        .collect()
}

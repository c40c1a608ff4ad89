//! Reporting without storage: the figures' types and the arithmetic that folds counts into them
//! ([`figures`]), how a period is read from day and month counts ([`buckets`]), and the calendar
//! of the institution's time zone ([`calendar`]).
//!
//! Pure functions of their arguments: nothing here reads a database, a request or (but for
//! [`calendar::Period::current_month`]) the clock, and nothing imports another module of this
//! crate. The storage backends (`store/`) and the dashboard use it; its tests need no database.

pub mod buckets;
pub mod calendar;
pub mod figures;
pub mod names;

pub use buckets::{month_floor, month_next, pieces, Source, DAY_MS};
pub use calendar::{month_ranges, Period, TrendUnit, MONTHS};
pub use figures::{
    fold_month, fold_overview, split_granted, top_events, Combination, MonthlySummary, Overview, TrendCounts,
    TOP_EVENTS,
};
pub use names::Names;

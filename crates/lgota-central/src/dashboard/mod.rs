//! The dashboard's views: the pages (`pages`, `manage_pages`, `records`), the filter of a
//! request (`filter`) and the files (`csv`, `xlsx`, their rows in `rows`). The handlers that show
//! them are in the `http` layer.

pub mod csv;
pub mod filter;
pub mod manage_pages;
pub mod pages;
pub mod records;
pub mod rows;
pub mod templates;
pub mod xlsx;

pub use crate::report::calendar::month_ranges;

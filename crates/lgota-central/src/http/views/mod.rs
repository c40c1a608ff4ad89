//! What the central office sees and downloads: the pages (`pages`, `manage_pages`, `records`, and
//! `inform` for materials and training: askama templates in `templates/`, the frame and escaper
//! in `templates`), the filter of a
//! request (`filter`) and the files (`csv`, `xlsx`, their rows in `rows`). The handlers of the
//! resources in `http` fill them.

pub mod app_pages;
pub mod csv;
pub mod filter;
pub mod inform;
pub mod manage_pages;
pub mod pages;
pub mod records;
pub mod rows;
pub mod templates;
pub mod xlsx;

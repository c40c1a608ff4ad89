//! The central records server of «Льгота»: phones enroll with a one-time code, push their
//! records (stored once by id), and pull reference data and events; the central office reads
//! the figures and manages branches, reference lists, events, phones and content from a web
//! dashboard or the command line. docs/protocol.md describes the wire; `lgota-protocol` holds
//! its types. ARCHITECTURE.md has the map of the layers:
//!
//! `http` (routers, extractors, `AppError`) → `service` (the operations, audited) → `store` (traits;
//! `store/sqlite` and `store/postgres` the backends) and `report` (pure figures and calendar); `dashboard` holds the views, with `lgota-domain` for the rules shared with phones.
//!
//! The binary (`main.rs`) is thin (`cli`): tests start the real server with [`serve`] on
//! `127.0.0.1:0`.

pub mod cli;
pub mod http;
pub mod metrics;
pub mod report;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod store;

pub use http::{router, serve, serve_state, AppError, AppState};
pub use store::{Database, Device, SqliteDatabase};

/// The server clock: UTC milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

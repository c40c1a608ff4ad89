//! The central records server of «Льгота»: phones enroll with a one-time code, push their
//! records (stored once by id), and pull reference data and events. docs/protocol.md describes
//! the wire; `lgota-protocol` holds its types.
//!
//! The binary (`main.rs`) is thin: tests start the real server with [`serve`] on `127.0.0.1:0`.

pub mod admin;
pub mod api;
pub mod dashboard;
pub mod error;
pub mod intake;
pub mod report;
pub mod secrets;
pub mod settings;
pub mod store;

pub use api::{router, serve, serve_state, AppState};
pub use error::ApiError;
pub use store::{Database, Device, SqliteDatabase};

/// The server clock: UTC milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

//! The central records server of «Льгота»: phones enroll with a one-time code, push their
//! records (stored once by id), and pull reference data and events. docs/protocol.md describes
//! the wire; `lgota-protocol` holds its types.
//!
//! The binary (`main.rs`) is thin: tests start the real server with [`serve`] on `127.0.0.1:0`.

pub mod admin;
pub mod api;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod intake;
pub mod secrets;
pub mod settings;

pub use api::{router, serve, serve_state, AppState};
pub use db::{Database, Device, SqliteDatabase};
pub use error::ApiError;

/// The server clock: UTC milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

//! The core of «Льгота»: domain types and validation, personal-data screening, and the
//! append-only SQLite record log with its outbox position for sync.
//!
//! No UI, HTTP or Tauri code lives here: the app (`src-tauri`) and, later, the central server
//! call this crate. See ARCHITECTURE.md for the invariants it keeps.

pub mod clock;
pub mod config;
pub mod content;
pub mod error;
pub mod lock;
pub mod model;
pub mod screen;
pub mod search;
pub mod secret;
pub mod sqlite;
pub mod store;
pub mod sync;

pub use clock::Now;
pub use config::Config;
pub use content::{ContentPack, TrustedKey};
pub use error::{Error, Result};
pub use lock::LockSettings;
pub use model::*;
pub use search::SearchHit;
pub use store::{
    ContentSource, ContentState, Enrollment, Record, RecordKind, Refusal, Store, SyncProblem, SyncStatus,
    UNDO_WINDOW_MS,
};

//! The core of «Льгота» on the phone: the append-only SQLite record log with its outbox position
//! for sync, the app lock, content search and the sync engine. The rules it shares with the
//! server (configuration, content packs, screening, text rules) live in `lgota-domain`.
//!
//! No UI, HTTP or Tauri code lives here: the app (`src-tauri`) and, later, the central server
//! call this crate. See ARCHITECTURE.md for the invariants it keeps.

pub mod clock;
pub mod error;
pub mod lock;
pub mod model;
pub mod search;
pub mod sqlite;
pub mod store;
pub mod sync;

/// The rules shared with the server, under the paths the core has always used.
pub use lgota_domain::{config, content, screen, secret, text};

/// The version of this build (the workspace's): shown on the settings screen, reported at sync.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

pub use clock::Now;
pub use config::Config;
pub use content::{ContentPack, TrustedKey};
pub use error::{Error, Result};
pub use lock::LockSettings;
pub use model::*;
pub use search::SearchHit;
pub use store::{
    ContentSource, ContentState, Enrollment, Export, Record, RecordKind, Refusal, Store, SyncProblem, SyncStatus,
    UNDO_WINDOW_MS,
};

//! The rules the phone (`lgota-core`) and the central server (`lgota-central`) share, so that
//! they can never disagree on what is acceptable: the configuration and its checks, content-pack
//! verification, personal-data screening, secret hashing, the normal form of free text, the id
//! and date rules and limits, and the record rule set every record passes on both sides.
//!
//! No storage, no I/O, no HTTP: plain functions over plain types.

pub mod check;
pub mod config;
pub mod content;
pub mod error;
pub mod export;
pub mod record;
pub mod screen;
pub mod secret;
pub mod text;
pub mod training;

pub use check::{CheckFields, CheckInput};
pub use config::Config;
pub use content::{ContentPack, TrustedKey};
pub use error::{Error, PersonalData, Result};

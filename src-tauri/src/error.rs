//! Errors as the UI receives them: `{code, message}`, a stable code for programs and a Russian
//! message for the librarian.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl From<lgota_core::Error> for CommandError {
    fn from(e: lgota_core::Error) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

/// A failed call to the server: the same code and words the sync panel uses.
impl From<lgota_core::sync::SyncError> for CommandError {
    fn from(e: lgota_core::sync::SyncError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError { code: code.into(), message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        CommandError::new("internal", message)
    }

    /// A background task of a command died (a panic): the detail goes to the log, not to the librarian.
    pub fn task_failed(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "command task failed");
        CommandError::internal("Внутренняя ошибка приложения. Повторите действие или перезапустите приложение.")
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

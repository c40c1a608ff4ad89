//! Errors as the UI receives them: `{code, message}`, a stable code for programs and a Russian
//! message for the librarian.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl From<lgota_core::Error> for CommandError {
    fn from(e: lgota_core::Error) -> Self {
        CommandError { code: e.code().to_owned(), message: e.to_string() }
    }
}

impl CommandError {
    pub fn internal(message: impl Into<String>) -> Self {
        CommandError { code: "internal".into(), message: message.into() }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

//! [`Error`]: what went wrong in an operation — a [`Kind`] (which the HTTP layer maps to a
//! status), a stable code from `lgota_protocol::codes` and a Russian message for people.

use lgota_protocol::codes;

/// What kind of failure: the caller's mistake of some sort, or the server's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed input (400).
    Invalid,
    /// Well-formed input the rules refuse (422).
    Unprocessable,
    /// Not signed in or not enrolled (401).
    Unauthorized,
    /// Signed in but not allowed (403).
    Forbidden,
    NotFound,
    /// Clashes with what is stored (409).
    Conflict,
    /// Existed, is no more (410).
    Gone,
    TooLarge,
    TooManyRequests,
    MethodNotAllowed,
    /// Serving as many requests as it may at once (503, with `Retry-After`).
    Busy,
    /// The server's failure: logged, never explained to the caller (500).
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub code: &'static str,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Error {
        Error { kind, code, message: message.into() }
    }

    /// A person's mistake in a form or request: shown to them as it is.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, codes::INVALID_REQUEST, message)
    }

    pub fn forbidden() -> Error {
        Error::new(
            Kind::Forbidden,
            codes::FORBIDDEN,
            "Это действие доступно только администратору центральной библиотеки.",
        )
    }

    /// The server's failure: `what` is logged, the caller gets a fixed sentence.
    pub fn internal(what: impl std::fmt::Display) -> Error {
        tracing::error!("internal error: {what}");
        Error::new(Kind::Internal, codes::INTERNAL, "Внутренняя ошибка сервера; повторите позже.")
    }

    /// Whether the caller can do something about it (everything but the server's own failure).
    pub fn is_callers(&self) -> bool {
        self.kind != Kind::Internal
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        // Nothing is lost either way, and the same request later succeeds: as the request
        // limit's busy answer (`503`, `Retry-After`). Said to whoever asked — the dashboard's
        // reader, the command line's, a phone (which shows its own words for `busy`).
        let (logged, message, what) = match e {
            // Other writers held the database past its wait (SQLite's writer, PostgreSQL's locks
            // after the intake's tries).
            crate::store::StoreError::Busy(what) => {
                ("busy", "База данных сейчас занята; повторите через несколько секунд.", what)
            }
            // The database server is down or restarting.
            crate::store::StoreError::Unavailable(what) => (
                "unavailable",
                "База данных сейчас недоступна; повторите через минуту. Если это не проходит, \
                 сообщите тому, кто обслуживает сервер.",
                what,
            ),
            e => return Error::internal(e),
        };
        tracing::warn!("database {logged}: {}", super::log_text::cut_for_log(&what, 200));
        Error::new(Kind::Busy, codes::BUSY, message)
    }
}

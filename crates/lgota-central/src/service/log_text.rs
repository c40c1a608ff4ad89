//! Untrusted values as the server's log may show them.

/// The most characters of an untrusted value (a login typed at sign-in, an id, a file name, a
/// user agent, an address) that go into the server's log.
pub const LOG_VALUE_MAX: usize = 64;

/// An untrusted value as the log may show it: control characters replaced (no forged lines), at
/// most [`LOG_VALUE_MAX`] characters, «…» where it was cut.
pub fn for_log(value: &str) -> String {
    cut_for_log(value, LOG_VALUE_MAX)
}

/// [`for_log`] with another limit (a message that quotes a value).
pub fn cut_for_log(value: &str, max: usize) -> String {
    let mut out: String = value.chars().take(max).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if value.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

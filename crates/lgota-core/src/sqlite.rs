//! How every SQLite file of the project is opened: the phone's record log and the central
//! server's database share one durability setting and one migration mechanism.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

/// Opens (creating if needed) `path` with WAL and `synchronous=FULL` (a committed write survives
/// a crash or a power cut), foreign keys on, a 5 s busy timeout, and `migrations` applied.
pub fn open<E>(path: impl AsRef<Path>, migrations: &'static [M<'static>]) -> Result<Connection, E>
where
    E: From<rusqlite::Error> + From<rusqlite_migration::Error>,
{
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Migrations::from_slice(migrations).to_latest(&mut conn)?;
    Ok(conn)
}

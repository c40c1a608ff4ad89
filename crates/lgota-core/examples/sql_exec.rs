//! Runs the SQL read from standard input against the SQLite file named by the first argument
//! (created if needed), with the SQLite this project bundles — newer than Debian's `sqlite3`,
//! which lacks functions the migrations use (`unixepoch('subsec')`). Used by
//! `scripts/make-upgrade-fixture.sh`.

use std::io::Read;

fn main() {
    let path = std::env::args().nth(1).expect("usage: sql_exec DB_FILE < SQL");
    let mut sql = String::new();
    std::io::stdin().read_to_string(&mut sql).expect("SQL on standard input");
    let conn = rusqlite::Connection::open(&path).expect("the database file");
    if let Err(e) = conn.execute_batch(&sql) {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    }
}

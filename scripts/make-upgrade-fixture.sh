#!/usr/bin/env bash
# Makes the upgrade fixtures of one release: a phone database and a central server database with
# the schema that release created (its own migration files, read from git at the release's commit
# or tag, applied in order with sqlite3 and `PRAGMA user_version` set as rusqlite_migration does)
# and realistic rows (scripts/upgrade-fixture/*-rows.sql), written as SQL text to
#   crates/lgota-core/tests/fixtures/upgrade/<version>.sql
#   crates/lgota-central/tests/fixtures/upgrade/<version>.sql
# The tests `tests/upgrade.rs` of both crates open every fixture with the current code.
#
# Usage: scripts/make-upgrade-fixture.sh VERSION COMMIT_OR_TAG
#   e.g. scripts/make-upgrade-fixture.sh 0.1.0 v0.1.0
# Run it once for each release when the release is tagged (CHANGELOG.md), and commit the .sql files.
set -euo pipefail

version=${1:?usage: $0 VERSION COMMIT_OR_TAG}
commit=${2:?usage: $0 VERSION COMMIT_OR_TAG}
root=$(git rev-parse --show-toplevel)
cd "$root"
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed for .dump (apt-get install sqlite3)" >&2; exit 1; }
git rev-parse --verify --quiet "$commit^{commit}" >/dev/null || { echo "no commit $commit" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The migrations need the SQLite the project bundles (Debian's sqlite3 is older); sqlite3 only dumps.
cargo build -q -p lgota-core --example sql_exec
exec_sql="${CARGO_TARGET_DIR:-$root/target}/debug/examples/sql_exec"

# make SIDE MIGRATIONS_DIR_AT_COMMIT ROWS OUT_DIR
make() {
    local side=$1 dir=$2 rows=$3 out=$4 db="$work/$1.db" n=0
    for f in $(git ls-tree --name-only "$commit" "$dir/" | grep '\.sql$' | sort); do
        # One transaction a migration, as rusqlite_migration applies them.
        { echo "BEGIN;"; git show "$commit:$f"; echo "COMMIT;"; } | "$exec_sql" "$db"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || { echo "no $side migrations under $dir at $commit" >&2; exit 1; }
    echo "PRAGMA user_version = $n;" | "$exec_sql" "$db"
    "$exec_sql" "$db" < "$rows"
    mkdir -p "$out"
    {
        echo "-- The $side database of release $version ($(git rev-parse --short "$commit")): its $n migrations"
        echo "-- and the rows of scripts/upgrade-fixture/$(basename "$rows"). Made by scripts/make-upgrade-fixture.sh."
        echo "PRAGMA user_version = $n;"
        sqlite3 -bail "$db" .dump
    } > "$out/$version.sql"
    echo "$out/$version.sql: schema version $n"
}

# The server's migrations moved once (crates/lgota-central/migrations → src/store/sqlite/migrations).
central_dir=$(git ls-tree -r --name-only "$commit" -- crates/lgota-central | grep '/001_central\.sql$' | xargs dirname)
make phone crates/lgota-core/src/migrations scripts/upgrade-fixture/phone-rows.sql crates/lgota-core/tests/fixtures/upgrade
make central "$central_dir" scripts/upgrade-fixture/central-rows.sql crates/lgota-central/tests/fixtures/upgrade

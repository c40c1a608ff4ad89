# A throwaway PostgreSQL cluster for the tests: sourced (by scripts/test.sh, or by hand), it sets
# LGOTA_TEST_POSTGRES_URL to a superuser's URL of a new cluster in a temporary directory on a
# free port of 127.0.0.1, and stops and deletes it when the shell exits (trap on EXIT; a script
# with a trap of its own calls pg_test_cluster_stop in it). Run as root, the cluster runs as the
# `postgres` user (initdb refuses root); otherwise as you. Needs Debian's postgresql (15 or newer).
#
#   . scripts/pg-test-cluster.sh && cargo test -p lgota-central --test store_contract
#
# With LGOTA_TEST_POSTGRES_URL already set (an existing server, a role allowed to CREATE
# DATABASE), nothing is started and that server is used.
#
# PG_TEST_CLUSTER_DURABLE=1 (the benchmarks' figures): the cluster as docs/deploy.md sets a
# region's server — fsync and synchronous commits on, a quarter of the memory for shared
# buffers, three quarters as the cache's estimate, max_wal_size=4GB — not the tests' fast
# settings.

pg_test_cluster_dir=""

pg_test_cluster_stop() {
  [ -n "$pg_test_cluster_dir" ] || return 0
  local dir="$pg_test_cluster_dir"
  pg_test_cluster_dir=""
  pg_test_cluster_as "$PG_TEST_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

pg_test_cluster_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_test_cluster_start() {
  if [ -n "${LGOTA_TEST_POSTGRES_URL:-}" ]; then
    echo "PostgreSQL for the tests: the server given in LGOTA_TEST_POSTGRES_URL"
    return 0
  fi
  PG_TEST_BIN="${PG_TEST_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
  if [ ! -x "$PG_TEST_BIN/initdb" ]; then
    echo "no PostgreSQL server binaries (apt-get install postgresql, or scripts/setup.sh --test)" >&2
    return 1
  fi
  pg_test_cluster_dir="$(mktemp -d /tmp/lgota-pg.XXXXXX)"
  trap pg_test_cluster_stop EXIT
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pg_test_cluster_dir"; fi
  chmod 700 "$pg_test_cluster_dir"
  pg_test_cluster_as "$PG_TEST_BIN/initdb" -D "$pg_test_cluster_dir/data" -A trust -U postgres -E UTF8 \
    --no-sync >/dev/null || return 1
  local port tries=0 settings
  # Tests only: no durability wanted (fsync off), enough connections for tests in parallel.
  settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [ -n "${PG_TEST_CLUSTER_DURABLE:-}" ]; then
    local mb
    mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
    settings="-c shared_buffers=$((mb / 4))MB -c effective_cache_size=$((mb * 3 / 4))MB -c max_wal_size=4GB"
  fi
  while :; do
    port=$((20000 + RANDOM % 40000))
    # Taken if something answers there.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if pg_test_cluster_as "$PG_TEST_BIN/pg_ctl" -D "$pg_test_cluster_dir/data" -w -l "$pg_test_cluster_dir/log" \
      -o "-p $port -k $pg_test_cluster_dir -c listen_addresses=127.0.0.1 $settings -c max_connections=300" \
      start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then
      cat "$pg_test_cluster_dir/log" >&2 || true
      return 1
    fi
  done
  export LGOTA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL for the tests: a throwaway cluster on 127.0.0.1:$port ($pg_test_cluster_dir; $settings)"
}

pg_test_cluster_start

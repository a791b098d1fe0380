#!/usr/bin/env bash
# The checkout benchmark beside its reference, in one run: pgbench's simple-update load
# (`pgbench -N -c 32 -j 2`) on this PostgreSQL, then `checkout_bench` (32 clients) against a
# release server on a freshly seeded database, once per line count.
#
# Usage: scripts/checkout_bench.sh [LINES ...]   (default: 1 3; COUNT=2000, CLIENTS=32,
# PGBENCH_SECS=20). Needs the release server (cargo leptos build --release).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x target/release/server ] || die "build the release server first (cargo leptos build --release)"
ensure_services
COUNT="${COUNT:-2000}" CLIENTS="${CLIENTS:-32}" PGBENCH_SECS="${PGBENCH_SECS:-20}"
ADDR=127.0.0.1:3104
log "building the checkout_bench example (release)"
cargo build -q --release -p server --example checkout_bench --features app/ssr

log "pgbench -N -c $CLIENTS -j 2 -T $PGBENCH_SECS (scale 10), the reference"
psql_admin -c "DROP DATABASE IF EXISTS mrdaebak_pgbench WITH (FORCE)" -c "CREATE DATABASE mrdaebak_pgbench" >/dev/null
pgbench -i -q -s 10 "$(database_url mrdaebak_pgbench)" >/dev/null 2>&1
pgbench -N -c "$CLIENTS" -j 2 -T "$PGBENCH_SECS" "$(database_url mrdaebak_pgbench)" 2>/dev/null |
  grep -E "^tps|latency average"
psql_admin -c "DROP DATABASE mrdaebak_pgbench WITH (FORCE)" >/dev/null

for lines in ${*:-1 3}; do
  db="mrdaebak_bench_$lines"
  psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\"" >/dev/null
  DATABASE_URL="$(database_url "$db")" LISTEN_ADDR="$ADDR" LEPTOS_SITE_ROOT=target/site \
    LEPTOS_ENV=PROD RUST_LOG=warn LIMIT_KEY_PREFIX="limit:bench-$$" \
    target/release/server >"target/bench-server-$lines.log" 2>&1 &
  pid=$!
  wait_for "server on $ADDR" 120 curl -fs "http://$ADDR/healthz"
  log "checkout_bench --clients $CLIENTS --count $COUNT --lines $lines"
  target/release/examples/checkout_bench --url "http://$ADDR" --clients "$CLIENTS" \
    --count "$COUNT" --lines "$lines"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
done

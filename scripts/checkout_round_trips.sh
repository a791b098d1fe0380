#!/usr/bin/env bash
# Counts the SQL statements one paid checkout sends to PostgreSQL (each is a round trip): a
# release server on a throwaway database logs every statement (sqlx::query at debug), a new
# customer signs up, and the statements logged during one checkout of N lines are counted.
#
# Usage: scripts/checkout_round_trips.sh [LINES ...]   (default: 1 3; needs target/release/server)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x target/release/server ] || die "build the release server first (cargo leptos build --release)"
ensure_services
DB=mrdaebak_round_trips
ADDR=127.0.0.1:3103
LOG=target/round-trips-server.log
psql_admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE \"$DB\"" >/dev/null
DATABASE_URL="$(database_url "$DB")" LISTEN_ADDR="$ADDR" LEPTOS_SITE_ROOT=target/site \
  LEPTOS_ENV=PROD RUST_LOG=warn,sqlx::query=debug LIMIT_KEY_PREFIX="limit:rt-$$" \
  target/release/server >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; psql_admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null' EXIT
wait_for "server on $ADDR" 60 curl -fs "http://$ADDR/healthz"

DINNERS=("chicken original" "valentine simple" "french simple" "english simple" "chicken spicy")
statements() { grep -c 'sqlx::query' "$LOG" || true; }
for n in ${*:-1 3}; do
  jar="$(mktemp)"
  curl -fs -c "$jar" -H 'content-type: application/json' "http://$ADDR/api/auth/signup" \
    -d "{\"email\":\"rt-$n-$$@daebak.test\",\"password\":\"round-trips-1234\",\"name\":\"RT\",\"phone\":\"010-0000-0000\"}" >/dev/null
  items=""
  for ((i = 0; i < n; i++)); do
    read -r menu style <<<"${DINNERS[$i]}"
    items+="${items:+,}{\"menu\":\"$menu\",\"style\":\"$style\",\"quantity\":1}"
  done
  sleep 0.5
  before="$(statements)"
  curl -fs -b "$jar" -H 'content-type: application/json' "http://$ADDR/api/checkout/checkout" \
    -d "{\"order\":{\"store\":\"gangnam\",\"lines\":[$items],\"delivery\":{\"address\":\"서울 강남구 테헤란로 152\",\"recipient\":\"RT\",\"phone\":\"010-0000-0000\"}},\"payment\":{\"number\":\"4242 4242 4242 4242\",\"expiry\":\"12/39\",\"cvv\":\"123\",\"holder\":\"RT\"}}" >/dev/null ||
    die "the checkout of $n lines failed (see $LOG)"
  sleep 0.5
  echo "checkout of $n line(s): $(($(statements) - before)) SQL statements"
  rm -f "$jar"
done

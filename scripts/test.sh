#!/usr/bin/env bash
# Every check the project has: formatting, clippy (server and browser feature sets), Rust unit
# and integration tests against real PostgreSQL and Redis, then Playwright against a release build.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"

E2E_DB="${E2E_DB:-mrdaebak_e2e}"
E2E_ADDR="${E2E_ADDR:-127.0.0.1:3100}"
step() { log "$*"; STEP_START=$(date +%s); }
done_step() { log "…done in $(( $(date +%s) - STEP_START ))s"; }

step "cargo fmt --check"
cargo fmt --all -- --check
done_step

step "clippy: server side (ssr)"
cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
done_step

step "clippy: browser side (hydrate, wasm32)"
cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown --all-targets -- -D warnings
done_step

# Each integration test makes its own database; drop them before (leftovers of interrupted
# runs) and after.
drop_test_databases() {
  for db in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'mrdaebak\_t\_%'"); do
    psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  done
}
drop_test_databases

step "Rust tests: app (ssr) and server (PostgreSQL + Redis)"
cargo test -p app --features ssr
cargo test -p server
drop_test_databases
done_step

step "release build (cargo leptos build --release)"
cargo leptos build --release
done_step
wasm="$(ls target/site/pkg/*.wasm)"
log "release WASM: $(stat -c %s "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip"

step "Playwright against the release server on $E2E_ADDR"
psql_admin -c "DROP DATABASE IF EXISTS \"$E2E_DB\" WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE \"$E2E_DB\"" >/dev/null
DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$E2E_DB" LISTEN_ADDR="$E2E_ADDR" \
  LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
  target/release/server >target/e2e-server.log 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs "http://$E2E_ADDR/healthz" >/dev/null && break
  kill -0 $SERVER_PID 2>/dev/null || { cat target/e2e-server.log; die "server exited"; }
  sleep 0.5
done
curl -fs "http://$E2E_ADDR/healthz" >/dev/null || { cat target/e2e-server.log; die "server not healthy"; }
(cd end2end && BASE_URL="http://$E2E_ADDR" npx playwright test)
done_step
log "all tests passed"

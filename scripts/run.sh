#!/usr/bin/env bash
# Installs what is missing, fetches the models, starts PostgreSQL and Redis, builds and serves
# the app on http://127.0.0.1:3000 (set LEPTOS_SITE_ADDR to change it) with the ai-worker
# beside it. Ctrl-C stops both.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/models.sh"
cd "$ROOT"
export LEPTOS_ENV="${LEPTOS_ENV:-PROD}"
log "building the ai-worker (release)"
cargo build --release -p ai-worker -p ai-worker-stt --bins
target/release/ai-worker serve &
WORKER_PID=$!
# SIGTERM lets the worker finish its current job; it stops its STT child itself.
trap 'kill -TERM $WORKER_PID 2>/dev/null || true; wait $WORKER_PID 2>/dev/null || true' EXIT
log "building and serving (release) — the menu will be at http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}/menu"
cargo leptos serve --release

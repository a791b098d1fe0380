#!/usr/bin/env bash
# Installs what is missing, starts PostgreSQL and Redis, builds and serves the app
# on http://127.0.0.1:3000 (set LEPTOS_SITE_ADDR to change it). Ctrl-C stops it.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
export DATABASE_URL="${DATABASE_URL:-postgres://$PG_USER@$PG_HOST:$PG_PORT/$APP_DB}"
export LEPTOS_ENV="${LEPTOS_ENV:-PROD}"
log "building and serving (release) — the menu will be at http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}/menu"
exec cargo leptos serve --release

# Shared helpers for the project's scripts. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# cargo's tools first, then the npm wasm-opt (Debian's binaryen 108 breaks the release WASM).
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Spinning OpenMP threads starve everything else on a 2-core machine.
export OMP_WAIT_POLICY=PASSIVE

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The services every script, the server and the worker use: DATABASE_URL and REDIS_URL from the
# environment, else from .env (its first line for each, as the server's dotenvy reads it), else
# the local defaults; a missing DATABASE_URL is built from PG_USER, PG_HOST, PG_PORT and APP_DB.
# Those four are then set from the URL for psql, and both URLs are exported, so every program
# the scripts start agrees.
#   PG_BIN_DIR, PG_DATA_DIR  run a private PostgreSQL from these binaries and this data
#                            directory (made if new) instead of the system's cluster
dotenv_value() {
  local line
  line="$(grep -m 1 -E "^[[:space:]]*(export[[:space:]]+)?$1=" "$ROOT/.env" 2>/dev/null)" || return 0
  line="${line#*=}"
  case "$line" in \"*\" | \'*\') line="${line:1:${#line}-2}" ;; esac
  printf '%s' "$line"
}

# parse_url URL: sets URL_BASE (scheme://[userinfo@]host[:port]), URL_USER, URL_PASSWORD,
# URL_HOST (no IPv6 brackets), URL_PORT, URL_PATH (without its slash) and URL_QUERY (with its ?).
parse_url() {
  local re='^([a-z][a-z0-9+.-]*://(([^:@/]*)(:([^@/]*))?@)?(\[[^]/]*\]|[^:/?#]*)(:([0-9]*))?)(/([^?#]*))?([?#].*)?$'
  [[ "$1" =~ $re ]] || die "not a URL: $1"
  URL_BASE="${BASH_REMATCH[1]}" URL_USER="${BASH_REMATCH[3]}" URL_PASSWORD="${BASH_REMATCH[5]}"
  URL_HOST="${BASH_REMATCH[6]}" URL_PORT="${BASH_REMATCH[8]}" URL_PATH="${BASH_REMATCH[10]}"
  URL_QUERY="${BASH_REMATCH[11]}"
  URL_HOST="${URL_HOST#[}" URL_HOST="${URL_HOST%]}"
}

DATABASE_URL="${DATABASE_URL:-$(dotenv_value DATABASE_URL)}"
DATABASE_URL="${DATABASE_URL:-postgres://${PG_USER:-postgres}@${PG_HOST:-127.0.0.1}:${PG_PORT:-5432}/${APP_DB:-mrdaebak}}"
parse_url "$DATABASE_URL"
PG_HOST="${URL_HOST:-127.0.0.1}" PG_PORT="${URL_PORT:-5432}"
PG_USER="${URL_USER:-${PG_USER:-postgres}}" APP_DB="${URL_PATH:-${APP_DB:-mrdaebak}}"
PG_URL_BASE="$URL_BASE" PG_URL_QUERY="$URL_QUERY"
# psql takes the password from here; the URL's wins over one already set.
if [ -n "$URL_PASSWORD" ]; then export PGPASSWORD="$URL_PASSWORD"; fi

REDIS_URL="${REDIS_URL:-$(dotenv_value REDIS_URL)}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
parse_url "$REDIS_URL"
REDIS_HOST="${URL_HOST:-127.0.0.1}" REDIS_PORT="${URL_PORT:-6379}" REDIS_PASSWORD="$URL_PASSWORD"
export DATABASE_URL REDIS_URL

# database_url NAME: DATABASE_URL with another database on the same server.
database_url() { printf '%s/%s%s' "$PG_URL_BASE" "$1" "$PG_URL_QUERY"; }

# Only a service on this machine can be started here.
is_local_host() { case "$1" in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac; }

# wait_for WHAT TRIES COMMAND...: runs COMMAND every half second until it succeeds, or dies.
wait_for() {
  local what="$1" tries="$2"
  shift 2
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return
    sleep 0.5
  done
  die "$what did not start"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root for: $*"; fi
}

APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
# Not `redis-cli -u`: it sends an empty user name for redis://:password@host.
redis_up() {
  local auth=()
  if [ -n "$REDIS_PASSWORD" ]; then auth=(env "REDISCLI_AUTH=$REDIS_PASSWORD"); fi
  [ "$("${auth[@]}" redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

# Makes sure PostgreSQL runs at DATABASE_URL's host and port, with trust auth on loopback.
ensure_postgres() {
  if pg_up 2>/dev/null; then return; fi
  is_local_host "$PG_HOST" || die "PostgreSQL at $PG_HOST:$PG_PORT is not reachable"
  if [ -n "${PG_BIN_DIR:-}" ]; then start_private_postgres; else start_system_postgres; fi
  wait_for "PostgreSQL on $PG_HOST:$PG_PORT" 60 pg_up
}

# Debian's cluster, installed first if need be, on PG_PORT.
start_system_postgres() {
  local fresh=""
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql postgresql-client
    fresh=1
  fi
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  if [ -n "$fresh" ]; then
    # A fresh Debian cluster asks for passwords on TCP; this is a local development database.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting PostgreSQL $version on port $PG_PORT"
  # On a port other than the cluster's own, pg_ctlcluster reports a failure although the server
  # runs: ensure_postgres's wait decides.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start -- -o "-p $PG_PORT" || true
}

# postgres refuses to run as root: root runs it as PG_OS_USER (default pgrun, made if missing).
as_pg_owner() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  local user="${PG_OS_USER:-pgrun}"
  id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
  runuser -u "$user" -- env LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" "$@"
}

# A cluster of PG_BIN_DIR's binaries in PG_DATA_DIR (initialised if empty), for machines
# without the Debian packages; its socket stays in its data directory.
start_private_postgres() {
  local data="${PG_DATA_DIR:?PG_BIN_DIR needs PG_DATA_DIR}" out
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initdb $data"
    mkdir -p "$data"
    as_pg_owner test -w "$data" || chown "${PG_OS_USER:-pgrun}" "$data"
    out="$(as_pg_owner "$PG_BIN_DIR/initdb" -D "$data" -U "$PG_USER" --auth=trust --locale=C \
      -E UTF8 2>&1)" || die "initdb failed: $(tail -n 20 <<<"$out")"
  fi
  log "starting PostgreSQL from $PG_BIN_DIR on $PG_HOST:$PG_PORT"
  as_pg_owner "$PG_BIN_DIR/pg_ctl" -D "$data" -w -l "$data/server.log" \
    -o "-p $PG_PORT -k $data -c listen_addresses=$PG_HOST" start >/dev/null ||
    die "PostgreSQL did not start: $(tail -n 20 "$data/server.log" 2>/dev/null)"
}

# Redis at REDIS_URL's port, from the redis-server on PATH (installed if there is none).
ensure_redis() {
  if redis_up; then return; fi
  is_local_host "$REDIS_HOST" || die "Redis at $REDIS_HOST:$REDIS_PORT is not reachable"
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server redis-tools
  fi
  log "starting Redis on port $REDIS_PORT"
  local auth=()
  if [ -n "$REDIS_PASSWORD" ]; then auth=(--requirepass "$REDIS_PASSWORD"); fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/mrdaebak.log "${auth[@]}"
  wait_for "Redis on $REDIS_HOST:$REDIS_PORT" 20 redis_up
}

ensure_database() {
  local name="$1"
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    log "creating database $name"
    psql_admin -c "CREATE DATABASE \"$name\""
  fi
}

ensure_services() {
  ensure_postgres
  ensure_redis
  ensure_database "$APP_DB"
}

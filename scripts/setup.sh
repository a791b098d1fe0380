#!/usr/bin/env bash
# Installs what building, running and testing need, skipping whatever is already there.
# Everything comes from the package registries (Debian, crates.io, npm); nothing is downloaded
# from elsewhere.
source "$(dirname "$0")/lib.sh"

CARGO_LEPTOS_VERSION=0.3.11

need_apt=()
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v curl >/dev/null || need_apt+=(curl)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v redis-cli >/dev/null || need_apt+=(redis-tools)
# The ai-worker builds llama.cpp and whisper.cpp (cmake, bindgen's libclang) and decodes Opus
# with libopus; the voice tests make their recordings with espeak-ng, sox and ffmpeg.
command -v cmake >/dev/null || need_apt+=(cmake)
command -v clang >/dev/null || need_apt+=(clang)
[ -n "$(ls /usr/lib/llvm-*/lib/libclang.so 2>/dev/null)" ] || need_apt+=(libclang-dev)
[ -f /usr/include/opus/opus.h ] || need_apt+=(libopus-dev)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
command -v sox >/dev/null || need_apt+=(sox)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
if [ "${#need_apt[@]}" -gt 0 ]; then apt_install "${need_apt[@]}"; fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 18 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WBG_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$WBG_VERSION" ] || die "wasm-bindgen not found in Cargo.lock"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WBG_VERSION\b"; then
  log "installing wasm-bindgen-cli $WBG_VERSION"
  cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

# sqlx-cli regenerates and checks the checked queries' offline data (.sqlx/) against a migrated
# database; it is kept at the version of the sqlx crate in Cargo.lock. No default features: only
# PostgreSQL, and rustls (the CLI needs a TLS feature to have a runtime at all).
SQLX_VERSION="$(awk '/^name = "sqlx"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$SQLX_VERSION" ] || die "sqlx not found in Cargo.lock"
if ! sqlx --version 2>/dev/null | grep -q " $SQLX_VERSION\b"; then
  log "installing sqlx-cli $SQLX_VERSION (a few minutes, once)"
  cargo install sqlx-cli --version "$SQLX_VERSION" --locked --no-default-features --features postgres,rustls
fi

# Playwright and the npm binaryen whose wasm-opt we build with.
if [ ! -f "$ROOT/end2end/node_modules/.package-lock.json" ] ||
  [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  log "npm ci (end2end)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi
wasm-opt --version | grep -q "version 1[1-9][0-9]" || die "wasm-opt from end2end/node_modules is missing"

ensure_services
log "setup complete"

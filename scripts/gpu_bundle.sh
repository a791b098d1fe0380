#!/usr/bin/env bash
# Packs what scripts/gpu_bench.sh needs on a GPU machine that has the NVIDIA driver and CUDA 13
# libraries but nothing of ours and no network: the `cuda` ai-worker and ai-worker-stt
# (scripts/cuda_build.sh), the debug server, PostgreSQL, Redis and curl from this machine with
# the libraries they load, the models and the voice samples. The device tool carries at most
# 64 MiB a call, so the pack is cut into pieces: target/gpu-bundle/pNN, each named in one call's
# `carry`; gpu_bench.sh joins them and checks the sha256 written in target/gpu-bundle/SHA256.
# Usage: scripts/gpu_bundle.sh   (after cuda_build.sh, `cargo build -p server --features app/ssr`,
#        models.sh and make_voice_samples.sh)
source "$(dirname "$0")/lib.sh"

CUDA_BIN="${CUDA_BIN:-$ROOT/target/cuda/release}"
OUT_DIR="$ROOT/target/gpu-bundle"
PIECE_BYTES="${PIECE_BYTES:-62914560}"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
B="$STAGE/gpu"
mkdir -p "$B/bin" "$B/lib" "$B/syslib" "$B/samples"

# Libraries a binary loads, less the C runtime and the CUDA libraries the GPU machine brings.
copy_libs() {
  ldd "$@" | awk '/=> \//{print $3}' | sort -u |
    grep -Ev '/(libc|libm|libdl|librt|libpthread|libresolv|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so' |
    grep -Ev '/lib(cuda|cudart|cublas|cublasLt|llama|ggml[a-z-]*|mtmd)\.so' |
    while read -r lib; do cp -L "$lib" "$B/syslib/"; done
}

log "binaries and the llama.cpp libraries"
cp "$CUDA_BIN/ai-worker" "$CUDA_BIN/ai-worker-stt" "$B/bin/"
# The .so files beside the binaries are links into the -sys build: take the newest build's files.
LLAMA_LIBS="$(ls -dt "$CUDA_BIN"/build/llama-cpp-sys-2-*/out/lib | head -1)"
cp -L "$LLAMA_LIBS"/lib*.so.0 "$B/lib/"
cp "$ROOT/target/debug/server" "$B/bin/"
strip "$B/bin/server"
PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")"
PG_VERSION="$(basename "$(dirname "$PG_BIN")")"
# The PostgreSQL tree keeps its layout: postgres finds share/ and lib/ relative to its bin/.
mkdir -p "$B/pg/usr/lib/postgresql" "$B/pg/usr/share/postgresql"
cp -a "/usr/lib/postgresql/$PG_VERSION" "$B/pg/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$PG_VERSION" "$B/pg/usr/share/postgresql/"
cp -a /usr/share/zoneinfo "$B/zoneinfo"
# redis-server decides what it is from its own name, so it keeps that name.
cp -L "$(command -v redis-server)" "$B/bin/redis-server"
# lib.sh's ensure_services checks the services with these (psql and pg_isready are in PG_BIN).
cp -L "$(command -v redis-cli)" "$B/bin/redis-cli"
cp -L "$(command -v curl)" "$B/bin/curl"
copy_libs "$B/bin/ai-worker" "$B/bin/ai-worker-stt" "$B/bin/server" "$B/bin/redis-server" \
  "$B/bin/redis-cli" "$B/bin/curl" "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_ctl" \
  "$PG_BIN/psql" "$PG_BIN/pg_isready"

log "voice samples and the dev set"
for f in short_3s.wav long_10s.wav en_order.wav; do
  cp "$ROOT/target/voice-samples/$f" "$B/samples/" || die "run scripts/make_voice_samples.sh first"
done
cp "${VOICE_EVAL_DEV:-${SHARED_DIR:-$ROOT/../shared}/voice-eval/dev.jsonl}" "$B/samples/dev.jsonl"

log "pack (xz) with the models"
tar -C "$STAGE" -cf - gpu | xz -T2 -6 >"$STAGE/gpu.tar.xz"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
tar -C "$STAGE" -cf - gpu.tar.xz -C "$ROOT" models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf models/ggml-base.bin |
  split -b "$PIECE_BYTES" -d -a 2 - "$OUT_DIR/p"
cat "$OUT_DIR"/p?? | sha256sum | cut -d' ' -f1 >"$OUT_DIR/SHA256"
ls -la "$OUT_DIR"
log "$(ls "$OUT_DIR"/p?? | wc -l) pieces; carry target/gpu-bundle/pNN (and SHA256 with p00)"

#!/usr/bin/env bash
# The benchmarks of the README on a GPU machine with the `cuda` build: STT real-time factor
# (3 s and 10 s clips), LLM tokens/s with and without the grammar, the evaluation sets, and
# upload → priced preview through the server, p50 over RUNS runs. Runs from the repository root
# on a machine with the NVIDIA driver and CUDA 13 libraries and nothing else of ours: the pieces
# of scripts/gpu_bundle.sh, gathered in STAGE, bring the binaries, PostgreSQL, Redis and models.
# Usage: scripts/gpu_bench.sh   (RUNS default 20; BENCH_DIR default /opt: the bundle unpacks
#        into BENCH_DIR/gpu, and the pieces are read from STAGE, default BENCH_DIR/gpu-stage)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/opt}"
STAGE="${STAGE:-$BENCH_DIR/gpu-stage}"
RUNS="${RUNS:-20}"
G="$BENCH_DIR/gpu"
say() { printf '\n=== %s\n' "$*"; }
unxz() { xz -dc "$1" 2>/dev/null || python3 -c 'import lzma, shutil, sys
shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }

if [ ! -x "$G/bin/ai-worker" ]; then
  say "joining $(ls "$STAGE"/p?? | wc -l) pieces"
  got="$(cat "$STAGE"/p?? | sha256sum | cut -d' ' -f1)"
  [ "$got" = "$(cat "$STAGE/SHA256")" ] || { echo "sha256 $got does not match $STAGE/SHA256"; exit 1; }
  unpack="$BENCH_DIR/gpu-unpack"
  mkdir -p "$unpack"
  cat "$STAGE"/p?? | tar -C "$unpack" -xf - || exit 1
  unxz "$unpack/gpu.tar.xz" | tar -C "$BENCH_DIR" -xf - || exit 1
  mv "$unpack/models" "$G/models"
  rm -rf "$unpack"
fi

say "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nproc
# The CUDA 13 runtime and cuBLAS of this machine (a toolkit, or the Python wheels).
CUDA_LIBS="$(find /usr/local /opt /usr/lib -name 'libcublas.so.13' 2>/dev/null | sort | head -1 | xargs -r dirname)"
echo "CUDA libraries: $CUDA_LIBS"
# The bundled Debian libraries come last, so they only fill what the machine lacks; the workers
# need them too (ai-worker starts ai-worker-stt, which inherits this path).
export LD_LIBRARY_PATH="$G/lib:$CUDA_LIBS:$G/syslib"
export PATH="$G/bin:$PATH"
for b in ai-worker ai-worker-stt server redis-server; do
  ldd "$G/bin/$b" | grep 'not found' | sed "s/^/$b: /"
done
export LLM_MODEL="$G/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
export WHISPER_MODEL="$G/models/ggml-base.bin"
cd "$ROOT"

say "STT: ai-worker-stt bench (whisper base, GPU)"
ai-worker-stt bench "$G/samples/short_3s.wav" "$G/samples/long_10s.wav" --runs 5 --language en 2>&1 |
  grep -v '^whisper_\|^ggml_\|^load_backend'
say "LLM: ai-worker bench --runs 10 (Qwen2.5-Coder 0.5B Q4_K_M, all layers on the GPU)"
RUST_LOG=warn ai-worker bench --runs 10 2>&1 | grep -v '^llama_\|^ggml_\|^load_\|^print_info'
say "answers of the GPU build: dev, own and sessions sets"
for set in "$G/samples/dev.jsonl" ai-worker/eval/own.jsonl ai-worker/eval/sessions.jsonl; do
  echo "$set"
  RUST_LOG=warn ai-worker eval "$set" 2>&1 | grep -E '^(all|en|ko) '
done

say "end to end through the server"
[ -d /usr/share/zoneinfo ] || cp -a "$G/zoneinfo" /usr/share/zoneinfo
# PostgreSQL runs as another user (lib.sh's PG_OS_USER), which must reach the bundled binaries.
chmod 755 "$BENCH_DIR" "$G"
pg_bin="$(ls -d "$G"/pg/usr/lib/postgresql/*/bin)"
# Ports of our own, apart from anything else on the machine.
export DATABASE_URL=postgres://postgres@127.0.0.1:5433/mrdaebak REDIS_URL=redis://127.0.0.1:6390
# lib.sh starts the bundled PostgreSQL and Redis, in a shell of its own so that its `set -e`,
# PATH and OpenMP settings stay out of the benchmarks; they load only the bundled libraries.
PATH="$pg_bin:$PATH" LD_LIBRARY_PATH="$G/syslib" PG_BIN_DIR="$pg_bin" PG_DATA_DIR="$BENCH_DIR/pgdata" \
  bash -c 'source "$1/scripts/lib.sh" && ensure_services' _ "$ROOT" || exit 1
mkdir -p target/site
LISTEN_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
  server >"$BENCH_DIR/server.log" 2>&1 &
RUST_LOG=info ai-worker serve >"$BENCH_DIR/worker.log" 2>&1 &
for _ in $(seq 1 120); do
  grep -q "taking jobs" "$BENCH_DIR/worker.log" && curl -fs http://127.0.0.1:3300/healthz >/dev/null && break
  sleep 0.5
done
grep -q "taking jobs" "$BENCH_DIR/worker.log" || { tail -20 "$BENCH_DIR/worker.log" "$BENCH_DIR/server.log"; exit 1; }
scripts/voice_bench.sh http://127.0.0.1:3300 "$RUNS" "$G/samples/en_order.wav"
grep -m3 'job done\|took' "$BENCH_DIR/worker.log"

#!/usr/bin/env bash
# Worker start-up: the time from starting `ai-worker serve` to its answer to the first job,
# first with no saved prompt state (a first start), then with the state that start saved (a
# restart), RUNS restarts in all. Needs Redis on REDIS_URL and a built ai-worker.
# Usage: scripts/worker_start_bench.sh [AI_WORKER_BIN] [RUNS]   (LLM_MODEL selects the model)
source "$(dirname "$0")/lib.sh"
bin="${1:-$ROOT/target/debug/ai-worker}"
runs="${2:-3}"
[ -x "$bin" ] || die "$bin is missing: cargo build -p ai-worker"
redis_url="$REDIS_URL"
state_dir="$(mktemp -d)"
queue="bench:llm:$$"
log_file="$state_dir/worker.log"
trap 'rm -rf "$state_dir"' EXIT
cd "$ROOT"

# One analysis job in the wire format (ai-protocol's LlmJob), for the seeded menu.
job_json() {
  python3 - "$1" "$ROOT/ai-worker/eval/menu.json" <<'PY'
import json, sys, time
print(json.dumps({
    "request_id": sys.argv[1], "transcript": "치킨 디너 매운 맛으로 두 개 주세요",
    "language": "ko", "order_state": None, "user_history": [], "events": [],
    "menu": json.load(open(sys.argv[2])), "deadline_ms": int(time.time() * 1000) + 600_000,
}))
PY
}

# Starts a worker, waits for its answer to one job, stops it; prints the milliseconds.
one_start() {
  local id pid start
  id="bench-$$-$(date +%s%N)"
  redis-cli -u "$redis_url" LPUSH "$queue" "$(job_json "$id")" >/dev/null
  start=$(date +%s%N)
  LLM_STATE_DIR="$state_dir/prompt-state" RUST_LOG=info "$bin" serve --no-stt --llm-queue "$queue" \
    >"$log_file" 2>&1 &
  pid=$!
  until [ -n "$(redis-cli -u "$redis_url" GET "ai:result-store:$id")" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log_file" >&2; die "ai-worker exited"; }
    sleep 0.05
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  redis-cli -u "$redis_url" DEL "ai:result-store:$id" >/dev/null
}

model="${LLM_MODEL:-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}"
ms="$(one_start)"
printf 'first start (prompt evaluated): %6d ms to the first answer  [%s]\n' "$ms" "$(basename "$model")"
grep -q "menu prompt evaluated" "$log_file" || die "the first start did not evaluate the prompt"
times=()
for i in $(seq 1 "$runs"); do
  ms="$(one_start)"
  grep -q "loaded from the saved state" "$log_file" || die "restart $i did not load the saved state"
  times+=("$ms")
  printf 'restart %d (state loaded):      %6d ms to the first answer\n' "$i" "$ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "restart p50 ${sorted[$(( ${#sorted[@]} / 2 ))]} ms over $runs restarts, state $(du -sh "$state_dir/prompt-state" | cut -f1)"

#!/usr/bin/env bash
# Voice understanding per model: `ai-worker eval` over the typed sets with each model that
# scripts/models.sh fetched, then one table of exact match (all, ko, en) and median latency.
# Run it on a quiet machine: the latencies are only comparable within one run.
#   scripts/voice_models.sh [SET.jsonl ...]   (default: shared dev, test split, test sessions)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ai_worker="${AI_WORKER_BIN:-target/debug/ai-worker}"
[ -x "$ai_worker" ] || die "$ai_worker not built: cargo build -p ai-worker -p ai-worker-stt --bins"
dev_set="${VOICE_EVAL_DEV:-$ROOT/../shared/voice-eval/dev.jsonl}"
sets=("$@")
[ "${#sets[@]}" -gt 0 ] || sets=("$dev_set" ai-worker/eval/test.jsonl ai-worker/eval/test_sessions.jsonl)
models=(models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rows=()
for model in "${models[@]}"; do
  if [ ! -f "$model" ]; then
    log "$model missing (scripts/models.sh 1.5b fetches the larger one): skipped"
    continue
  fi
  for set in "${sets[@]}"; do
    log "$(basename "$model") on $set"
    report="$out/report.txt"
    LLM_MODEL="$model" "$ai_worker" eval "$set" >"$report" 2>"$out/log.txt" ||
      die "ai-worker eval failed: $(tail -3 "$out/log.txt")"
    # The summary lines of `ai-worker eval`: "all  n=104 exact  71.2% (74/104)  median 2214 ms …".
    pick() { awk -v k="$1" '$1 == k { for (i = 1; i <= NF; i++) if ($i == "exact") print $(i + 1) }' "$report"; }
    median="$(awk '$1 == "all" { for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1) }' "$report")"
    rows+=("$(printf '| %s | %s | %s | %s | %s | %s ms |' "$(basename "$model" .gguf)" "$(basename "$set")" \
      "$(pick all)" "$(pick ko)" "$(pick en)" "$median")")
  done
done

printf '\n| model | set | exact | ko | en | median |\n|---|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"

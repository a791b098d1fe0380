#!/usr/bin/env bash
# Speech recognition per recording condition: records SET under every condition of
# make_voice_samples.sh, runs `ai-worker-stt score` on each, and prints one table of character
# error rate, menu names heard and amounts heard, per language. Extra settings to compare are
# given as environment assignments, one run each (default: whatever the environment says).
#   scripts/stt_conditions.sh [SET.jsonl] [SETTINGS ...]
#   scripts/stt_conditions.sh ai-worker/eval/test.jsonl "WHISPER_BIAS=0" "WHISPER_BIAS=4"
# Run it on a quiet machine if the whisper times matter; the error rates do not depend on load.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

stt="${AI_WORKER_STT:-target/debug/ai-worker-stt}"
[ -x "$stt" ] || die "$stt not built: cargo build -p ai-worker-stt --bins"
set_file="${1:-ai-worker/eval/test.jsonl}"
shift || true
settings=("$@")
[ "${#settings[@]}" -gt 0 ] || settings=("")
name="$(basename "$set_file" .jsonl)"
samples="${VOICE_SAMPLES_DIR:-$ROOT/target/voice-samples}/eval-$name"

rows=()
for condition in espeak espeak-var noisy echo piper; do
  "$ROOT/scripts/make_voice_samples.sh" eval "$set_file" "$samples" "$condition" >&2
  index="$samples/index.jsonl"
  [ "$condition" = espeak ] || index="$samples/$condition/index.jsonl"
  for setting in "${settings[@]}"; do
    log "$condition ${setting:-(environment)}"
    # The setting is one NAME=VALUE word, passed through env so nothing is evaluated.
    report="$(env ${setting:+"$setting"} "$stt" score "$index")" || die "ai-worker-stt score failed on $index"
    # "ko   clips=56   CER  66.9%  names  38.9% (63/162)  numbers   5.3% (4/76)  whisper median 2047 ms"
    while read -r lang clips _ cer _ names named _ numbers counted _ _ ms _; do
      rows+=("| $condition | ${setting:-default} | $lang | ${clips#clips=} | $cer | $names $named | $numbers $counted | $ms ms |")
    done < <(grep -E '^(ko|en) ' <<<"$report")
  done
done

printf '\n| condition | setting | lang | clips | CER | names heard | amounts heard | whisper median |\n'
printf '|---|---|---|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"

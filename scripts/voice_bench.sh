#!/usr/bin/env bash
# End-to-end voice latency: upload a recording to /api/voice/stt, send the transcript to
# /api/voice/analyze, until the priced preview is back. Prints each run and the p50.
# Usage: scripts/voice_bench.sh [URL] [RUNS] [FILE]   (a server and an ai-worker must be running)
source "$(dirname "$0")/lib.sh"
url="${1:-http://127.0.0.1:3000}"
runs="${2:-20}"
file="${3:-$ROOT/target/voice-samples/en_order.wav}"
[ -f "$file" ] || die "$file is missing: run scripts/make_voice_samples.sh"
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  transcript=$(curl -fsS -m 120 -H 'content-type: audio/wav' --data-binary "@$file" \
    "$url/api/voice/stt?language=en" | python3 -c 'import json,sys; print(json.load(sys.stdin)["transcript"])')
  body=$(python3 -c 'import json,sys; print(json.dumps({"transcript": sys.argv[1]}))' "$transcript")
  priced=$(curl -fsS -m 120 -H 'content-type: application/json' -d "$body" "$url/api/voice/analyze" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["analysis"]["menu"], d["analysis"]["quantity"], ((d.get("quote") or {}).get("pricing") or {}).get("final_price", "-"))')
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  times+=("$ms")
  printf 'run %2d: %6d ms  %s | %s\n' "$i" "$ms" "$transcript" "$priced"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "p50 ${sorted[$(( ${#sorted[@]} / 2 ))]} ms over $runs runs (upload → transcript → priced preview)"

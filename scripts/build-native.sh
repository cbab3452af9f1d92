#!/usr/bin/env bash
# Builds the project's native libraries (src/main/native, one CMake project) against an installed torch.
# Torch: $LIBTORCH (a folder with include/ and lib/: a libtorch archive, /usr for Debian's libtorch-dev),
# else the python3 torch package. Output: $BUILD_DIR (default target/native)/libdjl_torch.so, and with
# -DINFERLESS_LLM_OPS=ON (CUDA) libllm_ops.so. Extra arguments go to CMake's configure step, e.g.
#   scripts/build-native.sh -DINFERLESS_LLM_OPS=ON -DCMAKE_CUDA_ARCHITECTURES="80;90a"
# Env: JNI_INCLUDE (dir with jni.h; default: the include dir of the JDK that has javac), BUILD_DIR,
# BUILD_TARGETS (default: all).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/target/native}"

torch_dir="${LIBTORCH:-$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')}"
args=(-S "$root/src/main/native" -B "$build" -DCMAKE_BUILD_TYPE=Release "-DTORCH_DIR=$torch_dir")
command -v ninja >/dev/null && args+=(-G Ninja)
if [[ -z "${JNI_INCLUDE:-}" ]]; then
  javac_path="$(command -v javac || true)"
  [[ -n "$javac_path" ]] && JNI_INCLUDE="$(dirname "$(dirname "$(readlink -f "$javac_path")")")/include"
fi
[[ -n "${JNI_INCLUDE:-}" ]] && args+=("-DJNI_INCLUDE=$JNI_INCLUDE")

cmake "${args[@]}" "$@"
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
echo "built: $(cd "$build" && ls libdjl_torch.so libllm_ops.so fast_check 2>/dev/null | tr '\n' ' ')"

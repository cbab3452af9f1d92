#!/usr/bin/env bash
# Builds the project's JNI libraries (src/main/native) against an installed libtorch.
# Torch: $LIBTORCH (a libtorch directory), else the python3 torch install.
# Output: $BUILD_DIR (default target/native)/libdjl_torch.so
# Env: JNI_INCLUDE (dir with jni.h; default: the include dir of the JDK that has javac), BUILD_DIR, TORCH_CMAKE=0 to skip
# find_package(Torch) and use plain include/lib paths.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/target/native}"

if [[ -n "${LIBTORCH:-}" ]]; then
  torch_root="$LIBTORCH"
  prefix="$LIBTORCH"
else
  torch_root="$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')"
  prefix="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')"
fi

args=(-S "$root/src/main/native" -B "$build" -DCMAKE_BUILD_TYPE=Release)
command -v ninja >/dev/null && args+=(-G Ninja)
if [[ -z "${JNI_INCLUDE:-}" ]]; then
  javac_path="$(command -v javac || true)"
  [[ -n "$javac_path" ]] && JNI_INCLUDE="$(dirname "$(dirname "$(readlink -f "$javac_path")")")/include"
fi
[[ -n "${JNI_INCLUDE:-}" ]] && args+=("-DJNI_INCLUDE=$JNI_INCLUDE")
# Our sources hold no CUDA kernels yet; torch's CMake config still wants an arch list.
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0a}"

configure_with_cmake_config() {
  cmake "${args[@]}" "-DCMAKE_PREFIX_PATH=$prefix"
}
configure_with_paths() {
  rm -rf "$build"
  cmake "${args[@]}" "-DINFERLESS_TORCH_ROOT=$torch_root"
}
if [[ "${TORCH_CMAKE:-1}" == 1 ]] && configure_with_cmake_config; then
  echo "configured with torch's CMake config ($prefix)"
else
  echo "configuring with plain paths ($torch_root)"
  configure_with_paths
fi
cmake --build "$build" -j "$(nproc)"
echo "built $build/libdjl_torch.so"

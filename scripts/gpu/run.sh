#!/usr/bin/env bash
# On the GPU host: unpack the bundle's Java runtime, build our DJL binding against the installed
# torch, check its exported symbols, verify every implemented native on CUDA tensors against the
# CPU values recorded by bundle.sh, then (if given) run the runtime with the arguments, e.g.
#   scripts/gpu/run.sh bench --model models/codellama-34b-python
# Logs and JSON go to $OUT (run.log, device.txt, build-native.log, symbols.log,
# binding-check.log, binding-check.json, command.log, gpu-run.json).
# Works from the repository (bundle in .gpu-bundle/) or from a bundle copy (its own folder).
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
if [[ -f "$here/BUNDLE" ]]; then bundle="$here"; else bundle="$here/.gpu-bundle"; fi
OUT="${OUT:-$bundle/out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
work="${INFERLESS_GPU_WORK:-/tmp/inferless-gpu}"
mkdir -p "$work"
status_build=fail status_symbols=fail status_checks=fail command_rc=null
t0=$(date +%s)

summary() {
  printf '{"date":"%s","device":"%s","torch":"%s","build":"%s","symbols":"%s","bindingChecks":"%s","commandExit":%s,"seconds":%s}\n' \
    "$(date -u +%FT%TZ)" "${gpu_name:-unknown}" "${torch_version:-unknown}" "$status_build" "$status_symbols" \
    "$status_checks" "$command_rc" "$(( $(date +%s) - t0 ))" | tee "$OUT/gpu-run.json"
}
trap summary EXIT

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/device.txt"
gpu_name="$(head -1 "$OUT/device.txt" | cut -d, -f1)"
torch_version="$(python3 -c 'import torch;print(torch.__version__)')" || exit 1
torch_lib="$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
echo "torch $torch_version (CUDA $(python3 -c 'import torch;print(torch.version.cuda)')) at $torch_lib"

echo "== java runtime"
if [[ ! -x "$work/jre/bin/java" ]]; then
  tar -C "$work" -xJf "$bundle/jre.tar.xz" || exit 1
fi
java="$work/jre/bin/java"
"$java" -version 2>&1 | head -1

echo "== build libdjl_torch.so"
export PATH="/usr/local/cuda/bin:$PATH" CUDACXX="${CUDACXX:-/usr/local/cuda/bin/nvcc}"
if BUILD_DIR="$work/native" JNI_INCLUDE="$bundle/jni-include" bash "$here/scripts/build-native.sh" \
    >"$OUT/build-native.log" 2>&1; then
  status_build=ok
else
  tail -40 "$OUT/build-native.log"; exit 1
fi
tail -2 "$OUT/build-native.log"
binding="$work/native/libdjl_torch.so"
jar="$bundle/inferless-runtime-gpu.jar"

echo "== exported symbols"
if bash "$here/scripts/gpu/check-symbols.sh" "$binding" "$java" "$jar:$bundle/binding-check.jar" >"$OUT/symbols.log" 2>&1; then
  status_symbols=ok
fi
cat "$OUT/symbols.log"

export INFERLESS_TORCH_LIBRARY_PATH="$torch_lib" INFERLESS_TORCH_VERSION="$torch_version" \
  INFERLESS_DJL_BINDING="$binding" ENGINE_CACHE_DIR="$work/djl-cache"

echo "== binding checks on CUDA"
if "$java" -cp "$jar:$bundle/binding-check.jar" dev.inferless.llm.ops.torch.BindingCheck verify \
    "$bundle/binding-expected.bin" gpu "$OUT/binding-check.json" >"$OUT/binding-check.log" 2>&1; then
  status_checks=ok
fi
grep -E '^(ok|FAIL|result)|checks passed|Exception' "$OUT/binding-check.log" | cut -c1-220

if (( $# > 0 )); then
  echo "== inferless $*"
  "$java" -jar "$jar" "$@" 2>&1 | tee "$OUT/command.log"
  command_rc=${PIPESTATUS[0]}
fi
[[ $status_build == ok && $status_symbols == ok && $status_checks == ok && ( $command_rc == null || $command_rc == 0 ) ]]

#!/usr/bin/env bash
# On the GPU host: build libllm_ops.so and fast_check (src/test/native) against the installed torch
# (scripts/build-native.sh with -DINFERLESS_LLM_OPS=ON), run the checks (fast path vs float64 references)
# and the CodeLlama-34B-shaped decode benchmark. Builds this script's own source tree.
# Writes build.log, check.log, bench.log, results.jsonl and gpu.txt under $OUT.
#   scripts/gpu/fast-check.sh [check|bench|all|lab|build] [layers] [decode_tokens]
# (lab: the int4 matmul's variants on the 34B shapes against a plain streaming read, lab.log; build: only build)
# Env: JNI_INCLUDE (a JDK include dir, for the JNI library; without it only fast_check is built),
# BUILD (build dir, default /tmp/llm_ops_build), FAST_CHECK_BENCH_KIND=mma (bench our int4 kernel only,
# without the same-run tinygemm baseline), CUDA_ARCHS (CMAKE_CUDA_ARCHITECTURES; default the library's
# "80;90a", e.g. 80-virtual for PTX only).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/fast-check-out}
BUILD=${BUILD:-/tmp/llm_ops_build}
MODE=${1:-all}
mkdir -p "$OUT"

{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
} > "$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"

export PATH=/usr/local/cuda/bin:$PATH
targets="fast_check${JNI_INCLUDE:+ llm_ops}"
if ! BUILD_DIR="$BUILD" BUILD_TARGETS="$targets" bash "$ROOT/scripts/build-native.sh" -DINFERLESS_LLM_OPS=ON \
        -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" ${CUDA_ARCHS:+-DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCHS"} \
        > "$OUT/build.log" 2>&1; then
    tail -40 "$OUT/build.log"
    echo "BUILD FAILED"
    exit 1
fi
echo "built: $(ls "$BUILD"/fast_check "$BUILD"/libllm_ops.so 2>/dev/null | tr '\n' ' ')"
if [ -f "$BUILD/libllm_ops.so" ]; then
    echo "JNI symbols: $(nm -D --defined-only "$BUILD/libllm_ops.so" | grep -c Java_dev_inferless_llm_ops_NativeLlm_)"
fi

rc=0
if [ "$MODE" = check ] || [ "$MODE" = all ]; then
    "$BUILD/fast_check" check "$OUT/results.jsonl" 2>&1 | tee "$OUT/check.log" || rc=1
fi
if [ "$MODE" = lab ]; then
    "$BUILD/fast_check" lab "$OUT/results.jsonl" 2>&1 | tee "$OUT/lab.log" || rc=1
fi
if [ "$MODE" = bench ] || [ "$MODE" = all ]; then
    "$BUILD/fast_check" bench "${2:-48}" "${3:-512}" "$OUT/results.jsonl" 2>&1 | tee "$OUT/bench.log" || rc=1
fi
exit $rc

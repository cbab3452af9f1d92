#!/usr/bin/env bash
# On the GPU host: GPTQ act-order checkpoints whose projections over one input (q/k/v, gate/up) have
# different permutations, against ones that share it (as GPTQ writes them), on the CodeLlama-34B shape:
#   shared  one permutation per input: one fused part per input, norms folded (the best case)
#   split   a permutation per projection, one part each (what the fast path did before input copies)
#   copies  a permutation per projection, one fused part reading a gathered input copy per projection
# Builds libllm_ops and fast_check, runs the fast-path checks, then the three decode benchmarks (our
# kernel, batch 1, CUDA graphs) in one call. Writes build.log, check.log, bench-*.log, results.jsonl under $OUT.
#   OUT=$OUT JNI_INCLUDE=<jdk include> bash scripts/gpu/perm-ab.sh [layers] [decode_tokens] [check seconds]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-/tmp/perm-ab}"
BUILD="${BUILD:-/tmp/llm_ops_build}"
mkdir -p "$OUT"
OUT="$OUT" BUILD="$BUILD" bash "$root/scripts/gpu/fast-check.sh" none || exit 1
timeout "${3:-200}" "$BUILD/fast_check" check "$OUT/results.jsonl" > "$OUT/check.log" 2>&1
echo "check exit $? (124: stopped at ${3:-200} s)"; grep -E "FAIL|failure" "$OUT/check.log" | head -20
for perm in shared split copies; do
  FAST_CHECK_BENCH_KIND=mma FAST_CHECK_BENCH_QUICK=1 FAST_CHECK_BENCH_PERM=$perm \
    "$BUILD/fast_check" bench "${1:-48}" "${2:-256}" "$OUT/results.jsonl" > "$OUT/bench-$perm.log" 2>&1
  echo "bench $perm exit $?"
done
grep -hE "copy_bandwidth|/model|decode_graph|error" "$OUT"/bench-*.log | cut -c1-300

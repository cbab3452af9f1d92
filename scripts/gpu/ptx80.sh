#!/usr/bin/env bash
# On the GPU host (an H100/H200): the A100 path without an A100. Builds the library twice, the default fat
# binary ("80;90a": the driver picks sm_90a here) and PTX for compute_80 only (JIT-compiled here, dependent
# launch off, as on an A100), runs fast_check check on both builds and the 34B decode benchmark (our kernel,
# batch 1, graphs) on both, alternated. Logs under $OUT; the ratio is printed last.
#   OUT=$OUT bash scripts/gpu/ptx80.sh [decode_tokens]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-/tmp/ptx80}"
mkdir -p "$OUT"
OUT="$OUT/build-fat" BUILD=/tmp/llm_ops_fat bash "$root/scripts/gpu/fast-check.sh" none > "$OUT/build-fat.log" 2>&1 &
OUT="$OUT/build-ptx80" BUILD=/tmp/llm_ops_ptx80 CUDA_ARCHS=80-virtual bash "$root/scripts/gpu/fast-check.sh" none \
  > "$OUT/build-ptx80.log" 2>&1 &
wait
for b in fat ptx80; do [[ -x /tmp/llm_ops_$b/fast_check ]] || { echo "$b build failed"; tail -20 "$OUT/build-$b/build.log"; exit 1; }; done
timeout 300 /tmp/llm_ops_fat/fast_check check "$OUT/check-fat.jsonl" > "$OUT/check-fat.log" 2>&1
echo "check (fat binary, sm_90a here) exit $?: $(tail -1 "$OUT/check-fat.log")"; grep FAIL "$OUT/check-fat.log" | cut -c1-200
# The PTX build's first launches JIT-compile every kernel (minutes, once; cached under ~/.nv/ComputeCache).
timeout 400 /tmp/llm_ops_ptx80/fast_check check "$OUT/check-ptx80.jsonl" > "$OUT/check-ptx80.log" 2>&1
echo "check (compute_80 PTX) exit $?: $(tail -1 "$OUT/check-ptx80.log")"; grep FAIL "$OUT/check-ptx80.log" | cut -c1-200
for run in 1 2; do
  for b in fat ptx80; do
    FAST_CHECK_BENCH_KIND=mma FAST_CHECK_BENCH_QUICK=1 /tmp/llm_ops_$b/fast_check bench 48 "${1:-256}" "$OUT/bench-$b.jsonl" \
      > "$OUT/bench-$b-$run.log" 2>&1 || echo "bench $b failed"
  done
done
grep -h "decode_graph" "$OUT"/bench-*-?.log | grep -oE '"tokens_per_s":[0-9.]+' | paste - - - - \
  | sed 's/"tokens_per_s"://g' | awk '{printf "fat %s %s  ptx80 %s %s  ratio %.3f\n", $1, $2, $3, $4, ($3 + $4) / ($1 + $2)}'
tar -czf /tmp/ptx80-logs.tgz -C "$OUT" . && mv /tmp/ptx80-logs.tgz "$OUT/"

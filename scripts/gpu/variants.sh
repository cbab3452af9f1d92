#!/usr/bin/env bash
# On the GPU host, one call: the GPTQ/AWQ variant table on the CodeLlama-34B shape, the checks, and an
# independently written checkpoint through the runtime.
#   1. builds libllm_ops + fast_check from this tree, and from $BASE_TREE / $ORIG_TREE (other source trees,
#      e.g. .gpu-ab/<commit> from `scripts/gpu/ab-native.sh prepare`, each built by its own fast-check.sh) when given
#   2. fast_check check for this tree and for $ORIG_TREE's, at once (correctness only)
#   3. fast_check bench (our kernel, batch 1, CUDA graphs, 256 tokens) per variant: group 32/64/128/-1,
#      sym/asym, act-order or in order (AWQ's layout after repacking), act-order permutations shared per input,
#      one per projection (input copies) and one per projection as separate parts (the layout before copies);
#      g128 alternated with $BASE_TREE's build (an A/B of one change)
#   4. with a bundle (scripts/gpu/bundle.sh) in .gpu-bundle and time left before $DEADLINE_S (default 520) seconds:
#      a checkpoint from write_checkpoint.py (34B shape, GPTQ g128 asym act-order, a permutation per projection,
#      v1, 13 shards, TheBloke's names) through the runtime's `bench` (scripts/gpu/engine-34b.sh)
# Prints a table before step 4; logs and results under $OUT.
#   OUT=$OUT JNI_INCLUDE=<jdk include> [BASE_TREE=dir] [ORIG_TREE=dir] bash scripts/gpu/variants.sh
set -uo pipefail
start=$(date +%s)
root="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-/tmp/variants}"
mkdir -p "$OUT"
declare -A src=([new]="$root" [base]="${BASE_TREE:-}" [orig]="${ORIG_TREE:-}")
for tree in new base orig; do
  [[ -n "${src[$tree]}" ]] || continue
  OUT="$OUT/build-$tree" BUILD=/tmp/llm_ops_$tree bash "${src[$tree]}/scripts/gpu/fast-check.sh" build \
    > "$OUT/build-$tree.log" 2>&1 &
done
wait
for tree in new base orig; do [[ -f "$OUT/build-$tree.log" ]] && echo "$tree: $(grep -E "^built|FAILED" "$OUT/build-$tree.log")"; done
new=/tmp/llm_ops_new
[[ -x $new/fast_check ]] || { tail -30 "$OUT/build-new/build.log"; exit 1; }

echo "== checks $(date -u +%T)"
# This tree's and $ORIG_TREE's at once (one each: four at once did not finish in 240 s on an H100).
for tree in new orig; do
  [[ -x /tmp/llm_ops_$tree/fast_check ]] || continue
  timeout 300 /tmp/llm_ops_$tree/fast_check check "$OUT/check-$tree-1.jsonl" > "$OUT/check-$tree-1.log" 2>&1 &
done
wait
for f in "$OUT"/check-*.log; do echo "$(basename "$f"): $(tail -1 "$f")"; grep FAIL "$f" | cut -c1-220; done
grep -h "linear/mma/gptq_g128_actorder \|linear/mma/gptq_g32_actorder \|linear/mma/awq_g128 " "$OUT"/check-*-1.log | cut -c1-120

echo "== variants $(date -u +%T)"
bench() {  # tree group zeros order perm
  FAST_CHECK_BENCH_KIND=mma FAST_CHECK_BENCH_QUICK=1 FAST_CHECK_BENCH_GROUP=$2 FAST_CHECK_BENCH_ZEROS=$3 \
    FAST_CHECK_BENCH_ORDER=$4 FAST_CHECK_BENCH_PERM=$5 /tmp/llm_ops_$1/fast_check bench 48 256 "$OUT/bench-$1.jsonl" \
    > "$OUT/bench-$1-g$2-$3-$4-$5-$(date +%s%N).log" 2>&1 || echo "bench $* failed"
}
bench new 128 sym actorder shared
[[ -x /tmp/llm_ops_base/fast_check ]] && bench base 128 sym actorder shared
bench new 128 asym actorder split
bench new 128 asym actorder copies
bench new 32 asym actorder copies
bench new 64 asym actorder copies
bench new -1 asym actorder shared
bench new 128 asym inorder shared
bench new 64 asym inorder shared
bench new 128 sym actorder shared
[[ -x /tmp/llm_ops_base/fast_check ]] && bench base 128 sym actorder shared

echo "== table (tokens/s at batch 1, 48 layers; limit = copy bandwidth / bytes per token) $(date -u +%T)"
for f in $(ls -tr "$OUT"/bench-*.log); do
  tree=$(basename "$f" | cut -d- -f2)
  grep -h "decode_graph" "$f" | sed -E "s/^ok +bench\/mma\/([^ ]*)\/decode_graph.*\"tokens_per_s\":([0-9.]+),\"bandwidth_limit_tokens_per_s\":([0-9.]+),\"ratio_to_limit\":([0-9.]+).*/$tree \1 \2 \3 \4/" \
    | awk '{printf "%-5s %-36s %7.1f tok/s  limit %6.1f  fraction %.3f\n", $1, $2, $3, $4, $5}'
  grep -h "bench/mma.*/model" "$f" | grep -oE '"bytes_per_token":[0-9]+' | sed 's/^/      /'
done
grep -h "copy_bandwidth" "$OUT"/bench-*.log | cut -c1-80 | sort | uniq -c

left=$(( ${DEADLINE_S:-520} - ($(date +%s) - start) ))
if [[ -f "$root/.gpu-bundle/inferless-runtime-gpu.jar" ]] && (( left > 120 )); then
  echo "== runtime on an independently written checkpoint ($left s left) $(date -u +%T)"
  export LLM_OPS=$new/libllm_ops.so CKPT=/dev/shm/written-34b MAX_TOKENS=128
  timeout $(( left - 5 )) bash -c "
    python3 '$root/scripts/gpu/write_checkpoint.py' --out $CKPT --shape codellama-34b --format gptq --group-size 128 \
      --asym --act-order --perm per-projection --shards 13 > '$OUT/write.log' 2>&1; tail -1 '$OUT/write.log'
    OUT='$OUT/engine' bash '$root/scripts/gpu/engine-34b.sh' setup fastbuild bench 2>&1 | tail -12"
  echo "runtime part exit $?"
fi
# A call returns few files: every log in one archive.
tar -czf /tmp/variants-logs.tgz -C "$OUT" . && mv /tmp/variants-logs.tgz "$OUT/"
echo "== done $(date -u +%T), $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# A/B of the native decoder across source trees on one GPU machine (machines of one kind differ by
# 2-3%, so a comparison counts only inside one device call; docs/fast-path.md).
#   here:         scripts/gpu/ab-native.sh prepare REV [REV ...]
#                 copies each commit's native sources and build scripts into .gpu-ab/<REV>/ (gitignored)
#   on the GPU:   OUT=$OUT scripts/gpu/ab-native.sh run      (device call: carry [".gpu-ab"])
#                 builds every prepared tree (with that tree's own scripts/gpu/fast-check.sh) and the
#                 working tree (as "new") side by side, runs
#                 `fast_check check` on the working tree (and on each tree named in CHECK_VARIANTS),
#                 then `fast_check bench 48 512` of each checked tree in turn for $ROUNDS (default 2)
#                 rounds; writes $OUT/<variant>-check.txt and
#                 $OUT/ab-bench.jsonl (each line tagged "variant" and "round") and prints the headline
#                 lines (decode, batch 1 and 16, the step profile).
# Env: FAST_CHECK_BENCH_KIND (default mma: our int4 kernel only), ROUNDS, JNI_INCLUDE (also build the
# JNI library of each tree, e.g. for engine-34b.sh runs after this one).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AB="$ROOT/.gpu-ab"
cd "$ROOT"

case "${1:-}" in
  prepare)
    shift
    [ $# -gt 0 ] || { echo "usage: $0 prepare REV [REV ...]" >&2; exit 2; }
    rm -rf "$AB"
    for rev in "$@"; do
      name=$(git rev-parse --short "$rev") || exit 2
      mkdir -p "$AB/$name"
      # What a tree's fast-check.sh builds from, at any commit (src/test/native came later).
      paths=$(git ls-tree --name-only "$rev" src/main/native src/test/native scripts/build-native.sh scripts/gpu/fast-check.sh)
      git archive "$rev" $paths | tar -x -C "$AB/$name"
      echo "prepared $name ($(git log -1 --format=%s "$rev" | cut -c1-60))"
    done ;;
  run)
    OUT=${OUT:-/tmp/ab-native}
    mkdir -p "$OUT"
    [ -d "$AB" ] || { echo "no .gpu-ab: run '$0 prepare REV' here first and carry .gpu-ab" >&2; exit 2; }
    variants=(new)
    declare -A tree=([new]="$ROOT")
    for d in "$AB"/*/; do
      name=$(basename "$d"); variants+=("$name"); tree[$name]="${d%/}"
    done
    for v in "${variants[@]}"; do
      BUILD="/tmp/ab-build-$v" OUT="/tmp/ab-out-$v" \
        bash "${tree[$v]}/scripts/gpu/fast-check.sh" build > "/tmp/ab-build-$v.txt" 2>&1 &
    done
    wait
    for v in "${variants[@]}"; do
      [ -x "/tmp/ab-build-$v/fast_check" ] || { echo "build of $v failed:"; tail -30 "/tmp/ab-build-$v.txt"; exit 1; }
    done
    # A variant whose check fails is reported and left out of the benches.
    checked=()
    for v in "${variants[@]}"; do
      if [[ " ${CHECK_VARIANTS:-new} " == *" $v "* ]]; then
        "/tmp/ab-build-$v/fast_check" check "/tmp/ab-$v-check.jsonl" > "$OUT/$v-check.txt" 2>&1
        rc=$?
        echo "$v: check rc=$rc, $(grep -c '^ok' "$OUT/$v-check.txt") ok"
        grep -v '^ok' "$OUT/$v-check.txt" | head -20
        [ $rc -eq 0 ] || continue
      fi
      checked+=("$v")
    done
    variants=("${checked[@]}")
    [ ${#variants[@]} -gt 0 ] || exit 1
    : > "$OUT/ab-bench.jsonl"
    for r in $(seq 1 "${ROUNDS:-2}"); do
      for v in "${variants[@]}"; do
        FAST_CHECK_BENCH_KIND=${FAST_CHECK_BENCH_KIND:-mma} "/tmp/ab-build-$v/fast_check" bench 48 512 "/tmp/ab-$v-$r.jsonl" \
          > "/tmp/ab-$v-$r.txt" 2>&1
        echo "== $v, round $r"
        grep -E "/(decode_graph |decode_graph_dependent_launch|batch_1 |batch_16|step_profile)" "/tmp/ab-$v-$r.txt" | cut -c1-330
        sed "s/^{/{\"variant\":\"$v\",\"round\":$r,/" "/tmp/ab-$v-$r.jsonl" >> "$OUT/ab-bench.jsonl"
      done
    done ;;
  *)
    echo "usage: $0 prepare REV [REV ...] | run" >&2; exit 2 ;;
esac

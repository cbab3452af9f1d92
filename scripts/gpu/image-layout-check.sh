#!/usr/bin/env bash
# On the GPU host, after scripts/gpu/bundle.sh here: the image's runtime, started exactly as the container starts
# it, against today's scripts/gpu path, in one call. src/main/image/layout (the Dockerfile's layout and ENTRYPOINT)
# lays out the image's file system under $ROOT with the pieces scripts/gpu builds (the bundle's JRE and jar, our
# libdjl_torch.so and libllm_ops.so, the host's torch as opt/libtorch), mounts the CodeLlama-34B-shaped
# checkpoint at $ROOT/model/weights (a bind mount where allowed, else a symlink), and runs `layout serve` with a
# container's empty environment. Both servers get the same `bench --url` (streaming /v1/completions).
#   1. engine-34b.sh setup fastbuild make   the binding, libllm_ops and the checkpoint in $CKPT (each skipped when
#      a warm machine has it from an earlier call: run `engine-34b.sh setup fastbuild make` first if one call
#      would pass the 10-minute limit)
#   2. per round (ROUNDS, default 2, alternating): engine-34b.sh httpbench, then the image layout's httpbench
#   3. the decode rates and their ratio (image / scripts/gpu); passes within 3%, writes $OUT/image-layout.json
# Usage (device call, carry [".gpu-bundle"]): OUT=$OUT bash scripts/gpu/image-layout-check.sh
# Here, without a GPU: DRY_RUN=1 bash scripts/gpu/image-layout-check.sh  (the CPU layout, a tiny random
# checkpoint, 8 tokens: the same steps and the same files, checked for plumbing only; needs no bundle).
# Env: OUT, CKPT, MAX_TOKENS (128), ROUNDS, ROOT (default /tmp/inferless-image), TOLERANCE (0.03).
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bundle="$repo/.gpu-bundle"
OUT="${OUT:-$bundle/out}"
ROOT="${ROOT:-/tmp/inferless-image}"
ROUNDS="${ROUNDS:-2}"
TOLERANCE="${TOLERANCE:-0.03}"
work="${INFERLESS_GPU_WORK:-/tmp/inferless-gpu}"
mkdir -p "$OUT"
cd "$repo"

if [[ -n "${DRY_RUN:-}" ]]; then
  # The CPU layout with this machine's JDK and a fresh jar; a tiny checkpoint stands in for the 34B one.
  MAX_TOKENS="${MAX_TOKENS:-8}" ROUNDS=1 CKPT="${CKPT:-/tmp/inferless-image-dry-ckpt}"
  jar="$repo/target/inferless-runtime.jar"
  [[ -f "$jar" ]] || mvn -q -B package -DskipTests || exit 1
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  jre="$java_home"
  java="$java_home/bin/java"
else
  MAX_TOKENS="${MAX_TOKENS:-128}" CKPT="${CKPT:-/dev/shm/cl34-gptq}"
  jar="$bundle/inferless-runtime-gpu.jar"
  jre="$work/jre"
  java="$work/jre/bin/java"
  export CKPT MAX_TOKENS
  # A warm machine keeps what an earlier call built: the binding, libllm_ops and the checkpoint are reused.
  phases=(setup fastbuild); [[ -f "$CKPT/config.json" ]] || phases+=(make)
  OUT="$OUT" bash scripts/gpu/engine-34b.sh "${phases[@]}" || exit 1
fi

echo "== layout under $ROOT $(date -u +%T)"
if mountpoint -q "$ROOT/model/weights" 2>/dev/null; then umount "$ROOT/model/weights"; fi
rm -rf "$ROOT"
stage="$(mktemp -d)"
cp "$repo/runtime-config.yaml" "$stage/runtime-config.yaml"
if [[ -n "${DRY_RUN:-}" ]]; then
  sh src/main/image/layout install "$ROOT" "$jre" "$jar" "$stage/runtime-config.yaml" || exit 1
  if [[ ! -f "$CKPT/config.json" ]]; then
    "$java" -jar "$jar" make-checkpoint --shape tiny --format gptq --seed 1 --out "$CKPT" > "$OUT/make-dry.log" 2>&1 \
      || { tail -20 "$OUT/make-dry.log"; exit 1; }
  fi
else
  # The host's torch as the image's libtorch: lib/ is a link, so torch's relative paths to its CUDA wheels hold.
  mkdir -p "$stage/native" "$stage/libtorch"
  cp "$work/native/libdjl_torch.so" /tmp/llm_ops_build/libllm_ops.so "$stage/native/" || exit 1
  ln -s "$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')" "$stage/libtorch/lib"
  python3 -c 'import torch;print(torch.__version__)' > "$stage/libtorch/build-version"
  sh src/main/image/layout install "$ROOT" "$jre" "$jar" "$stage/runtime-config.yaml" "$stage/native" "$stage/libtorch" || exit 1
fi
rm -rf "$stage"
# The repo as scripts/build-image copies it to /model (no weights), then the checkpoint where docker run -v puts it.
cp -r models/codellama-34b-python/. "$ROOT/model/"
rm -rf "$ROOT/model/weights" && mkdir -p "$ROOT/model/weights"
if mount --bind "$CKPT" "$ROOT/model/weights" 2>/dev/null; then mount -o remount,bind,ro "$ROOT/model/weights" 2>/dev/null; how="bind mount"
else rmdir "$ROOT/model/weights" && ln -s "$CKPT" "$ROOT/model/weights"; how="symlink"; fi
echo "checkpoint $CKPT at $ROOT/model/weights ($how)"
INFERLESS_IMAGE_ROOT="$ROOT" sh "$ROOT/opt/inferless/bin/layout" print --model "$ROOT/model" | tee "$OUT/image-layout-command.txt"

# As `docker run` starts it: an empty environment but for the image's ENV, the port and this tree's root.
image_httpbench() {
  local name="$1" log="$OUT/$1-serve.log"
  (cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent \
     INFERLESS_SERVER_HOST=0.0.0.0 INFERLESS_SERVER_PORT=8080 INFERLESS_IMAGE_ROOT="$ROOT" \
     "$ROOT/opt/inferless/bin/layout" serve --model "$ROOT/model") > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do
    curl -sf localhost:8080/v2/health/ready >/dev/null && break
    kill -0 $pid 2>/dev/null || break; sleep 0.5
  done
  if ! curl -sf localhost:8080/v2/health/ready >/dev/null; then echo "image layout: not ready; log:"; tail -30 "$log"; return 1; fi
  grep -E "engine:|fast path|RANDOM|loading checkpoint" "$log" | cut -c1-200 | head -4
  "$java" -Xmx4g -jar "$jar" bench --url http://127.0.0.1:8080 --runs 1 --max-tokens "$MAX_TOKENS" \
    --out "$OUT/$name" > "$OUT/$name.log" 2>&1; echo "bench --url exit $?"
  tail -3 "$OUT/$name/bench.md" 2>/dev/null
  kill -TERM $pid; wait $pid; local rc=$?
  echo "image layout: SIGTERM -> exit $rc"
  (( rc == 0 ))
}

status=0
for round in $(seq 1 "$ROUNDS"); do
  if [[ -z "${DRY_RUN:-}" ]]; then
    echo "== round $round: scripts/gpu (engine-34b.sh httpbench) $(date -u +%T)"
    OUT="$OUT" bash scripts/gpu/engine-34b.sh httpbench
    cp -r "$OUT/httpbench-$(basename "$CKPT")" "$OUT/scripts-gpu-$round"
  fi
  echo "== round $round: image layout $(date -u +%T)"
  image_httpbench "image-layout-$round" || status=1
done
if mountpoint -q "$ROOT/model/weights" 2>/dev/null; then umount "$ROOT/model/weights"; fi

python3 - "$OUT" "$ROUNDS" "$TOLERANCE" "${DRY_RUN:-}" <<'EOF' || status=1
import json, os, sys
out, rounds, tolerance, dry = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), bool(sys.argv[4])
def rate(d):
    try: return json.load(open(os.path.join(out, d, "bench.json")))["averageDecodeTokensPerSecond"]
    except (OSError, KeyError, ValueError): return None
image = [rate(f"image-layout-{r}") for r in range(1, rounds + 1)]
gpu = [] if dry else [rate(f"scripts-gpu-{r}") for r in range(1, rounds + 1)]
result = {"image_layout_decode_tokens_per_s": image, "scripts_gpu_decode_tokens_per_s": gpu}
ok = all(x for x in image)
if not dry:
    ok = ok and all(x for x in gpu)
    if ok:
        ratio = sum(image) / sum(gpu)
        result["ratio"] = ratio
        ok = abs(ratio - 1) <= tolerance
        print(f"decode tokens/s: image layout {image}, scripts/gpu {gpu}: ratio {ratio:.4f} (within {tolerance:.0%}: {ok})")
result["passed"] = ok
json.dump(result, open(os.path.join(out, "image-layout.json"), "w"), indent=1)
print(json.dumps(result))
sys.exit(0 if ok else 1)
EOF
echo "== image-layout-check: $([[ $status == 0 ]] && echo passed || echo FAILED) $(date -u +%T)"
exit $status

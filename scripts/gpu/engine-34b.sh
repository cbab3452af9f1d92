#!/usr/bin/env bash
# On the GPU host, after scripts/gpu/bundle.sh here: the engine on the GPU through the runtime.
# The fast native path (libllm_ops) is used once `fastbuild` has run; before it, the portable one
# (DJL ops, weights dequantized to fp16 at load). Phases, run in the order given:
#   setup     build the DJL binding and run its checks (scripts/gpu/run.sh without a command)
#   fastbuild build libllm_ops (scripts/gpu/fast-check.sh build) and use it from then on
#   tiny      GpuEngineCheck: every tiny checkpoint format on CUDA (portable dtypes, and fast) vs the CPU
#   make      a CodeLlama-34B-shaped checkpoint in $CKPT (default /dev/shm/cl34-gptq), format $FORMAT
#             (default "gptq --group-size 128 --act-order"); REUSE_CKPT=1 keeps one already there
#   serve   serve it through HTTP: cold start (process start -> ready), one /infer, GPU memory, SIGTERM
#   coldstart start the server $COLD_STARTS (5) times on $CKPT (in /dev/shm: the page cache): each start's
#             process start -> ready as the script sees it (ready polled every 20 ms) and the server's start
#             timeline (its "start timeline:" line), then the median of both and the per-phase table
#             (scripts/gpu/timeline_table.py) in $OUT/coldstart.md; APPCDS=1 starts them with an AppCDS archive
#   bench   the bench command on it (N=1 pass over the prompts, $MAX_TOKENS tokens, EOS ignored)
#   httpbench the same bench through the server: serve it, `bench --url` (streaming /v1/completions,
#             cold start from the server's /metrics), SIGTERM
#   load    serve it with 64 slots and model.max_batch_size=$MAX_BATCH (16), then LoadTest at concurrency
#             $LOAD_LEVELS (1,4,16), $LOAD_REQUESTS (2) requests per client, $LOAD_TOKENS (128) tokens each;
#             $LOAD_MODE (bench) and $LOAD_PROMPT_TOKENS (2000) pick its prompts, $LOAD_SET adds --set arguments
#             (e.g. "--set model.max_prefill_tokens=65536": long prompts run whole beside decodes)
#   prefix  TTFT on a $PREFIX_TOKENS (2000)-token shared prefix, prefix caching on (hits) and off (misses):
#             LoadTest --mode shared-prefix at concurrency 1, then the prefix-cache and KV metrics
#   longprompt TTFT (one client, 2 requests of 16 tokens each) for distinct prompts of $LONG_PROMPTS (250,1000,3900)
#             requested tokens (LoadTest's estimate, 4 characters a token; make-checkpoint's tokenizer counts about
#             2.07 times as many: about 520, 2,070 and 8,100 tokens, the report has the server's count)
#             tokens: LoadTest --mode long-prompt; prefill tokens/s = prompt tokens / TTFT
#   kvload  $KV_LEVELS (16,64) concurrent sequences of $KV_TOKENS (512) tokens with model.max_batch_size=64:
#             errors, preemptions, the highest KV cache usage seen (sampled each second), GPU memory
#   batchinv  serve it with model.batch_invariant false, then true: 16 concurrent copies of a seeded
#             temperature-1 request against it alone (scripts/gpu/batch_invariance.py; with true every
#             line must read 16/16), then LoadTest at 1 and 16 clients, $LOAD_TOKENS tokens: the cost
#   fastbench fast_check bench: the native decoder alone on random 34B-shaped weights (both int4
#             kernels, batch buckets 1-16, per-matmul timings, a step profile, copy bandwidth)
#   hf      HF transformers bf16 on the same shape (scripts/gpu/hf_baseline.py)
#   fidelity  scripts/gpu/fidelity.py: checkpoints from write_checkpoint.py (small shape), ours (the runtime's
#             `logits` command) and transformers bf16 against transformers float32, per format;
#             $FIDELITY_SEQUENCES (5) prompts of 112 teacher-forced positions each; $FIDELITY_FORMATS: only the
#             formats whose names contain one of these comma-separated parts; $FIDELITY_PROMPT (16): prompt tokens
#             (prefilled in one pass; 1 puts every position through one-row steps)
#   pack    everything under $OUT into one gpu-logs.tgz (a device call returns few files)
# Usage: OUT=$OUT bash scripts/gpu/engine-34b.sh setup fastbuild tiny make serve bench httpbench load
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bundle="$root/.gpu-bundle"
OUT="${OUT:-$bundle/out}"
mkdir -p "$OUT"
work="${INFERLESS_GPU_WORK:-/tmp/inferless-gpu}"
CKPT="${CKPT:-/dev/shm/cl34-gptq}"
FORMAT="${FORMAT:-gptq --group-size 128 --act-order}"
# LLM_OPS and RUNTIME_JAR name another build of the native library and the runtime (A/B of two trees).
LLM_OPS="${LLM_OPS:-/tmp/llm_ops_build/libllm_ops.so}"
[[ -f "$LLM_OPS" ]] && export INFERLESS_LLM_OPS_LIBRARY="$LLM_OPS"
MAX_TOKENS="${MAX_TOKENS:-128}"
java="$work/jre/bin/java"
jar="${RUNTIME_JAR:-$bundle/inferless-runtime-gpu.jar}"
export INFERLESS_TORCH_LIBRARY_PATH="$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
export INFERLESS_TORCH_VERSION="$(python3 -c 'import torch;print(torch.__version__)')"
export INFERLESS_DJL_BINDING="$work/native/libdjl_torch.so" ENGINE_CACHE_DIR="$work/djl-cache"
JAVA_OPTS=(-Xmx48g -XX:+UseParallelGC)
gpu_mem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1; }
# As `serve` starts it: $CKPT on the GPU, port 8080, extra --set arguments after the log file; sets $pid.
start_server() {
  local log="$1"; shift
  cd "$root"
  "$java" "${JAVA_OPTS[@]}" -jar "$jar" serve --model models/codellama-34b-python --port 8080 \
    --set model.weights="$CKPT" --set model.device=gpu "$@" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 400); do
    curl -sf localhost:8080/v2/health/ready >/dev/null && break
    kill -0 $pid 2>/dev/null || break; sleep 0.5
  done
  if curl -sf localhost:8080/v2/health/ready >/dev/null; then echo "ready; GPU memory used: $(gpu_mem) MiB"
  else echo "server not ready; log:"; tail -20 "$log"; fi
}
stop_server() { kill -TERM $pid 2>/dev/null; wait $pid; echo "serve exit: $?"; }
# One measured start for `coldstart`: start i, its log, extra JVM options; the server is stopped after it.
cold_start() {
  local i="$1" log="$2"; shift 2
  cd "$root"
  local s=$(date +%s%3N)
  "$java" "${JAVA_OPTS[@]}" "$@" -jar "$jar" serve --model models/codellama-34b-python --port 8080 \
    --set model.weights="$CKPT" --set model.device=gpu > "$log" 2>&1 &
  pid=$!
  until curl -sf localhost:8080/v2/health/ready >/dev/null; do
    kill -0 $pid 2>/dev/null || break; sleep 0.02
  done
  local ms=$(( $(date +%s%3N) - s ))
  if ! kill -0 $pid 2>/dev/null; then echo "start $i: the server exited; log:"; tail -20 "$log"; return 1; fi
  (( i > 0 )) && echo "$ms" >> "$OUT/coldstart-ms.txt"
  echo "start $i: process start -> ready $ms ms (script); $(grep -o 'start timeline: .*' "$log" | cut -c1-700)"
  grep -E "engine:|fast path: [0-9]+/[0-9]+ layers" "$log" | tail -2 | cut -c1-200
  stop_server > /dev/null
}

for phase in "$@"; do
  echo "== $phase $(date -u +%T)"
  case "$phase" in
    setup)
      # A warm machine keeps /tmp: the binding from an earlier call is reused.
      if [[ -f "$work/native/libdjl_torch.so" && -x "$java" ]]; then echo "binding already built"; continue; fi
      OUT="$OUT" bash "$root/scripts/gpu/run.sh" >/dev/null 2>&1; rc=$?
      tail -3 "$OUT/run.log"; cat "$OUT/gpu-run.json"
      (( rc == 0 )) || exit 1 ;;
    fastbuild)
      if [[ -f "$LLM_OPS" ]]; then echo "libllm_ops already built"; export INFERLESS_LLM_OPS_LIBRARY="$LLM_OPS"; continue; fi
      OUT="$OUT/fast" JNI_INCLUDE="$bundle/jni-include" BUILD=/tmp/llm_ops_build bash "$root/scripts/gpu/fast-check.sh" build \
        > "$OUT/fastbuild.log" 2>&1; tail -3 "$OUT/fastbuild.log"
      [[ -f "$LLM_OPS" ]] || exit 1
      export INFERLESS_LLM_OPS_LIBRARY="$LLM_OPS" ;;
    tiny)
      "$java" "${JAVA_OPTS[@]}" -cp "$jar:$bundle/binding-check.jar" dev.inferless.gpu.GpuEngineCheck \
        "$OUT/gpu-engine-check.json" > "$OUT/gpu-engine-check.log" 2>&1
      grep -vE " INFO | WARN " "$OUT/gpu-engine-check.log" | cut -c1-200 | tail -30 ;;
    make)
      # REUSE_CKPT=1 keeps a checkpoint an earlier phase or call of this machine made (same $CKPT).
      if [[ -n "${REUSE_CKPT:-}" && -f "$CKPT/config.json" ]]; then echo "reusing $CKPT"; continue; fi
      rm -rf "$CKPT"; s=$(date +%s%3N)
      "$java" "${JAVA_OPTS[@]}" -jar "$jar" make-checkpoint --shape codellama-34b --format $FORMAT \
        --seed 1 --out "$CKPT" > "$OUT/make.log" 2>&1 || { tail -20 "$OUT/make.log"; exit 1; }
      echo "made $FORMAT: $(du -sh "$CKPT" | cut -f1) in $(( $(date +%s%3N) - s )) ms" ;;
    serve)
      cd "$root"
      s=$(date +%s%3N)
      "$java" "${JAVA_OPTS[@]}" -jar "$jar" serve --model models/codellama-34b-python --port 8080 \
        --set model.weights="$CKPT" --set model.device=gpu > "$OUT/serve.log" 2>&1 &
      pid=$!
      for _ in $(seq 1 400); do
        curl -sf localhost:8080/v2/health/ready >/dev/null && break
        kill -0 $pid 2>/dev/null || break; sleep 0.5
      done
      echo "process start -> ready: $(( $(date +%s%3N) - s )) ms; GPU memory used: $(gpu_mem) MiB"
      grep -E "engine:|fast path:|KV cache:|initialized|cold start|loaded .* layers|loaded model repo|compiled|error" "$OUT/serve.log" | cut -c1-200 | tail -8
      s=$(date +%s%3N)
      curl -s localhost:8080/infer -H 'Content-Type: application/json' \
        -d '{"prompt": "def quicksort(arr):", "max_tokens": 64, "temperature": 0, "seed": 1}' | tee "$OUT/infer.json" | cut -c1-300
      echo; echo "/infer 64 tokens: $(( $(date +%s%3N) - s )) ms"
      curl -s localhost:8080/metrics | grep -E "^inferless_cold_start|^inferless_generated_tokens" | tee "$OUT/metrics.txt"
      kill -TERM $pid; wait $pid; echo "serve exit: $?" ;;
    coldstart)
      # APPCDS=1: class data sharing for the runtime's classes; one start, not measured, records them
      # (-XX:ArchiveClassesAtExit) on top of the JRE's base archive (made here once: the bundle's has none).
      cds=()
      if [[ -n "${APPCDS:-}" ]]; then
        # With JAVA_OPTS' heap (over 32 GB: no compressed oops) the JVM reads classes_nocoops.jsa.
        [[ -f "$work/jre/lib/server/classes_nocoops.jsa" ]] || "$java" "${JAVA_OPTS[@]}" -Xshare:dump > "$OUT/cds-dump.log" 2>&1
        archive="$work/app-cds-$(stat -c %Y "$jar").jsa"
        if [[ ! -f "$archive" ]]; then
          cold_start 0 "$OUT/coldstart-cds-training.log" -XX:ArchiveClassesAtExit="$archive" > /dev/null
          [[ -f "$archive" ]] || { echo "no CDS archive written; log:"; tail -5 "$OUT/coldstart-cds-training.log"; exit 1; }
        fi
        cds=(-XX:SharedArchiveFile="$archive"); echo "AppCDS: $archive ($(du -h "$archive" | cut -f1))"
      fi
      logs=(); rm -f "$OUT/coldstart-ms.txt"
      for i in $(seq 1 "${COLD_STARTS:-5}"); do
        logs+=("$OUT/coldstart-$i.log")
        cold_start "$i" "$OUT/coldstart-$i.log" "${cds[@]}" || exit 1
      done
      echo "median process start -> ready (script): $(sort -n "$OUT/coldstart-ms.txt" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}') ms over ${#logs[@]} starts"
      python3 "$root/scripts/gpu/timeline_table.py" "${logs[@]}" | tee "$OUT/coldstart.md" ;;
    bench)
      "$java" "${JAVA_OPTS[@]}" -jar "$jar" bench --weights "$CKPT" --device gpu --runs 1 --max-tokens "$MAX_TOKENS" \
        --out "$OUT/bench-$(basename "$CKPT")" > "$OUT/bench-$(basename "$CKPT").log" 2>&1; echo "bench exit $?"
      grep -E "engine:" "$OUT/bench-$(basename "$CKPT").log" | cut -c1-250
      tail -3 "$OUT/bench-$(basename "$CKPT")/bench.md" 2>/dev/null ;;
    httpbench)
      name="httpbench-$(basename "$CKPT")"
      start_server "$OUT/$name-serve.log"
      "$java" -Xmx4g -jar "$jar" bench --url http://127.0.0.1:8080 --runs 1 --max-tokens "$MAX_TOKENS" \
        --out "$OUT/$name" > "$OUT/$name.log" 2>&1; echo "bench --url exit $?"
      grep -E "^(error|warning):" "$OUT/$name.log" | cut -c1-250
      tail -3 "$OUT/$name/bench.md" 2>/dev/null
      stop_server ;;
    load)
      # shellcheck disable=SC2086  # LOAD_SET: more --set arguments, split on spaces
      start_server "$OUT/load-$(basename "$CKPT")-serve.log" --set server.container_concurrency=64 \
        --set server.queue_size=256 --set logging.request_log=false --set model.max_batch_size="${MAX_BATCH:-16}" ${LOAD_SET:-}
      "$java" -Xmx4g -cp "$jar" dev.inferless.bench.LoadTest --url http://127.0.0.1:8080 \
        --mode "${LOAD_MODE:-bench}" --prompt-tokens "${LOAD_PROMPT_TOKENS:-2000}" \
        --concurrency "${LOAD_LEVELS:-1,4,16}" --requests-per-client "${LOAD_REQUESTS:-2}" --max-tokens "${LOAD_TOKENS:-128}" \
        --out "$OUT/load-$(basename "$CKPT").md" > "$OUT/load-$(basename "$CKPT").log" 2>&1; echo "loadtest exit $?"
      cat "$OUT/load-$(basename "$CKPT").md" 2>/dev/null
      stop_server ;;
    prefix)
      for caching in true false; do
        name="prefix-$caching-$(basename "$CKPT")"
        start_server "$OUT/$name-serve.log" --set logging.request_log=false --set model.prefix_caching=$caching
        "$java" -Xmx4g -cp "$jar" dev.inferless.bench.LoadTest --url http://127.0.0.1:8080 --mode shared-prefix \
          --prompt-tokens "${PREFIX_TOKENS:-2000}" --concurrency 1 --requests-per-client "${PREFIX_REQUESTS:-8}" \
          --max-tokens 16 --out "$OUT/$name.md" > "$OUT/$name.log" 2>&1; echo "prefix_caching=$caching loadtest exit $?"
        cat "$OUT/$name.md" 2>/dev/null
        curl -s localhost:8080/metrics | grep -E "^inferless_(prefix_cache|num_preemptions|kv_cache_usage|time_to_first_token_seconds_(sum|count))" \
          | tee "$OUT/$name-metrics.txt"
        stop_server
      done ;;
    longprompt)
      name="longprompt-$(basename "$CKPT")"
      start_server "$OUT/$name-serve.log" --set logging.request_log=false
      for n in $(echo "${LONG_PROMPTS:-250,1000,3900}" | tr , ' '); do
        "$java" -Xmx4g -cp "$jar" dev.inferless.bench.LoadTest --url http://127.0.0.1:8080 --mode long-prompt \
          --prompt-tokens "$n" --concurrency 1 --requests-per-client 2 --max-tokens 16 --out "$OUT/$name-$n.md" \
          > "$OUT/$name-$n.log" 2>&1; echo "prompt $n tokens: loadtest exit $?"
        tail -2 "$OUT/$name-$n.md" 2>/dev/null
      done
      stop_server ;;
    kvload)
      name="kvload-$(basename "$CKPT")"
      start_server "$OUT/$name-serve.log" --set server.container_concurrency=128 --set server.queue_size=256 \
        --set logging.request_log=false --set model.max_batch_size=64
      ( peak=0; while kill -0 $pid 2>/dev/null; do
          u=$(curl -s localhost:8080/metrics | awk '/^inferless_kv_cache_usage_perc/{print $2}')
          m=$(gpu_mem)
          echo "$(date +%s) ${u:-0} ${m:-0}"; sleep 1
        done ) > "$OUT/$name-usage.txt" &
      sampler=$!
      "$java" -Xmx4g -cp "$jar" dev.inferless.bench.LoadTest --url http://127.0.0.1:8080 \
        --concurrency "${KV_LEVELS:-16,64}" --requests-per-client 1 --max-tokens "${KV_TOKENS:-512}" --temperature 0 \
        --out "$OUT/$name.md" > "$OUT/$name.log" 2>&1; echo "loadtest exit $?"
      cat "$OUT/$name.md" 2>/dev/null
      curl -s localhost:8080/metrics | grep -E "^inferless_(num_preemptions|kv_cache_usage)" | tee "$OUT/$name-metrics.txt"
      stop_server
      kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
      awk 'BEGIN{u=0;m=0} {if ($2>u) u=$2; if ($3>m) m=$3} END{print "highest kv_cache_usage " u ", highest GPU memory " m " MiB"}' \
        "$OUT/$name-usage.txt" ;;
    batchinv)
      for mode in false true; do
        start_server "$OUT/batchinv-$mode-serve.log" --set logging.request_log=false --set model.batch_invariant=$mode
        python3 "$root/scripts/gpu/batch_invariance.py" | sed "s/^/batch_invariant=$mode /"
        echo "batch_invariant=$mode check exit ${PIPESTATUS[0]}"
        "$java" -Xmx4g -cp "$jar" dev.inferless.bench.LoadTest --url http://127.0.0.1:8080 --concurrency 1,16 \
          --requests-per-client 2 --max-tokens "${LOAD_TOKENS:-128}" --out "$OUT/batchinv-$mode-load.md" \
          > "$OUT/batchinv-$mode-load.log" 2>&1; echo "batch_invariant=$mode loadtest exit $?"
        cat "$OUT/batchinv-$mode-load.md" 2>/dev/null
        stop_server
      done ;;
    fastbench)
      /tmp/llm_ops_build/fast_check bench 48 512 "$OUT/fastbench.jsonl" > "$OUT/fastbench.log" 2>&1; echo "fast_check bench exit $?"
      grep -E "copy_bandwidth|decode_graph|batch_|step_profile" "$OUT/fastbench.log" | cut -c1-260 ;;
    pack)
      # What comes back from a device call is limited to a few files: one archive of everything.
      tar -czf /tmp/gpu-logs.tgz -C "$OUT" . && rm -rf "${OUT:?}"/* && mv /tmp/gpu-logs.tgz "$OUT/gpu-logs.tgz"
      ls -la "$OUT" ;;
    fidelity)
      python3 "$root/scripts/gpu/fidelity.py" --runtime "$java ${JAVA_OPTS[*]} -jar $jar" --out "$OUT/fidelity" \
        --sequences "${FIDELITY_SEQUENCES:-5}" --formats "${FIDELITY_FORMATS:-}" --prompt "${FIDELITY_PROMPT:-16}" 2>&1 \
        | grep -v " INFO " | tee "$OUT/fidelity.log" | tail -9 ;;
    hf)
      python3 "$root/scripts/gpu/hf_baseline.py" "$MAX_TOKENS" 2>&1 | tee "$OUT/hf-baseline.log" | tail -3 ;;
    *) echo "unknown phase $phase"; exit 2 ;;
  esac
done
echo "== done $(date -u +%T)"

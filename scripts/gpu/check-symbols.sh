#!/usr/bin/env bash
# Verifies that a built libdjl_torch.so exports every JNI symbol the JVM may look up for
# ai.djl.pytorch.jni.PyTorchLibrary. Usage: check-symbols.sh <libdjl_torch.so> <java> <classpath>  (the classpath holds the test class JniStubGenerator)
set -euo pipefail
lib="$1"; java="$2"; cp="$3"
expected="$(mktemp)"; exported="$(mktemp)"
"$java" -cp "$cp" dev.inferless.llm.ops.torch.JniStubGenerator symbols | sort -u >"$expected"
nm -D --defined-only "$lib" | awk '{print $3}' | grep '^Java_ai_djl_pytorch_jni_PyTorchLibrary_' | sort -u >"$exported"
missing="$(comm -23 "$expected" "$exported")"
echo "declared natives: $(wc -l <"$expected"), exported: $(wc -l <"$exported")"
if [[ -n "$missing" ]]; then
  echo "MISSING symbols:"; echo "$missing"; exit 1
fi
echo "all declared natives are exported"

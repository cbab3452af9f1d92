#!/usr/bin/env bash
# Regenerates src/main/native/djl_torch/generated_stubs.cc: a throwing stub for every native of
# ai.djl.pytorch.jni.PyTorchLibrary (read from the pytorch-engine jar by reflection) that the
# other sources in that folder do not implement. Run after adding or removing an implementation.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
java -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" dev.inferless.llm.ops.torch.JniStubGenerator \
  stubs src/main/native/djl_torch src/main/native/djl_torch/generated_stubs.cc

#!/usr/bin/env bash
# Prepares, here, everything a GPU device call needs, in the ignored folder .gpu-bundle/ (< 60 MiB):
#   jre.tar.xz               jlink'ed JDK 17 runtime (the GPU host has no Java)
#   inferless-runtime-gpu.jar the shaded runtime jar without DJL's CPU libtorch and JNI binaries
#   binding-check.jar        the GPU checks (test classes of dev.inferless.llm.ops.torch and dev.inferless.gpu)
#   binding-expected.bin     fresh random inputs and expected outputs, computed now on the CPU
#                            with DJL's published binding
#   jni-include/             jni.h, jni_md.h (the runtime is jlink'ed without headers)
#   native/, build-native.sh the JNI sources and their build script
#   run.sh, check-symbols.sh the GPU-side driver (scripts/gpu/run.sh)
# Usage: scripts/gpu/bundle.sh [bundle dir]   (needs JDK 17 with jmods, Maven, zip, xz)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.gpu-bundle}"
cd "$root"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
# The image's module list (one list: the Dockerfile's jlink).
modules="$(grep -o -- '--add-modules [^ ]*' Dockerfile | cut -d' ' -f2)"

rm -rf "$out"
mkdir -p "$out"

echo "== runtime jar"
# Online: a fresh clone has not fetched the plugins yet (their versions are pinned in pom.xml).
mvn -q -B package -DskipTests
cp target/inferless-runtime.jar "$out/inferless-runtime-gpu.jar"
# DJL's CPU libtorch and its prebuilt JNI binaries must not travel: the GPU host has its own
# torch and our binding is built there. Tokenizers' natives for other platforms go too.
zip -q -d "$out/inferless-runtime-gpu.jar" 'pytorch/*' 'jnilib/*/*' 'native/lib/osx-*' 'native/lib/win-*' \
  'native/lib/linux-aarch64/*' >/dev/null || true

echo "== binding checks and expected values"
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
(cd target/test-classes && jar cf "$out/binding-check.jar" dev/inferless/llm/ops/torch dev/inferless/gpu)
java -cp "target/classes:target/test-classes:$(cat target/classpath.txt)" \
  dev.inferless.llm.ops.torch.BindingCheck record "$out/binding-expected.bin" 2>&1 | grep -v ' INFO \| WARN '

echo "== native sources and scripts"
mkdir -p "$out/jni-include/linux" "$out/scripts/gpu" "$out/src/main"
cp "$java_home/include/jni.h" "$out/jni-include/"
cp "$java_home/include/linux/jni_md.h" "$out/jni-include/linux/"
cp -r src/main/native "$out/src/main/"
cp scripts/build-native.sh "$out/scripts/"
cp scripts/gpu/run.sh scripts/gpu/check-symbols.sh "$out/scripts/gpu/"
touch "$out/BUNDLE"

echo "== java runtime"
# Uncompressed modules: xz packs the raw classes much smaller than jlink's own compression (19 vs 28 MB).
jlink --module-path "$java_home/jmods" --add-modules "$modules" --strip-debug --no-header-files \
  --no-man-pages --output "$out/jre"
tar -C "$out" -cJf "$out/jre.tar.xz" jre
rm -rf "$out/jre"

du -sh "$out"
size=$(du -sm "$out" | cut -f1)
if (( size >= 60 )); then
  echo "bundle is ${size} MiB, over the 60 MiB budget" >&2
  exit 1
fi

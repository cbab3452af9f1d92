# The inferless runtime image, serving the model repo at /model (mounted, or copied in by scripts/build-image).
# Needs BuildKit (the default builder from Docker 23; DOCKER_BUILDKIT=1 on Docker 20.10): it builds only the
# stages the chosen VARIANT uses, and caches Maven's repository between builds.
#
#   build        Maven builds target/inferless-runtime.jar
#   jre          jlink cuts a Java 17 runtime down to the modules the runtime uses
#   libtorch     libtorch 2.11 for CUDA 13.0: the PyTorch the GPU figures are measured on
#   native       our DJL binding (libdjl_torch.so) and libllm_ops.so, compiled against that same libtorch
#   layout-cpu   src/main/image/layout lays out the runtime file system: JRE, jar, configuration, /model
#   layout-gpu   the same with the native libraries and libtorch
#   runtime-gpu  CUDA base; the CUDA libraries come with libtorch                   (VARIANT=gpu, the default)
#   runtime-cpu  plain Ubuntu; DJL uses the CPU libtorch and binding in the jar     (VARIANT=cpu, for a laptop)
#   runtime      the image: that layout, non-root, ENTRYPOINT `layout serve` serving /model
# scripts/build-image appends a `model` stage generated from a model repo's config.yaml and builds that.
# Every base image is a build argument, so the image builds from a mirror or a local base (scripts/image-check).
#
#   docker build -t inferless/runtime:gpu .
#   docker build --build-arg VARIANT=cpu -t inferless/runtime:cpu .

ARG VARIANT=gpu
ARG CUDA_VERSION=13.0.1
ARG UBUNTU_VERSION=24.04
# JDK 17 and Maven (the jar, jlink, JNI headers)
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
# where the CUDA code is compiled, and what the GPU image runs on
ARG CUDA_DEVEL_IMAGE=nvidia/cuda:${CUDA_VERSION}-cudnn-devel-ubuntu${UBUNTU_VERSION}
ARG CUDA_BASE_IMAGE=nvidia/cuda:${CUDA_VERSION}-base-ubuntu${UBUNTU_VERSION}
# what the CPU image runs on
ARG CPU_BASE_IMAGE=ubuntu:${UBUNTU_VERSION}

# ---- build: the runnable jar, and the JDK's JNI headers for the native stage ---------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml ./
RUN --mount=type=cache,target=/root/.m2/repository mvn -B -q dependency:resolve
COPY src/main ./src/main
RUN --mount=type=cache,target=/root/.m2/repository mvn -B -q -Dmaven.test.skip=true package \
 && cp target/inferless-runtime.jar /inferless-runtime.jar \
 && cp -r "$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")/include" /opt/jni-include

# ---- jre: only the modules the runtime needs (jdk.compiler: model repos given as sources are compiled at start),
# with the class-data sharing archive a full JDK ships (jlink leaves it out): the JDK's classes map at start
FROM build AS jre
RUN jlink --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec,jdk.zipfs,jdk.httpserver,jdk.management,jdk.compiler \
      --strip-debug --no-header-files --no-man-pages --compress=2 --generate-cds-archive --output /opt/jre

# ---- libtorch: PyTorch's libtorch archive (it carries its CUDA libraries), or a torch wheel's torch/ ----------
FROM ${BUILD_IMAGE} AS libtorch
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu130/libtorch-shared-with-deps-2.11.0%2Bcu130.zip
# Set to the archive's sha256 to pin it (empty: not checked).
ARG LIBTORCH_SHA256=""
# hadolint ignore=DL3008
RUN { command -v unzip && command -v curl; } >/dev/null \
 || { apt-get update && apt-get install -y --no-install-recommends ca-certificates curl unzip && rm -rf /var/lib/apt/lists/*; }
# A wheel (URL ending .whl) brings torch/lib without the CUDA libraries: use a CUDA_BASE_IMAGE that has them (-runtime-).
RUN curl -fsSL --retry 3 -o /tmp/torch.zip "${LIBTORCH_URL}" \
 && if [ -n "${LIBTORCH_SHA256}" ]; then echo "${LIBTORCH_SHA256}  /tmp/torch.zip" | sha256sum -c -; fi \
 && case "${LIBTORCH_URL}" in \
      *.whl) unzip -q /tmp/torch.zip 'torch/lib/*' 'torch/include/*' 'torch/share/*' 'torch/version.py' -d /tmp/wheel \
             && mv /tmp/wheel/torch /opt/libtorch \
             && sed -n "s/^__version__ = '\(.*\)'/\1/p" /opt/libtorch/version.py > /opt/libtorch/build-version ;; \
      *) unzip -q /tmp/torch.zip -d /opt ;; \
    esac \
 && rm -rf /tmp/torch.zip /tmp/wheel \
 && test -f /opt/libtorch/lib/libtorch_cuda.so && test -s /opt/libtorch/build-version

# ---- native: our DJL binding and the fast decode path, against the image's libtorch, for A100 and H100 --------
FROM ${CUDA_DEVEL_IMAGE} AS native
# sm_80 (A100) and sm_90a (H100/H200) in one fat binary; the driver picks the card's.
ARG CUDA_ARCHITECTURES="80;90a"
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/jni-include /opt/jni-include
COPY --from=libtorch /opt/libtorch /opt/libtorch
COPY src/main/native /src/src/main/native
COPY scripts/build-native.sh /src/scripts/build-native.sh
RUN mkdir -p /opt/inferless/native \
 && LIBTORCH=/opt/libtorch JNI_INCLUDE=/opt/jni-include BUILD_DIR=/tmp/native-build \
      bash /src/scripts/build-native.sh -DINFERLESS_LLM_OPS=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}" \
 && cp -v /tmp/native-build/libdjl_torch.so /tmp/native-build/libllm_ops.so /opt/inferless/native/

# ---- layout: the runtime file system, laid out by the script that is also the ENTRYPOINT ---------------------
FROM ${BUILD_IMAGE} AS layout-cpu
COPY --from=jre /opt/jre /staging/jre
COPY --from=build /inferless-runtime.jar /staging/inferless-runtime.jar
COPY runtime-config.yaml /staging/runtime-config.yaml
COPY src/main/image/layout /staging/layout
RUN sh /staging/layout install /rootfs /staging/jre /staging/inferless-runtime.jar /staging/runtime-config.yaml

FROM layout-cpu AS layout-gpu
COPY --from=native /opt/inferless/native /staging/native
COPY --from=libtorch /opt/libtorch /staging/libtorch
RUN rm -rf /rootfs \
 && sh /staging/layout install /rootfs /staging/jre /staging/inferless-runtime.jar /staging/runtime-config.yaml \
      /staging/native /staging/libtorch

# hadolint ignore=DL3006
FROM layout-${VARIANT} AS layout

# ---- runtime-gpu: CUDA driver settings from the base image; the CUDA libraries come with libtorch ----------
# hadolint ignore=DL3006
FROM ${CUDA_BASE_IMAGE} AS runtime-gpu

# ---- runtime-cpu: DJL extracts the CPU libtorch shipped inside the jar (pytorch-native-cpu) -----------------
# hadolint ignore=DL3006
FROM ${CPU_BASE_IMAGE} AS runtime-cpu

# ---- runtime: the image ---------------------------------------------------------------------------------------
# hadolint ignore=DL3006
FROM runtime-${VARIANT} AS runtime
# curl is the HEALTHCHECK's client (a base that has it needs no package index).
# hadolint ignore=DL3008
RUN if ! command -v curl >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*; fi \
 && groupadd --gid 10001 inferless \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin inferless
COPY --from=layout /rootfs/ /
# One start of the runtime on an echo repo records the classes it loads (opt/inferless/classes.jsa): every start
# of the image maps them (class-data sharing) instead of loading them one by one.
RUN /opt/inferless/bin/layout archive-classes
# The only written directories are /tmp and /var/cache/inferless: with docker run --read-only, mount both as tmpfs.
RUN chown 10001:10001 /var/cache/inferless
# INFERLESS_* are runtime-config.yaml keys (INFERLESS_SERVER_PORT = server.port); override them with docker run -e.
# The rest of the environment (libtorch, caches, INFERLESS_MODEL_RANDOM_WEIGHTS=false) is set by `layout serve`.
ENV INFERLESS_SERVER_HOST=0.0.0.0 \
    INFERLESS_SERVER_PORT=8080
WORKDIR /opt/inferless
USER 10001:10001
EXPOSE 8080
# `layout serve` execs the JVM, so the JVM is PID 1: SIGTERM reaches it and starts the drain (server.shutdown_grace_s).
# Give docker stop / Kubernetes more time than that grace: docker stop -t 40, terminationGracePeriodSeconds 45.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=600s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${INFERLESS_SERVER_PORT}/v2/health/ready" || exit 1
ENTRYPOINT ["/opt/inferless/bin/layout", "serve", "--model", "/model"]

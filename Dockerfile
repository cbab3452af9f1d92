# syntax=docker/dockerfile:1.7
# The inferless runtime image, serving the model repo at /model (mounted, or copied in by scripts/build-image).
#
#   build        Maven builds target/inferless-runtime.jar
#   jre          jlink cuts a Java 17 runtime down to the modules the runtime uses
#   libtorch     libtorch 2.7.1 for CUDA 12.8: the PyTorch that DJL 0.36 publishes its JNI binding for
#   native       our native operations (src/main/native), compiled against that same libtorch
#   runtime-gpu  CUDA base + libtorch + native operations          (VARIANT=gpu, the default)
#   runtime-cpu  plain Ubuntu; DJL uses the CPU libtorch in the jar  (VARIANT=cpu, for a laptop)
#   runtime      the image: JRE + jar, non-root, ENTRYPOINT serving /model
# scripts/build-image appends a `model` stage generated from a model repo's config.yaml and builds that.
#
#   docker build -t inferless/runtime:gpu .
#   docker build --build-arg VARIANT=cpu -t inferless/runtime:cpu .

ARG VARIANT=gpu
ARG CUDA_VERSION=12.8.1
ARG UBUNTU_VERSION=22.04

# ---- build: the runnable jar ------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
RUN --mount=type=cache,target=/root/.m2/repository mvn -B -q dependency:resolve
COPY src/main ./src/main
RUN --mount=type=cache,target=/root/.m2/repository mvn -B -q -Dmaven.test.skip=true package \
 && cp target/inferless-runtime.jar /inferless-runtime.jar

# ---- jre: only the modules the runtime needs (jdk.compiler: model repos given as sources are compiled at start)
FROM build AS jre
RUN jlink --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec,jdk.zipfs,jdk.httpserver,jdk.management,jdk.compiler \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output /opt/jre

# ---- libtorch: 2.7.1 + CUDA 12.8, so DJL's published binding (pytorch-jni 2.7.1-0.36.0, flavor cu128) fits ----
FROM ubuntu:${UBUNTU_VERSION} AS libtorch
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip
# Set to the archive's sha256 to pin it (empty: not checked).
ARG LIBTORCH_SHA256=""
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL --retry 3 -o /tmp/libtorch.zip "${LIBTORCH_URL}" \
 && if [ -n "${LIBTORCH_SHA256}" ]; then echo "${LIBTORCH_SHA256}  /tmp/libtorch.zip" | sha256sum -c -; fi \
 && unzip -q /tmp/libtorch.zip -d /opt \
 && rm /tmp/libtorch.zip \
 && test -f /opt/libtorch/lib/libtorch_cuda.so

# ---- native: src/main/native built against the image's libtorch (skipped while the tree has no CMake project)
FROM nvidia/cuda:${CUDA_VERSION}-cudnn-devel-ubuntu${UBUNTU_VERSION} AS native
ARG CUDA_ARCHITECTURES=90a
ARG TORCH_CUDA_ARCH_LIST=9.0a
# Ubuntu 22.04's CMake (3.22) predates the "90a" architecture suffix: take a newer one from PyPI.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ python3-pip \
 && rm -rf /var/lib/apt/lists/* \
 && pip3 install --no-cache-dir cmake==3.31.6 ninja==1.11.1.4
COPY --from=build /opt/java/openjdk /opt/java/openjdk
COPY --from=libtorch /opt/libtorch /opt/libtorch
COPY src/main/ /src/main/
ENV JAVA_HOME=/opt/java/openjdk
RUN mkdir -p /opt/inferless/native \
 && if [ -f /src/main/native/CMakeLists.txt ]; then \
      cmake -S /src/main/native -B /tmp/native-build -G Ninja -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_PREFIX_PATH=/opt/libtorch -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}" \
   && cmake --build /tmp/native-build \
   && find /tmp/native-build -name '*.so' ! -name 'libdjl_torch.so' -exec cp -v {} /opt/inferless/native/ \; ; \
    else echo "no src/main/native/CMakeLists.txt: no native operations in this image"; fi
# The fast decode path (libllm_ops.so): the runtime finds it in native/ beside its jar and uses it on a GPU.
RUN cmake -S /src/main/native/llm_ops -B /tmp/llm-ops-build -G Ninja -DTORCH_DIR=/opt/libtorch \
          -DJNI_INCLUDE=/opt/java/openjdk/include -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES}" \
 && cmake --build /tmp/llm-ops-build --target llm_ops \
 && cp -v /tmp/llm-ops-build/libllm_ops.so /opt/inferless/native/

# ---- runtime-gpu: CUDA driver settings from the base image; the CUDA libraries come with libtorch ----------
FROM nvidia/cuda:${CUDA_VERSION}-base-ubuntu${UBUNTU_VERSION} AS runtime-gpu
COPY --from=libtorch /opt/libtorch/lib /opt/libtorch/lib
COPY --from=native /opt/inferless/native /opt/inferless/native
# DJL loads this libtorch instead of downloading one, and its own cu128 binding from the pytorch-jni jar.
ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR=cu128 \
    LD_LIBRARY_PATH=/opt/inferless/native:/opt/libtorch/lib:/usr/local/nvidia/lib:/usr/local/nvidia/lib64

# ---- runtime-cpu: DJL extracts the CPU libtorch shipped inside the jar (pytorch-native-cpu) -----------------
FROM ubuntu:${UBUNTU_VERSION} AS runtime-cpu
ENV PYTORCH_FLAVOR=cpu

# ---- runtime: the image ---------------------------------------------------------------------------------------
# hadolint ignore=DL3006
FROM runtime-${VARIANT} AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 inferless \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/inferless --shell /usr/sbin/nologin inferless \
 && mkdir -p /model /var/cache/djl \
 && chown 10001:10001 /model /var/cache/djl
COPY --from=jre /opt/jre /opt/jre
COPY --from=build /inferless-runtime.jar /opt/inferless/inferless-runtime.jar
COPY runtime-config.yaml /opt/inferless/runtime-config.yaml
# INFERLESS_* are runtime-config.yaml keys (INFERLESS_SERVER_PORT = server.port); override them with docker run -e.
ENV JAVA_HOME=/opt/jre \
    PATH=/opt/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DJL_CACHE_DIR=/var/cache/djl \
    INFERLESS_SERVER_HOST=0.0.0.0 \
    INFERLESS_SERVER_PORT=8080
WORKDIR /opt/inferless
USER 10001:10001
EXPOSE 8080
# The JVM is PID 1 (exec form, no shell): SIGTERM reaches it and starts the drain (server.shutdown_grace_s).
# Give docker stop / Kubernetes more time than that grace: docker stop -t 40, terminationGracePeriodSeconds 45.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=600s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${INFERLESS_SERVER_PORT}/v2/health/ready" || exit 1
ENTRYPOINT ["/opt/jre/bin/java", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-Dai.djl.offline=true", "-jar", "/opt/inferless/inferless-runtime.jar", "serve", "--model", "/model"]

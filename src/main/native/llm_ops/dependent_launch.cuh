// Device side of dependent_launch.h. Every kernel launched through launchDependent keeps one rule:
// before waitForPrevious it reads only constant data (weights, scales) and writes only shared
// memory; waitForPrevious returns once every earlier kernel of the stream has finished and its
// writes are visible. allowNextToStart lets the next kernel launch (it then waits the same way).
// Launched plainly, both are no-ops.
#pragma once

#include "dependent_launch.h"

#include <cuda_runtime.h>

#include <utility>

namespace llmops::kernels {

__device__ __forceinline__ void waitForPrevious() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void allowNextToStart() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

template <typename... Params, typename... Args>
cudaError_t launchDependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t sharedBytes,
                            cudaStream_t stream, Args&&... args) {
    cudaLaunchAttribute attribute[1];
    attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config = {};
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = sharedBytes;
    config.stream = stream;
    config.attrs = attribute;
    config.numAttrs = dependentLaunch() ? 1 : 0;
    return cudaLaunchKernelEx(&config, kernel, static_cast<Params>(std::forward<Args>(args))...);
}

}  // namespace llmops::kernels

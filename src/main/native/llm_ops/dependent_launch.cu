#include "dependent_launch.h"

#include <cuda_runtime_api.h>

#include <atomic>

namespace llmops::kernels {

// Compiled with the same architectures as every kernel of the library: which code the driver picked.
__global__ void dependentLaunchProbe() {}

namespace {

// Hopper (compute capability 9) and later take the launch attribute, and only kernels compiled for it
// wait for the kernel before (griddepcontrol, dependent_launch.cuh): code from PTX below compute_90,
// JIT-compiled on a Hopper GPU (a build for A100s only), must launch plainly like on an A100.
bool deviceTakesIt() {
    int device = 0, major = 0;
    cudaFuncAttributes attributes{};
    return cudaGetDevice(&device) == cudaSuccess &&
           cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess && major >= 9 &&
           cudaFuncGetAttributes(&attributes, dependentLaunchProbe) == cudaSuccess && attributes.ptxVersion >= 90;
}

std::atomic<bool>& flag() {
    static std::atomic<bool> on{deviceTakesIt()};
    return on;
}

}  // namespace

bool dependentLaunch() {
    return flag().load(std::memory_order_relaxed);
}

void setDependentLaunch(bool on) {
    flag().store(on && deviceTakesIt(), std::memory_order_relaxed);
}

}  // namespace llmops::kernels

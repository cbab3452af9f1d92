#include "dependent_launch.h"

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace llmops::kernels {
namespace {

// Hopper (compute capability 9) and later take the launch attribute; earlier GPUs launch plainly.
bool deviceTakesIt() {
    int device = 0, major = 0;
    return cudaGetDevice(&device) == cudaSuccess &&
           cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess && major >= 9;
}

std::atomic<bool>& flag() {
    static std::atomic<bool> on{[] {
        const char* v = std::getenv("LLM_OPS_PDL");
        return (v == nullptr || std::strcmp(v, "0") != 0) && deviceTakesIt();
    }()};
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

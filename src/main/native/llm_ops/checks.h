// The two ways native code here fails: bad input (std::invalid_argument, a Java
// IllegalArgumentException through jni_bridge) and a failed CUDA call (std::runtime_error).
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace llmops {

inline void require(bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
}

inline void checkCuda(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace llmops

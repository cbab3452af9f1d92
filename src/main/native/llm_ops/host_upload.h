// Host bytes to a new device tensor through pinned staging buffers. A copy from pageable memory (a
// checkpoint's memory map) runs at about 4.5 GB/s on the GPU host; here CPU threads fill one pinned
// buffer while the copy engine drains the other.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace llmops {

// dtype: the safetensors name (F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL). `bytes` must equal
// the shape's element count times the dtype's size.
at::Tensor uploadHostBytes(const void* data, int64_t bytes, const std::string& dtype, at::IntArrayRef shape,
                           const at::Device& device);

// Small host values (a step's inputs, a sampling table) in a page-locked tensor from torch's caching
// host allocator: copied to the device with non_blocking, the host goes on at once and the block is
// kept until the copy has run. (From pageable memory torch's copy waits for the whole stream.)
at::Tensor pinnedHostCopy(const std::vector<int64_t>& values);
at::Tensor pinnedHostCopy(const std::vector<float>& values);

}  // namespace llmops

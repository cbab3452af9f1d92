#include "host_upload.h"

#include "checks.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace llmops {
namespace {

constexpr int64_t kChunk = 64LL << 20;  // bytes per staging buffer
constexpr int64_t kCopyThreads = 8;
constexpr int64_t kBytesPerThread = 1LL << 20;  // below this, starting a thread costs more than it copies

at::ScalarType scalarTypeOf(const std::string& dtype) {
    static const std::map<std::string, at::ScalarType> types = {
        {"F16", at::kHalf}, {"BF16", at::kBFloat16}, {"F32", at::kFloat}, {"F64", at::kDouble}, {"I64", at::kLong},
        {"I32", at::kInt},  {"I16", at::kShort},     {"I8", at::kChar},   {"U8", at::kByte},    {"BOOL", at::kBool}};
    auto it = types.find(dtype);
    if (it == types.end()) throw std::invalid_argument("unknown dtype " + dtype);
    return it->second;
}

// Two pinned buffers and their copy-done events, made once and reused for every upload; `next` is the
// one to fill next, so that consecutive small tensors alternate too.
struct Staging {
    char* buffers[2] = {nullptr, nullptr};
    cudaEvent_t drained[2] = {nullptr, nullptr};
    int next = 0;

    Staging() {
        for (int i = 0; i < 2; ++i) {
            checkCuda(cudaHostAlloc(reinterpret_cast<void**>(&buffers[i]), kChunk, cudaHostAllocDefault), "cudaHostAlloc");
            checkCuda(cudaEventCreateWithFlags(&drained[i], cudaEventDisableTiming), "cudaEventCreate");
        }
    }
};

}  // namespace

at::Tensor uploadHostBytes(const void* data, int64_t bytes, const std::string& dtype, at::IntArrayRef shape,
                           const at::Device& device) {
    const at::ScalarType type = scalarTypeOf(dtype);
    int64_t elements = 1;
    for (int64_t d : shape) elements *= d;
    if (elements * static_cast<int64_t>(at::elementSize(type)) != bytes) {
        throw std::invalid_argument(std::to_string(bytes) + " bytes do not hold a " + dtype + " tensor of " +
                                    std::to_string(elements) + " elements");
    }
    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(type).device(device));
    if (bytes == 0) return out;
    static std::mutex lock;  // one upload at a time through the shared staging buffers
    std::lock_guard<std::mutex> guard(lock);
    static Staging staging;
    c10::cuda::CUDAGuard deviceGuard(device);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
    const char* src = static_cast<const char*>(data);
    char* dst = static_cast<char*>(out.data_ptr());
    for (int64_t offset = 0; offset < bytes; offset += kChunk, staging.next ^= 1) {
        const int i = staging.next;
        const int64_t n = std::min(kChunk, bytes - offset);
        checkCuda(cudaEventSynchronize(staging.drained[i]), "cudaEventSynchronize");  // its last copy is done
        char* buffer = staging.buffers[i];
        // Threads of our own: torch's intra-op pool may be a single thread in this process, and one
        // thread copies from a memory map at about the pageable-copy speed we are trying to beat.
        const int64_t threads = std::min(kCopyThreads, (n + kBytesPerThread - 1) / kBytesPerThread);
        const int64_t slice = (n + threads - 1) / threads;
        std::vector<std::thread> copiers;
        for (int64_t begin = slice; begin < n; begin += slice) {
            const int64_t end = std::min(n, begin + slice);
            copiers.emplace_back([=] { std::memcpy(buffer + begin, src + offset + begin, end - begin); });
        }
        std::memcpy(buffer, src + offset, std::min(n, slice));  // the first slice on this thread
        for (std::thread& t : copiers) t.join();
        checkCuda(cudaMemcpyAsync(dst + offset, buffer, n, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
        checkCuda(cudaEventRecord(staging.drained[i], stream), "cudaEventRecord");
    }
    // Not waited for here: the copies are ordered before anything later on this stream (the repack that
    // reads the tensor), and a staging buffer is refilled only after its event, so the next tensor's
    // host copy overlaps this one's last transfer.
    return out;
}

namespace {

template <typename T>
at::Tensor pinnedOf(const std::vector<T>& values, at::ScalarType type) {
    at::Tensor t = at::empty({static_cast<int64_t>(values.size())}, at::TensorOptions().dtype(type).pinned_memory(true));
    std::memcpy(t.data_ptr(), values.data(), values.size() * sizeof(T));
    return t;
}

}  // namespace

at::Tensor pinnedHostCopy(const std::vector<int64_t>& values) { return pinnedOf(values, at::kLong); }

at::Tensor pinnedHostCopy(const std::vector<float>& values) { return pinnedOf(values, at::kFloat); }

}  // namespace llmops

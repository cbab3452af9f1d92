// paged_attention_check.h: plain CUDA (no torch), so it also builds where only nvcc is.
#include "paged_attention_check.h"

#include "attention.h"

#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace check {
namespace {

template <typename T>
struct DeviceBuffer {
    T* ptr = nullptr;
    size_t n = 0;
    explicit DeviceBuffer(size_t count) : n(count) { cudaMalloc(&ptr, count * sizeof(T)); }
    ~DeviceBuffer() { cudaFree(ptr); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    cudaError_t upload(const std::vector<T>& host) { return cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice); }
    std::vector<T> download() const {
        std::vector<T> host(n);
        cudaMemcpy(host.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost);
        return host;
    }
};

bool sameBits(const std::vector<__nv_bfloat16>& a, const std::vector<__nv_bfloat16>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(__nv_bfloat16)) == 0;
}

}  // namespace

cudaError_t checkPagedAttention(int d, int blockSize, int splits, unsigned seed, PagedAttentionResult* result) {
    const int hq = 8, hkv = 2, capacity = 256;
    const int maxBlocks = capacity / blockSize;
    // Decode rows at these positions: the first position, inside a block, at a block's end, the last.
    const std::vector<int64_t> positions = {0, 37, 3 * blockSize - 1, capacity - 1};
    const int m = static_cast<int>(positions.size()), sequences = m;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    auto randomBf16 = [&](size_t n) {
        std::vector<__nv_bfloat16> v(n);
        for (auto& x : v) x = __float2bfloat16(normal(rng));
        return v;
    };

    // Contiguous caches [sequences, hkv, capacity, d], and the same rows in a pool under shuffled ids.
    const size_t rowsPerCache = static_cast<size_t>(sequences) * hkv * capacity;
    std::vector<__nv_bfloat16> keys = randomBf16(rowsPerCache * d), values = randomBf16(rowsPerCache * d);
    const int poolBlocks = sequences * maxBlocks + 3;  // spare blocks nobody uses
    std::vector<int> ids(poolBlocks);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<int32_t> table(static_cast<size_t>(sequences) * maxBlocks);
    std::vector<__nv_bfloat16> keyPool = randomBf16(static_cast<size_t>(poolBlocks) * hkv * blockSize * d);
    std::vector<__nv_bfloat16> valuePool = keyPool;
    for (int s = 0; s < sequences; ++s) {
        for (int j = 0; j < maxBlocks; ++j) {
            const int id = ids[s * maxBlocks + j];
            table[s * maxBlocks + j] = id;
            for (int h = 0; h < hkv; ++h) {
                const size_t from = ((static_cast<size_t>(s) * hkv + h) * capacity + j * blockSize) * d;
                const size_t to = ((static_cast<size_t>(id) * hkv + h) * blockSize) * d;
                std::copy_n(keys.begin() + from, blockSize * d, keyPool.begin() + to);
                std::copy_n(values.begin() + from, blockSize * d, valuePool.begin() + to);
            }
        }
    }
    std::vector<int64_t> rowSequences(m);
    std::iota(rowSequences.begin(), rowSequences.end(), 0);
    std::reverse(rowSequences.begin(), rowSequences.end());  // row i is not sequence i

    DeviceBuffer<__nv_bfloat16> kC(keys.size()), vC(values.size()), kP(keyPool.size()), vP(valuePool.size());
    DeviceBuffer<int32_t> tableD(table.size());
    DeviceBuffer<int64_t> posD(m), seqD(m);
    const int width = (hq + 2 * hkv) * d;
    DeviceBuffer<__nv_bfloat16> qkv(static_cast<size_t>(m) * width), qC(static_cast<size_t>(m) * hq * d),
        qP(static_cast<size_t>(m) * hq * d), outC(static_cast<size_t>(m) * hq * d), outP(static_cast<size_t>(m) * hq * d);
    DeviceBuffer<float> cosD(static_cast<size_t>(capacity) * d), sinD(static_cast<size_t>(capacity) * d);
    DeviceBuffer<float> partials(static_cast<size_t>(m) * hq * splits * (d + 2));
    std::vector<float> angles(static_cast<size_t>(capacity) * d);
    for (auto& a : angles) a = normal(rng);
    std::vector<float> cosH(angles.size()), sinH(angles.size());
    std::transform(angles.begin(), angles.end(), cosH.begin(), [](float a) { return std::cos(a); });
    std::transform(angles.begin(), angles.end(), sinH.begin(), [](float a) { return std::sin(a); });

    cudaError_t e = cudaSuccess;
    auto step = [&](cudaError_t r) { if (e == cudaSuccess) e = r; };
    step(kC.upload(keys));
    step(vC.upload(values));
    step(kP.upload(keyPool));
    step(vP.upload(valuePool));
    step(tableD.upload(table));
    step(posD.upload(positions));
    step(seqD.upload(rowSequences));
    step(qkv.upload(randomBf16(qkv.n)));
    step(cosD.upload(cosH));
    step(sinD.upload(sinH));
    const llmops::kernels::KvBlockTable blocks{tableD.ptr, blockSize, maxBlocks};
    cudaStream_t stream = nullptr;
    // The new tokens' k and v go into both caches; then every row attends over both.
    step(llmops::kernels::ropeAndCacheWrite(qkv.ptr, posD.ptr, seqD.ptr, cosD.ptr, sinD.ptr, kC.ptr, vC.ptr, qC.ptr, m, hq, hkv,
                                    d, capacity, stream));
    step(llmops::kernels::ropeAndCacheWritePaged(qkv.ptr, posD.ptr, seqD.ptr, blocks, cosD.ptr, sinD.ptr, kP.ptr, vP.ptr, qP.ptr,
                                         m, hq, hkv, d, stream));
    step(llmops::kernels::decodeAttention(qC.ptr, kC.ptr, vC.ptr, posD.ptr, seqD.ptr, nullptr, outC.ptr, partials.ptr, splits, m,
                                  hq, hkv, d, capacity, stream));
    step(llmops::kernels::decodeAttentionPaged(qP.ptr, kP.ptr, vP.ptr, posD.ptr, seqD.ptr, blocks, nullptr, outP.ptr,
                                       partials.ptr, splits, m, hq, hkv, d, stream));
    step(cudaDeviceSynchronize());
    if (e != cudaSuccess) return e;

    // The written rows, read back through the table, against the contiguous cache's.
    std::vector<__nv_bfloat16> kCh = kC.download(), vCh = vC.download(), kPh = kP.download(), vPh = vP.download();
    bool written = true;
    for (int i = 0; i < m; ++i) {
        const int64_t s = rowSequences[i], t = positions[i];
        const int id = table[s * maxBlocks + t / blockSize];
        for (int h = 0; h < hkv; ++h) {
            const size_t c = ((static_cast<size_t>(s) * hkv + h) * capacity + t) * d;
            const size_t p = ((static_cast<size_t>(id) * hkv + h) * blockSize + t % blockSize) * d;
            written = written && std::memcmp(&kCh[c], &kPh[p], d * sizeof(__nv_bfloat16)) == 0 &&
                      std::memcmp(&vCh[c], &vPh[p], d * sizeof(__nv_bfloat16)) == 0;
        }
    }
    result->attentionEqual = sameBits(outC.download(), outP.download());
    result->cacheWriteEqual = written;
    result->queriesEqual = sameBits(qC.download(), qP.download());
    result->rows = m;
    return cudaSuccess;
}

}  // namespace check

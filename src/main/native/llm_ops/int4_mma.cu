#include "int4_mma.h"

#include <cstring>

namespace llmops::kernels {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

__device__ __forceinline__ uint32_t bits(__nv_bfloat162 v) {
    uint32_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
}

__device__ __forceinline__ __nv_bfloat162 pair(uint32_t u) {
    __nv_bfloat162 v;
    memcpy(&v, &u, sizeof(u));
    return v;
}

// Two nibbles (bits shift..shift+3 and shift+16..shift+19) as bf16 (q - 8) * scale + zero. OR-ing a
// nibble into the mantissa of bf16 128.0 (0x4300) gives 128 + q exactly; subtracting 136 leaves q - 8.
__device__ __forceinline__ uint32_t dequantize(uint32_t word, int shift, __nv_bfloat162 scale, __nv_bfloat162 zero) {
    const __nv_bfloat162 v = pair(((word >> shift) & 0x000F000Fu) | 0x43004300u);
    return bits(__hfma2(__hsub2(v, pair(0x43084308u)), scale, zero));  // 0x4308 = bf16 136.0
}

__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t load32(const __nv_bfloat16* p) {
    return __ldg(reinterpret_cast<const unsigned int*>(p));
}

__device__ __forceinline__ uint32_t component(const uint4& v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// Block (m-tile, NT n-tiles): 8 warps take every 8th k-block; each keeps the weights of its next
// k-block in flight while it multiplies the current one (deeper rings measured slower: the extra
// registers cost more occupancy than they hide latency).
template <int NT, int G>
__global__ void __launch_bounds__(kThreads) int4MmaKernel(const __nv_bfloat16* __restrict__ x,
                                                          const uint4* __restrict__ w,
                                                          const __nv_bfloat162* __restrict__ scalesZeros,
                                                          __nv_bfloat16* __restrict__ y, int m, int n, int k) {
    __shared__ float partial[kWarps][NT][32][4];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, g = lane / 4, t = lane % 4;
    const int tiles = n / 8, blocks = k / 128;
    const int nt0 = blockIdx.y * NT;
    const int row0 = blockIdx.x * 16 + g, row1 = row0 + 8;
    const bool has0 = row0 < m, has1 = row1 < m;
    const __nv_bfloat16* x0 = x + static_cast<int64_t>(has0 ? row0 : 0) * k + 2 * t;
    const __nv_bfloat16* x1 = x + static_cast<int64_t>(has1 ? row1 : 0) * k + 2 * t;

    float acc[NT][4];
#pragma unroll
    for (int i = 0; i < NT; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;

    auto load = [&](int kb, uint4 (&q)[NT]) {
#pragma unroll
        for (int i = 0; i < NT; ++i) {
            q[i] = kb < blocks && nt0 + i < tiles
                       ? __ldg(w + (static_cast<int64_t>(nt0 + i) * blocks + kb) * 32 + lane)
                       : make_uint4(0, 0, 0, 0);
        }
    };
    auto multiply = [&](int kb, const uint4 (&q)[NT]) {
        __nv_bfloat162 scale[NT], zero[NT];
#pragma unroll
        for (int c = 0; c < 8; ++c) {
            const int k0 = kb * 128 + c * 16;
            if (c * 16 % G == 0 || c == 0) {  // a new group of scales
#pragma unroll
                for (int i = 0; i < NT; ++i) {
                    const int col = (nt0 + i) * 8 + g;
                    const __nv_bfloat162 sz = col < n ? scalesZeros[static_cast<int64_t>(k0 / G) * n + col] : pair(0u);
                    scale[i] = __low2bfloat162(sz);
                    zero[i] = __high2bfloat162(sz);
                }
            }
            const uint32_t a[4] = {has0 ? load32(x0 + k0) : 0u, has1 ? load32(x1 + k0) : 0u,
                                   has0 ? load32(x0 + k0 + 8) : 0u, has1 ? load32(x1 + k0 + 8) : 0u};
#pragma unroll
            for (int i = 0; i < NT; ++i) {
                const uint32_t word = component(q[i], c / 2);
                const int shift = (c % 2) * 8;
                mma(acc[i], a, dequantize(word, shift, scale[i], zero[i]), dequantize(word, shift + 4, scale[i], zero[i]));
            }
        }
    };

    uint4 ring[2][NT];
    load(warp, ring[0]);
    load(warp + kWarps, ring[1]);
    for (int kb = warp; kb < blocks; kb += 2 * kWarps) {
#pragma unroll
        for (int s = 0; s < 2; ++s) {
            const int current = kb + s * kWarps;
            if (current < blocks) multiply(current, ring[s]);
            load(current + 2 * kWarps, ring[s]);  // refill the slot just used
        }
    }

#pragma unroll
    for (int i = 0; i < NT; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r) partial[warp][i][lane][r] = acc[i][r];
    __syncthreads();
    for (int e = threadIdx.x; e < NT * 32 * 4; e += kThreads) {
        const int i = e / 128, l = (e / 4) % 32, r = e % 4;
        float sum = 0.f;
#pragma unroll
        for (int v = 0; v < kWarps; ++v) sum += partial[v][i][l][r];
        const int row = blockIdx.x * 16 + l / 4 + (r >= 2 ? 8 : 0);
        const int col = (nt0 + i) * 8 + 2 * (l % 4) + (r & 1);
        if (row < m && nt0 + i < tiles) y[static_cast<int64_t>(row) * n + col] = __float2bfloat16(sum);
    }
}

template <int NT>
cudaError_t launch(const __nv_bfloat16* x, const uint4* w, const __nv_bfloat162* sz, __nv_bfloat16* y, int m, int n,
                   int k, int groupSize, cudaStream_t stream) {
    const dim3 grid((m + 15) / 16, (n / 8 + NT - 1) / NT);
    switch (groupSize) {
        case 32: int4MmaKernel<NT, 32><<<grid, kThreads, 0, stream>>>(x, w, sz, y, m, n, k); break;
        case 64: int4MmaKernel<NT, 64><<<grid, kThreads, 0, stream>>>(x, w, sz, y, m, n, k); break;
        case 128: int4MmaKernel<NT, 128><<<grid, kThreads, 0, stream>>>(x, w, sz, y, m, n, k); break;
        case 256: int4MmaKernel<NT, 256><<<grid, kThreads, 0, stream>>>(x, w, sz, y, m, n, k); break;
        default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

}  // namespace

bool int4MmaFits(int64_t n, int64_t k, int64_t groupSize) {
    return k % 128 == 0 && n % 8 == 0 && (groupSize == 32 || groupSize == 64 || groupSize == 128 || groupSize == 256);
}

int defaultTilesPerBlock(int m) {
    // Measured on an H100 over the CodeLlama-34B shapes (docs/fast-path.md): with few rows the
    // weight stream dominates and more, smaller blocks win; with more rows each block rereads the
    // activations, and more n-tiles per block share those reads.
    const int rows = m < 16 ? m : 16;
    return rows <= 4 ? 2 : rows <= 8 ? 4 : 8;
}

cudaError_t int4Mma(const __nv_bfloat16* x, const int32_t* qweight, const __nv_bfloat162* scalesZeros,
                    __nv_bfloat16* y, int m, int n, int k, int groupSize, int tilesPerBlock, cudaStream_t stream) {
    if (m <= 0 || !int4MmaFits(n, k, groupSize)) return cudaErrorInvalidValue;
    const uint4* w = reinterpret_cast<const uint4*>(qweight);
    switch (tilesPerBlock != 0 ? tilesPerBlock : defaultTilesPerBlock(m)) {
        case 2: return launch<2>(x, w, scalesZeros, y, m, n, k, groupSize, stream);
        case 4: return launch<4>(x, w, scalesZeros, y, m, n, k, groupSize, stream);
        case 8: return launch<8>(x, w, scalesZeros, y, m, n, k, groupSize, stream);
        default: return cudaErrorInvalidValue;
    }
}

}  // namespace llmops::kernels

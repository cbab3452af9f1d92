// JNI entry points of dev.inferless.llm.ops.NativeLlm. Tensor handles are DJL's (common/tensor_handles.h).
// A linear part crosses as six longs: weight handle, scalesZeros handle (0 = dense), perm handle
// (0 = none), group size, kind (llmops::PartKind), partStarts handle (0 = one input copy). Bad input
// becomes an IllegalArgumentException, any other failure an IllegalStateException.
#include "checks.h"
#include "host_upload.h"
#include "int4_linear.h"
#include "jni_support.h"
#include "sampling_decoder.h"
#include "tensor_handles.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using llmops::LinearPart;
namespace jni = inferless::jni;

namespace {

using NativeModel = llmops::SamplingDecoder;

constexpr jni::JavaExceptions kExceptions{"java/lang/IllegalArgumentException", "java/lang/IllegalStateException"};

template <typename Body>
auto guarded(JNIEnv* env, Body&& body) {
    return jni::guarded(env, std::forward<Body>(body), kExceptions);
}

NativeModel& modelAt(jlong handle) {
    if (handle == 0) throw std::invalid_argument("null model handle");
    return *reinterpret_cast<NativeModel*>(handle);
}

// A handle of 0 (none) as an undefined tensor, the form llm_ops takes optional tensors in.
at::Tensor tensorOrUndefined(jlong handle) {
    return jni::optionalTensor(handle).value_or(at::Tensor());
}

std::vector<at::Tensor> tensorsOrUndefined(JNIEnv* env, jlongArray array) {
    std::vector<at::Tensor> out;
    for (int64_t h : jni::longs(env, array)) out.push_back(tensorOrUndefined(h));
    return out;
}

std::vector<int64_t> int64s(JNIEnv* env, jintArray array) {
    std::vector<jint> v = jni::ints(env, array);
    return std::vector<int64_t>(v.begin(), v.end());
}

constexpr size_t kPartLongs = 6;

jlongArray partArray(JNIEnv* env, const std::vector<LinearPart>& parts) {
    std::vector<int64_t> values;
    for (const LinearPart& p : parts) {
        values.insert(values.end(), {jni::handle(p.weight), jni::optionalHandle(p.scalesZeros), jni::optionalHandle(p.perm),
                                     p.groupSize, static_cast<int64_t>(p.kind), jni::optionalHandle(p.partStarts)});
    }
    return jni::toJava(env, values);
}

llmops::Linear linearOf(JNIEnv* env, jlongArray array) {
    std::vector<int64_t> v = jni::longs(env, array);
    if (v.empty() || v.size() % kPartLongs != 0) throw std::invalid_argument("a linear is one or more 6-long parts");
    llmops::Linear linear;
    for (size_t i = 0; i < v.size(); i += kPartLongs) {
        LinearPart p;
        p.weight = jni::tensor(v[i]);
        p.scalesZeros = tensorOrUndefined(v[i + 1]);
        p.perm = tensorOrUndefined(v[i + 2]);
        p.groupSize = v[i + 3];
        if (v[i + 4] < 0 || v[i + 4] > 2) throw std::invalid_argument("unknown linear part kind");
        p.kind = static_cast<llmops::PartKind>(v[i + 4]);
        p.partStarts = tensorOrUndefined(v[i + 5]);
        linear.parts.push_back(p);
    }
    return linear;
}

jfloatArray floatArray(JNIEnv* env, const at::Tensor& t) {
    at::Tensor host = t.to(at::kCPU, at::kFloat).contiguous();
    jfloatArray out = env->NewFloatArray(static_cast<jsize>(host.numel()));
    env->SetFloatArrayRegion(out, 0, static_cast<jsize>(host.numel()), host.data_ptr<float>());
    return out;
}

jintArray intArray(JNIEnv* env, const std::vector<int64_t>& values) {
    std::vector<jint> out(values.begin(), values.end());
    jintArray array = env->NewIntArray(static_cast<jsize>(out.size()));
    env->SetIntArrayRegion(array, 0, static_cast<jsize>(out.size()), out.data());
    return array;
}

}  // namespace

extern "C" {

JNIEXPORT jlongArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_repackGptq(
        JNIEnv* env, jclass, jlongArray qweight, jlongArray qzeros, jlongArray scales, jlongArray gIdx,
        jint bits, jint groupSize, jboolean v2) {
    return guarded(env, [&] {
        auto qw = jni::tensors(env, qweight), qz = jni::tensors(env, qzeros), sc = jni::tensors(env, scales);
        auto gi = tensorsOrUndefined(env, gIdx);
        if (qz.size() != qw.size() || sc.size() != qw.size() || gi.size() != qw.size())
            throw std::invalid_argument("qweight, qzeros, scales and g_idx lists must have equal lengths");
        std::vector<llmops::Unpacked> unpacked;
        for (size_t i = 0; i < qw.size(); ++i)
            unpacked.push_back(llmops::unpackGptq({qw[i], qz[i], sc[i], gi[i]}, bits, groupSize, v2));
        return partArray(env, llmops::buildParts(unpacked, bits, llmops::kServingInt4Kind));
    });
}

JNIEXPORT jlongArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_repackAwq(
        JNIEnv* env, jclass, jlongArray qweight, jlongArray qzeros, jlongArray scales, jint groupSize) {
    return guarded(env, [&] {
        auto qw = jni::tensors(env, qweight), qz = jni::tensors(env, qzeros), sc = jni::tensors(env, scales);
        if (qz.size() != qw.size() || sc.size() != qw.size())
            throw std::invalid_argument("qweight, qzeros and scales lists must have equal lengths");
        std::vector<llmops::Unpacked> unpacked;
        for (size_t i = 0; i < qw.size(); ++i) unpacked.push_back(llmops::unpackAwq({qw[i], qz[i], sc[i]}, groupSize));
        return partArray(env, {llmops::buildPart(unpacked, 4, llmops::kServingInt4Kind)});
    });
}

JNIEXPORT jlongArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_denseLinear(JNIEnv* env, jclass, jlongArray weights) {
    return guarded(env, [&] { return partArray(env, {llmops::denseFused(jni::tensors(env, weights))}); });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_upload(JNIEnv* env, jclass, jobject data, jstring dtype,
                                                                      jlongArray shape, jint device) {
    return guarded(env, [&] {
        const void* address = env->GetDirectBufferAddress(data);
        if (address == nullptr) throw std::invalid_argument("upload needs a direct ByteBuffer");
        const std::vector<int64_t> sizes = jni::longs(env, shape);
        return jni::handle(llmops::uploadHostBytes(address, env->GetDirectBufferCapacity(data), jni::toString(env, dtype),
                                                   sizes, at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device))));
    });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_createModel(
        JNIEnv* env, jclass, jintArray dims, jdoubleArray params, jlong embed, jlong finalNorm, jlong lmHead,
        jint sequences, jboolean graphs) {
    return guarded(env, [&] {
        std::vector<int64_t> d = int64s(env, dims);
        if (d.size() != 8) throw std::invalid_argument("dims must be [hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions]");
        jdouble p[3];
        if (env->GetArrayLength(params) != 3) throw std::invalid_argument("params must be [rmsEps, ropeTheta, ropeScale]");
        env->GetDoubleArrayRegion(params, 0, 3, p);
        llmops::LlamaDims dm{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], p[0], p[1], p[2]};
        auto* m = new NativeModel(llmops::LlamaDecoder(dm, jni::tensor(embed), jni::tensor(finalNorm), jni::tensor(lmHead),
                                                       sequences), dm.vocab);
        try {
            m->decoder.useGraphs(graphs);
        } catch (...) {
            delete m;
            throw;
        }
        return reinterpret_cast<jlong>(m);
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_addLayer(
        JNIEnv* env, jclass, jlong model, jlong inputNorm, jlong postNorm, jlongArray qkv, jlongArray o,
        jlongArray gateUp, jlongArray down) {
    guarded(env, [&] {
        llmops::DecoderLayer layer{jni::tensor(inputNorm), jni::tensor(postNorm), linearOf(env, qkv), linearOf(env, o),
                                   linearOf(env, gateUp), linearOf(env, down)};
        modelAt(model).decoder.addLayer(std::move(layer));
    });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_freeGpuMemory(JNIEnv* env, jclass, jint device) {
    return guarded(env, [&] {
        c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
        c10::cuda::CUDACachingAllocator::emptyCache();  // what torch caches but holds no tensor counts as free
        size_t free = 0, total = 0;
        llmops::checkCuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
        return static_cast<jlong>(free);
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_usePagedKvCache(JNIEnv* env, jclass, jlong model,
                                                                            jint blocks, jint blockSize) {
    guarded(env, [&] { modelAt(model).decoder.usePagedCache(blocks, blockSize); });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_setBlocks(JNIEnv* env, jclass, jlong model, jint sequence,
                                                                      jintArray blocks, jint cachedTokens) {
    guarded(env, [&] { modelAt(model).decoder.setBlocks(sequence, int64s(env, blocks), cachedTokens); });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_growBlocks(JNIEnv* env, jclass, jlong model, jint sequence,
                                                                       jintArray blocks) {
    guarded(env, [&] { modelAt(model).decoder.growBlocks(sequence, int64s(env, blocks)); });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_setBatchInvariant(JNIEnv* env, jclass, jlong model,
                                                                              jboolean on) {
    guarded(env, [&] { modelAt(model).setBatchInvariant(on == JNI_TRUE); });
}

JNIEXPORT jfloatArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_prefill(JNIEnv* env, jclass, jlong model,
                                                                           jint sequence, jintArray tokens) {
    return guarded(env, [&] { return floatArray(env, modelAt(model).decoder.prefill(sequence, int64s(env, tokens))); });
}

JNIEXPORT jfloatArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_decode(JNIEnv* env, jclass, jlong model,
                                                                          jintArray sequences, jintArray tokens) {
    return guarded(env, [&] {
        return floatArray(env, modelAt(model).decoder.decode(int64s(env, sequences), int64s(env, tokens)));
    });
}

JNIEXPORT jint JNICALL Java_dev_inferless_llm_ops_NativeLlm_prefillSample(
        JNIEnv* env, jclass, jlong model, jint sequence, jintArray tokens, jdouble temperature, jint topK, jdouble topP,
        jdouble repetitionPenalty, jlong seed, jint logprobs) {
    return guarded(env, [&] {
        llmops::SamplingParams p{temperature, topK, topP, repetitionPenalty};
        return static_cast<jint>(
                modelAt(model).prefillSample(sequence, int64s(env, tokens), p, static_cast<uint64_t>(seed), logprobs));
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_submitDecode(JNIEnv* env, jclass, jlong model,
                                                                        jintArray sequences, jintArray tokens) {
    guarded(env, [&] { modelAt(model).submit(int64s(env, sequences), int64s(env, tokens)); });
}

JNIEXPORT jintArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_collectDecode(JNIEnv* env, jclass, jlong model) {
    return guarded(env, [&] { return intArray(env, modelAt(model).collect()); });
}

// Per row that asked, in row order: [row, top count, top ids...].
JNIEXPORT jintArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_collectedTopTokens(JNIEnv* env, jclass, jlong model) {
    return guarded(env, [&] {
        std::vector<int64_t> out;
        for (const llmops::TokenLogprobs& t : modelAt(model).collectedLogprobs()) {
            out.push_back(t.row);
            out.push_back(static_cast<int64_t>(t.topTokens.size()));
            out.insert(out.end(), t.topTokens.begin(), t.topTokens.end());
        }
        return intArray(env, out);
    });
}

// Per row that asked, in row order: [the chosen token's logprob, the top ones'...].
JNIEXPORT jfloatArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_collectedLogprobs(JNIEnv* env, jclass, jlong model) {
    return guarded(env, [&] {
        std::vector<float> out;
        for (const llmops::TokenLogprobs& t : modelAt(model).collectedLogprobs()) {
            out.push_back(t.logprob);
            out.insert(out.end(), t.topLogprobs.begin(), t.topLogprobs.end());
        }
        jfloatArray array = env->NewFloatArray(static_cast<jsize>(out.size()));
        env->SetFloatArrayRegion(array, 0, static_cast<jsize>(out.size()), out.data());
        return array;
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_freeModel(JNIEnv*, jclass, jlong model) {
    delete reinterpret_cast<NativeModel*>(model);
}

}  // extern "C"

// JNI entry points of dev.inferless.llm.ops.NativeLlm. Tensor handles are DJL's: a pointer to a
// heap-allocated torch::Tensor (DJL deletes it when the Java NDArray closes). A linear part crosses
// as six longs: weight handle, scalesZeros handle (0 = dense), perm handle (0 = none), group size,
// kind (llmops::PartKind), partStarts handle (0 = one input copy).
#include "host_upload.h"
#include "int4_linear.h"
#include "sampling_decoder.h"

#include <c10/util/Exception.h>
#include <jni.h>

#include <stdexcept>
#include <string>
#include <vector>

using llmops::LinearPart;

namespace {

using NativeModel = llmops::SamplingDecoder;

const at::Tensor& tensorAt(jlong handle) {
    if (handle == 0) throw std::invalid_argument("null tensor handle");
    return *reinterpret_cast<at::Tensor*>(handle);
}

at::Tensor optionalTensorAt(jlong handle) {
    return handle == 0 ? at::Tensor() : *reinterpret_cast<at::Tensor*>(handle);
}

jlong newHandle(const at::Tensor& t) {
    return t.defined() ? reinterpret_cast<jlong>(new at::Tensor(t)) : 0;
}

NativeModel& modelAt(jlong handle) {
    if (handle == 0) throw std::invalid_argument("null model handle");
    return *reinterpret_cast<NativeModel*>(handle);
}

std::vector<jlong> longs(JNIEnv* env, jlongArray array) {
    if (array == nullptr) return {};
    std::vector<jlong> out(env->GetArrayLength(array));
    env->GetLongArrayRegion(array, 0, static_cast<jsize>(out.size()), out.data());
    return out;
}

std::vector<at::Tensor> tensors(JNIEnv* env, jlongArray array, bool optional) {
    std::vector<at::Tensor> out;
    for (jlong h : longs(env, array)) out.push_back(optional ? optionalTensorAt(h) : tensorAt(h));
    return out;
}

std::vector<int64_t> ints(JNIEnv* env, jintArray array) {
    std::vector<jint> raw(env->GetArrayLength(array));
    env->GetIntArrayRegion(array, 0, static_cast<jsize>(raw.size()), raw.data());
    return std::vector<int64_t>(raw.begin(), raw.end());
}

constexpr size_t kPartLongs = 6;

jlongArray partArray(JNIEnv* env, const std::vector<LinearPart>& parts) {
    std::vector<jlong> values;
    for (const LinearPart& p : parts) {
        values.insert(values.end(), {newHandle(p.weight), newHandle(p.scalesZeros), newHandle(p.perm), p.groupSize,
                                     static_cast<jlong>(p.kind), newHandle(p.partStarts)});
    }
    jlongArray out = env->NewLongArray(static_cast<jsize>(values.size()));
    env->SetLongArrayRegion(out, 0, static_cast<jsize>(values.size()), values.data());
    return out;
}

llmops::Linear linearOf(JNIEnv* env, jlongArray array) {
    std::vector<jlong> v = longs(env, array);
    if (v.empty() || v.size() % kPartLongs != 0) throw std::invalid_argument("a linear is one or more 6-long parts");
    llmops::Linear linear;
    for (size_t i = 0; i < v.size(); i += kPartLongs) {
        LinearPart p;
        p.weight = tensorAt(v[i]);
        p.scalesZeros = optionalTensorAt(v[i + 1]);
        p.perm = optionalTensorAt(v[i + 2]);
        p.groupSize = v[i + 3];
        if (v[i + 4] < 0 || v[i + 4] > 2) throw std::invalid_argument("unknown linear part kind");
        p.kind = static_cast<llmops::PartKind>(v[i + 4]);
        p.partStarts = optionalTensorAt(v[i + 5]);
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

void throwJava(JNIEnv* env, const char* cls, const std::string& message) {
    jclass c = env->FindClass(cls);
    if (c != nullptr) env->ThrowNew(c, message.c_str());
}

// Runs body, turning C++ exceptions into Java ones (bad input -> IllegalArgumentException).
template <typename R, typename F>
R guarded(JNIEnv* env, R fallback, F body) {
    try {
        return body();
    } catch (const std::invalid_argument& e) {
        throwJava(env, "java/lang/IllegalArgumentException", e.what());
    } catch (const c10::Error& e) {
        throwJava(env, "java/lang/IllegalStateException", e.what_without_backtrace());
    } catch (const std::exception& e) {
        throwJava(env, "java/lang/IllegalStateException", e.what());
    }
    return fallback;
}

}  // namespace

extern "C" {

JNIEXPORT jlongArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_repackGptq(
        JNIEnv* env, jclass, jlongArray qweight, jlongArray qzeros, jlongArray scales, jlongArray gIdx,
        jint bits, jint groupSize, jboolean v2) {
    return guarded<jlongArray>(env, nullptr, [&] {
        auto qw = tensors(env, qweight, false), qz = tensors(env, qzeros, false), sc = tensors(env, scales, false);
        auto gi = tensors(env, gIdx, true);
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
    return guarded<jlongArray>(env, nullptr, [&] {
        auto qw = tensors(env, qweight, false), qz = tensors(env, qzeros, false), sc = tensors(env, scales, false);
        if (qz.size() != qw.size() || sc.size() != qw.size())
            throw std::invalid_argument("qweight, qzeros and scales lists must have equal lengths");
        std::vector<llmops::Unpacked> unpacked;
        for (size_t i = 0; i < qw.size(); ++i) unpacked.push_back(llmops::unpackAwq({qw[i], qz[i], sc[i]}, groupSize));
        return partArray(env, {llmops::buildPart(unpacked, 4, llmops::kServingInt4Kind)});
    });
}

JNIEXPORT jlongArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_denseLinear(JNIEnv* env, jclass, jlongArray weights) {
    return guarded<jlongArray>(env, nullptr, [&] { return partArray(env, {llmops::denseFused(tensors(env, weights, false))}); });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_linearForward(JNIEnv* env, jclass, jlong x, jlongArray parts) {
    return guarded<jlong>(env, 0, [&] {
        return newHandle(linearOf(env, parts).forward(tensorAt(x).to(at::kBFloat16).contiguous()));
    });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_upload(JNIEnv* env, jclass, jobject data, jstring dtype,
                                                                      jlongArray shape, jint device) {
    return guarded<jlong>(env, 0, [&] {
        const void* address = env->GetDirectBufferAddress(data);
        if (address == nullptr) throw std::invalid_argument("upload needs a direct ByteBuffer");
        const char* chars = env->GetStringUTFChars(dtype, nullptr);
        std::string type(chars);
        env->ReleaseStringUTFChars(dtype, chars);
        std::vector<jlong> dims = longs(env, shape);
        std::vector<int64_t> sizes(dims.begin(), dims.end());
        return newHandle(llmops::uploadHostBytes(address, env->GetDirectBufferCapacity(data), type, sizes,
                                                 at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device))));
    });
}

JNIEXPORT jlong JNICALL Java_dev_inferless_llm_ops_NativeLlm_createModel(
        JNIEnv* env, jclass, jintArray dims, jdoubleArray params, jlong embed, jlong finalNorm, jlong lmHead,
        jint sequences, jboolean graphs) {
    return guarded<jlong>(env, 0, [&] {
        std::vector<int64_t> d = ints(env, dims);
        if (d.size() != 8) throw std::invalid_argument("dims must be [hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions]");
        jdouble p[3];
        if (env->GetArrayLength(params) != 3) throw std::invalid_argument("params must be [rmsEps, ropeTheta, ropeScale]");
        env->GetDoubleArrayRegion(params, 0, 3, p);
        llmops::LlamaDims dm{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], p[0], p[1], p[2]};
        const at::Tensor& e = tensorAt(embed);
        auto* m = new NativeModel(llmops::LlamaDecoder(dm, e, tensorAt(finalNorm), tensorAt(lmHead), sequences), dm.vocab);
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
    guarded<int>(env, 0, [&] {
        llmops::DecoderLayer layer{tensorAt(inputNorm), tensorAt(postNorm), linearOf(env, qkv), linearOf(env, o),
                                   linearOf(env, gateUp), linearOf(env, down)};
        modelAt(model).decoder.addLayer(std::move(layer));
        return 0;
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_begin(JNIEnv* env, jclass, jlong model, jint sequence,
                                                                   jint capacity) {
    guarded<int>(env, 0, [&] {
        modelAt(model).decoder.begin(sequence, capacity);
        return 0;
    });
}

JNIEXPORT jfloatArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_prefill(JNIEnv* env, jclass, jlong model,
                                                                           jint sequence, jintArray tokens) {
    return guarded<jfloatArray>(env, nullptr, [&] {
        return floatArray(env, modelAt(model).decoder.prefill(sequence, ints(env, tokens)));
    });
}

JNIEXPORT jfloatArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_decode(JNIEnv* env, jclass, jlong model,
                                                                          jintArray sequences, jintArray tokens) {
    return guarded<jfloatArray>(env, nullptr, [&] {
        return floatArray(env, modelAt(model).decoder.decode(ints(env, sequences), ints(env, tokens)));
    });
}

JNIEXPORT jint JNICALL Java_dev_inferless_llm_ops_NativeLlm_prefillSample(
        JNIEnv* env, jclass, jlong model, jint sequence, jintArray tokens, jdouble temperature, jint topK, jdouble topP,
        jdouble repetitionPenalty, jlong seed) {
    return guarded<jint>(env, -1, [&] {
        llmops::SamplingParams p{temperature, topK, topP, repetitionPenalty};
        return static_cast<jint>(modelAt(model).prefillSample(sequence, ints(env, tokens), p, static_cast<uint64_t>(seed)));
    });
}

JNIEXPORT jintArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_decodeSample(JNIEnv* env, jclass, jlong model,
                                                                              jintArray sequences, jintArray tokens) {
    return guarded<jintArray>(env, nullptr, [&] {
        return intArray(env, modelAt(model).step(ints(env, sequences), ints(env, tokens)));
    });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_submitDecode(JNIEnv* env, jclass, jlong model,
                                                                        jintArray sequences, jintArray tokens) {
    guarded<int>(env, 0, [&] {
        modelAt(model).submit(ints(env, sequences), ints(env, tokens));
        return 0;
    });
}

JNIEXPORT jintArray JNICALL Java_dev_inferless_llm_ops_NativeLlm_collectDecode(JNIEnv* env, jclass, jlong model) {
    return guarded<jintArray>(env, nullptr, [&] { return intArray(env, modelAt(model).collect()); });
}

JNIEXPORT jint JNICALL Java_dev_inferless_llm_ops_NativeLlm_position(JNIEnv* env, jclass, jlong model, jint sequence) {
    return guarded<jint>(env, -1, [&] { return static_cast<jint>(modelAt(model).decoder.position(sequence)); });
}

JNIEXPORT void JNICALL Java_dev_inferless_llm_ops_NativeLlm_freeModel(JNIEnv*, jclass, jlong model) {
    delete reinterpret_cast<NativeModel*>(model);
}

}  // extern "C"

// Reductions, sorting and normalized exponentials.
#include "op_macros.h"

using inferless::djl::scalarType;
namespace jni = inferless::jni;

extern "C" {

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArgMax__J, x.argmax())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArgMax__JJZ, x.argmax(dim, keepDim))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArgMin__J, x.argmin())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArgMin__JJZ, x.argmin(dim, keepDim))
// DJL passes "descending" in the parameter it names keepDim.
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArgSort, x.argsort(dim, keepDim))
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSort, std::get<0>(x.sort(dim, keepDim)))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMax__J, x.max())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMax__JJZ, std::get<0>(x.max(dim, keepDim)))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMin__J, x.min())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMin__JJZ, std::get<0>(x.min(dim, keepDim)))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMean__J, x.mean())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMean__JJZ, x.mean(dim, keepDim))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSum__J, x.sum())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchProd__J, x.prod())
DJL_DIM_KEEP(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchProd__JJZ, x.prod(dim, keepDim))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAll, x.all())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAny, x.any())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNone, x.any().logical_not())

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSum__J_3JZ(JNIEnv* env, jobject, jlong a, jlongArray dims, jboolean keep) {
  return guarded(env, [&] { return handle(tensor(a).sum(jni::longs(env, dims), keep == JNI_TRUE)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCumSum(JNIEnv* env, jobject, jlong a, jlong dim) {
  return guarded(env, [&] { return handle(tensor(a).cumsum(dim)); });
}

// dtype -1: keep the input's type.
JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCumProd(JNIEnv* env, jobject, jlong a, jlong dim, jint dtype) {
  return guarded(env, [&] {
    auto& x = tensor(a);
    return handle(dtype == -1 ? x.cumprod(dim) : x.cumprod(dim, scalarType(dtype)));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSoftmax(JNIEnv* env, jobject, jlong a, jlong dim, jint dtype) {
  return guarded(env, [&] { return handle(tensor(a).softmax(dim, scalarType(dtype))); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLogSoftmax(JNIEnv* env, jobject, jlong a, jlong dim, jint dtype) {
  return guarded(env, [&] { return handle(tensor(a).log_softmax(dim, scalarType(dtype))); });
}

// {values, indices}
JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTopK(
    JNIEnv* env, jobject, jlong a, jlong k, jlong dim, jboolean largest, jboolean sorted) {
  return guarded(env, [&] {
    auto result = tensor(a).topk(k, dim, largest == JNI_TRUE, sorted == JNI_TRUE);
    return jni::handles(env, {std::get<0>(result), std::get<1>(result)});
  });
}

// {values, indices}
JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMedian(JNIEnv* env, jobject, jlong a, jlong dim, jboolean keep) {
  return guarded(env, [&] {
    auto result = tensor(a).median(dim, keep == JNI_TRUE);
    return jni::handles(env, {std::get<0>(result), std::get<1>(result)});
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchQuantile(JNIEnv* env, jobject, jlong a, jfloat q, jlong dim, jboolean keep) {
  return guarded(env, [&] { return handle(tensor(a).quantile(q, dim, keep == JNI_TRUE)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNorm(JNIEnv* env, jobject, jlong a, jint ord, jlongArray axes, jboolean keep) {
  return guarded(env, [&] {
    return handle(tensor(a).norm(c10::optional<c10::Scalar>(c10::Scalar(static_cast<int64_t>(ord))),
                                 jni::longs(env, axes), keep == JNI_TRUE));
  });
}

}  // extern "C"

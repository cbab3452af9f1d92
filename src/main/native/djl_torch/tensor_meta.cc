// Tensor metadata, data access, dtype/device moves and lifetime.
#include "op_macros.h"

using inferless::djl::djlType;
using inferless::djl::scalarType;
namespace jni = inferless::jni;

namespace {

// Dense, contiguous CPU copy (or view) of a tensor, for reading its bytes.
torch::Tensor readableOnCpu(const torch::Tensor& t) {
  torch::Tensor out = (t.is_sparse() || t.is_mkldnn()) ? t.to_dense() : t;
  if (!out.device().is_cpu()) {
    out = out.to(torch::kCPU);
  }
  return out.contiguous();
}

}  // namespace

extern "C" {

JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSizes(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] {
    auto sizes = tensor(a).sizes();
    return jni::toJava(env, std::vector<int64_t>(sizes.begin(), sizes.end()));
  });
}

JNIEXPORT jint JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDType(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] { return djlType(tensor(a).scalar_type()); });
}

JNIEXPORT jintArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDevice(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] {
    auto d = tensor(a).device();
    jint values[] = {static_cast<jint>(d.type()), static_cast<jint>(d.index())};
    jintArray out = env->NewIntArray(2);
    env->SetIntArrayRegion(out, 0, 2, values);
    return out;
  });
}

JNIEXPORT jint JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLayout(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] {
    auto layout = tensor(a).layout();
    if (layout == torch::kStrided) return 0;
    if (layout == torch::kSparse) return 1;
    if (layout == torch::kMkldnn) return 2;
    throw std::runtime_error("unsupported tensor layout");
  });
}

JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsContiguous(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] { return static_cast<jboolean>(tensor(a).is_contiguous()); });
}

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchToContiguous,
          (x.is_sparse() || x.is_mkldnn()) ? x.to_dense().contiguous() : x.contiguous())

JNIEXPORT jbyteArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDataPtr(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] {
    torch::Tensor t = readableOnCpu(tensor(a));
    auto n = static_cast<jsize>(t.nbytes());
    jbyteArray out = env->NewByteArray(n);
    env->SetByteArrayRegion(out, 0, n, static_cast<const jbyte*>(t.data_ptr()));
    return out;
  });
}

// A view of the tensor's own memory: DJL calls it only on dense contiguous CPU tensors, and the
// Java NDArray keeps the storage alive while the buffer is used.
JNIEXPORT jobject JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDirectByteBuffer(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&]() -> jobject {
    auto& t = tensor(a);
    if (!t.device().is_cpu() || !t.is_contiguous() || t.layout() != torch::kStrided) {
      throw std::invalid_argument("torchDirectByteBuffer needs a dense contiguous CPU tensor");
    }
    return env->NewDirectByteBuffer(t.data_ptr(), static_cast<jlong>(t.nbytes()));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTo(
    JNIEnv* env, jobject, jlong a, jint dtype, jintArray jdevice) {
  return guarded(env, [&] {
    torch::NoGradGuard noGrad;
    auto device = inferless::djl::device(env, jdevice);
    return handle(tensor(a).to(device, scalarType(dtype), /*non_blocking=*/false, /*copy=*/false));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGetItem__JJ(JNIEnv* env, jobject, jlong a, jlong i) {
  return guarded(env, [&] { return handle(tensor(a).select(0, i)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGetItem__J_3J(
    JNIEnv* env, jobject, jlong a, jlongArray indices) {
  return guarded(env, [&] {
    torch::Tensor t = tensor(a);
    for (int64_t i : jni::longs(env, indices)) {
      t = t.select(0, i);
    }
    return handle(t);
  });
}

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_tensorClone, x.clone())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchToSparse, x.to_sparse())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchToDense, x.to_dense())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDetachGrad, x.detach())

JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRequiresGrad(JNIEnv* env, jobject, jlong a) {
  return guarded(env, [&] { return static_cast<jboolean>(tensor(a).requires_grad()); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDeleteTensor(JNIEnv* env, jobject, jlong a) {
  guarded(env, [&] { delete reinterpret_cast<torch::Tensor*>(a); });
}

JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_contentEqual(JNIEnv* env, jobject, jlong a, jlong b) {
  return guarded(env, [&] { return static_cast<jboolean>(torch::equal(tensor(a), tensor(b))); });
}

}  // extern "C"

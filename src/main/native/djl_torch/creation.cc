// Tensor creation: from a Java direct buffer, constants, ranges and random draws.
#include "op_macros.h"

using inferless::djl::options;
using inferless::djl::scalarType;
using inferless::djl::withLayout;
namespace jni = inferless::jni;

extern "C" {

// CPU: the tensor aliases the direct buffer (DJL's Java side keeps the buffer alive).
// Other devices, sparse and MKLDNN: converted, so the result owns its memory.
JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFromBlob(JNIEnv* env, jobject, jobject buffer,
    jlongArray jshape, jint dtype, jint layout, jintArray jdevice, jboolean requiresGrad) {
  return guarded(env, [&] {
    auto shape = jni::longs(env, jshape);
    auto device = inferless::djl::device(env, jdevice);
    void* data = env->GetDirectBufferAddress(buffer);
    if (data == nullptr) {
      throw std::invalid_argument("torchFromBlob needs a direct ByteBuffer");
    }
    auto opts = torch::TensorOptions().requires_grad(requiresGrad == JNI_TRUE);
    if (dtype != inferless::djl::kUnknownType) {
      opts = opts.dtype(scalarType(dtype));
    }
    torch::Tensor t = torch::from_blob(data, shape, opts);
    if (layout == 1) {
      t = t.to_sparse();
    } else if (layout == 2) {
      t = t.to_mkldnn();
    }
    if (!device.is_cpu()) {
      t = t.to(device);
    }
    return handle(t);
  });
}

// Copies the buffer's bytes into the tensor (same shape and dtype), on any device.
JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSet(JNIEnv* env, jobject, jlong a, jobject buffer) {
  guarded(env, [&] {
    torch::NoGradGuard noGrad;
    auto& t = tensor(a);
    void* data = env->GetDirectBufferAddress(buffer);
    if (data == nullptr) {
      throw std::invalid_argument("torchSet needs a direct ByteBuffer");
    }
    jlong capacity = env->GetDirectBufferCapacity(buffer);
    if (capacity < static_cast<jlong>(t.nbytes())) {
      throw std::invalid_argument("torchSet: buffer has " + std::to_string(capacity) + " bytes, tensor needs " +
                                  std::to_string(t.nbytes()));
    }
    t.copy_(torch::from_blob(data, t.sizes(), torch::TensorOptions().dtype(t.dtype())));
  });
}

#define DJL_CREATE(symbol, expr)                                                                          \
  JNIEXPORT jlong JNICALL symbol(JNIEnv* env, jobject, jlongArray jshape, jint dtype, jint layout,          \
                                 jintArray jdevice, jboolean grad) {                                      \
    return guarded(env, [&] {                                                                             \
      auto shape = jni::longs(env, jshape);                                                               \
      auto opts = options(env, dtype, layout, jdevice, grad);                                             \
      return handle(withLayout(expr, layout));                                                            \
    });                                                                                                   \
  }

DJL_CREATE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchEmpty, torch::empty(shape, opts))
DJL_CREATE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchZeros, torch::zeros(shape, opts))
DJL_CREATE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchOnes, torch::ones(shape, opts))

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFull(JNIEnv* env, jobject, jlongArray jshape,
    jdouble value, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    auto shape = jni::longs(env, jshape);
    return handle(withLayout(torch::full(shape, value, options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchZerosLike(
    JNIEnv* env, jobject, jlong a, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    return handle(withLayout(torch::zeros_like(tensor(a), options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchOnesLike(
    JNIEnv* env, jobject, jlong a, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    return handle(withLayout(torch::ones_like(tensor(a), options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchArange(JNIEnv* env, jobject, jfloat start,
    jfloat end, jfloat step, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    return handle(withLayout(torch::arange(start, end, step, options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLinspace(JNIEnv* env, jobject, jfloat start,
    jfloat end, jint steps, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    return handle(withLayout(torch::linspace(start, end, steps, options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchEye(
    JNIEnv* env, jobject, jint n, jint m, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    return handle(withLayout(torch::eye(n, m, options(env, dtype, layout, jdevice, grad)), layout));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRandint(JNIEnv* env, jobject, jlong low,
    jlong high, jlongArray jshape, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    auto shape = jni::longs(env, jshape);
    return handle(torch::randint(low, high, shape, options(env, dtype, layout, jdevice, grad)));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRandPerm(
    JNIEnv* env, jobject, jlong n, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] { return handle(torch::randperm(n, options(env, dtype, layout, jdevice, grad))); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNormal(JNIEnv* env, jobject, jdouble mean,
    jdouble std, jlongArray jshape, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    auto shape = jni::longs(env, jshape);
    return handle(torch::empty(shape, options(env, dtype, layout, jdevice, grad)).normal_(mean, std));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_tensorUniform(JNIEnv* env, jobject, jdouble from,
    jdouble to, jlongArray jshape, jint dtype, jint layout, jintArray jdevice, jboolean grad) {
  return guarded(env, [&] {
    auto shape = jni::longs(env, jshape);
    return handle(torch::empty(shape, options(env, dtype, layout, jdevice, grad)).uniform_(from, to));
  });
}

}  // extern "C"

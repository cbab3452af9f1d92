// The torch.nn.functional natives a transformer forward uses.
#include "op_macros.h"

namespace jni = inferless::jni;

extern "C" {

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNLinear(JNIEnv* env, jobject, jlong input, jlong weight, jlong bias) {
  return guarded(env, [&] { return handle(torch::linear(tensor(input), tensor(weight), jni::optionalTensor(bias))); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNEmbedding(JNIEnv* env, jobject, jlong input, jlong weight, jboolean sparse) {
  return guarded(env, [&] {
    return handle(torch::embedding(tensor(weight), tensor(input), /*padding_idx=*/-1, /*scale_grad_by_freq=*/false,
                                   sparse == JNI_TRUE));
  });
}

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNRelu, torch::relu(x))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNGelu, torch::gelu(x))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNSoftPlus, torch::softplus(x))

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNLayerNorm(
    JNIEnv* env, jobject, jlong input, jlongArray shape, jlong weight, jlong bias, jdouble eps) {
  return guarded(env, [&] {
    return handle(torch::layer_norm(tensor(input), jni::longs(env, shape), jni::optionalTensor(weight),
                                    jni::optionalTensor(bias), eps));
  });
}

// x / max(||x||_p over dim, eps), as torch.nn.functional.normalize.
JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNNormalize(JNIEnv* env, jobject, jlong input, jdouble p, jlong dim, jdouble eps) {
  return guarded(env, [&] {
    auto& x = tensor(input);
    auto norm = x.norm(p, {dim}, /*keepdim=*/true).clamp_min(eps).expand_as(x);
    return handle(x / norm);
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNDropout(JNIEnv* env, jobject, jlong input, jdouble p, jboolean train) {
  return guarded(env, [&] { return handle(torch::dropout(tensor(input), p, train == JNI_TRUE)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNOneHot(JNIEnv* env, jobject, jlong input, jint depth) {
  return guarded(env, [&] { return handle(torch::one_hot(tensor(input), depth)); });
}

}  // extern "C"

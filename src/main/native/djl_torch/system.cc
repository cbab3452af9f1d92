// Engine-wide settings DJL's PtEngine calls at startup, and feature discovery.
#include <ATen/Context.h>

#include "op_macros.h"

#ifdef INFERLESS_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

extern "C" {

JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsGradMode(JNIEnv* env, jobject) {
  return guarded(env, [&] { return static_cast<jboolean>(c10::GradMode::is_enabled()); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSetGradMode(JNIEnv* env, jobject, jboolean enable) {
  guarded(env, [&] { c10::GradMode::set_enabled(enable == JNI_TRUE); });
}

JNIEXPORT jint JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGetNumInteropThreads(JNIEnv* env, jobject) {
  return guarded(env, [&] { return static_cast<jint>(at::get_num_interop_threads()); });
}

JNIEXPORT jint JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGetNumThreads(JNIEnv* env, jobject) {
  return guarded(env, [&] { return static_cast<jint>(at::get_num_threads()); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSetNumInteropThreads(JNIEnv* env, jobject, jint n) {
  guarded(env, [&] { at::set_num_interop_threads(n); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSetNumThreads(JNIEnv* env, jobject, jint n) {
  guarded(env, [&] { at::set_num_threads(n); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSetBenchmarkCuDNN(JNIEnv* env, jobject, jboolean on) {
  guarded(env, [&] { at::globalContext().setBenchmarkCuDNN(on == JNI_TRUE); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchManualSeed(JNIEnv* env, jobject, jlong seed) {
  guarded(env, [&] { torch::manual_seed(static_cast<uint64_t>(seed)); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchShowConfig(JNIEnv* env, jobject, jobject set) {
  guarded(env, [&] {
    jclass setClass = env->GetObjectClass(set);
    jmethodID add = env->GetMethodID(setClass, "add", "(Ljava/lang/Object;)Z");
    auto put = [&](const char* feature) {
      jstring s = env->NewStringUTF(feature);
      env->CallBooleanMethod(set, add, s);
      env->DeleteLocalRef(s);
    };
    if (torch::cuda::is_available()) put("CUDA");
    if (torch::cuda::cudnn_is_available()) put("CUDNN");
    if (at::hasMKL()) put("MKL");
    if (at::hasMKLDNN()) put("MKLDNN");
    if (at::hasOpenMP()) put("OPENMP");
  });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache(JNIEnv* env, jobject) {
  guarded(env, [&] {
#ifdef INFERLESS_WITH_CUDA
    if (torch::cuda::is_available()) {
      c10::cuda::CUDACachingAllocator::emptyCache();
    }
#endif
  });
}

}  // extern "C"

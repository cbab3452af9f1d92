// DJL's PyTorch tensor handles: a jlong holding a pointer to a heap-allocated torch::Tensor
// (owned by the Java PtNDArray, freed by torchDeleteTensor). Shared with our other JNI
// libraries, which take and return DJL tensors the same way.
#pragma once

#include <torch/torch.h>

#include "jni_support.h"

namespace inferless::jni {

inline torch::Tensor& tensor(jlong handle) {
  if (handle == 0) {
    throw std::invalid_argument("null tensor handle");
  }
  return *reinterpret_cast<torch::Tensor*>(handle);
}

// Optional tensor argument: DJL passes 0 for "none" (e.g. a missing bias).
inline c10::optional<torch::Tensor> optionalTensor(jlong handle) {
  if (handle == 0) {
    return c10::nullopt;
  }
  return *reinterpret_cast<torch::Tensor*>(handle);
}

inline jlong handle(torch::Tensor t) {
  return reinterpret_cast<jlong>(new torch::Tensor(std::move(t)));
}

inline jlongArray handles(JNIEnv* env, const std::vector<torch::Tensor>& tensors) {
  std::vector<int64_t> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    out.push_back(handle(t));
  }
  return toJava(env, out);
}

inline std::vector<torch::Tensor> tensors(JNIEnv* env, jlongArray handleArray) {
  std::vector<torch::Tensor> out;
  for (int64_t h : longs(env, handleArray)) {
    out.push_back(tensor(h));
  }
  return out;
}

}  // namespace inferless::jni

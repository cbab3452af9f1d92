// DJL's PyTorch tensor handles: a jlong holding a pointer to a heap-allocated tensor (torch::Tensor is
// at::Tensor; owned by the Java PtNDArray, freed by torchDeleteTensor). Shared by the project's JNI
// libraries, which take and return DJL tensors the same way.
#pragma once

#include <ATen/ATen.h>

#include <stdexcept>

#include "jni_support.h"

namespace inferless::jni {

inline at::Tensor& tensor(jlong handle) {
  if (handle == 0) {
    throw std::invalid_argument("null tensor handle");
  }
  return *reinterpret_cast<at::Tensor*>(handle);
}

// Optional tensor argument: DJL passes 0 for "none" (e.g. a missing bias).
inline c10::optional<at::Tensor> optionalTensor(jlong handle) {
  if (handle == 0) {
    return c10::nullopt;
  }
  return *reinterpret_cast<at::Tensor*>(handle);
}

inline jlong handle(at::Tensor t) {
  return reinterpret_cast<jlong>(new at::Tensor(std::move(t)));
}

// An optional tensor result: 0 for an undefined tensor.
inline jlong optionalHandle(const at::Tensor& t) {
  return t.defined() ? handle(t) : 0;
}

inline jlongArray handles(JNIEnv* env, const std::vector<at::Tensor>& tensors) {
  std::vector<int64_t> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    out.push_back(handle(t));
  }
  return toJava(env, out);
}

inline std::vector<at::Tensor> tensors(JNIEnv* env, jlongArray handleArray) {
  std::vector<at::Tensor> out;
  for (int64_t h : longs(env, handleArray)) {
    out.push_back(tensor(h));
  }
  return out;
}

}  // namespace inferless::jni

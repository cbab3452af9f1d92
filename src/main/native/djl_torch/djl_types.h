// DJL's encodings of data types, devices and layouts (ai.djl.ndarray.types.DataType ordinals,
// int[] {torch DeviceType, index}, 0 strided / 1 sparse COO / 2 MKLDNN) to and from torch.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <stdexcept>
#include <string>

#include "jni_support.h"

namespace inferless::djl {

// Ordinal of ai.djl.ndarray.types.DataType.UNKNOWN: "let torch choose".
constexpr jint kUnknownType = 9;

#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 3)
#define INFERLESS_TORCH_HAS_UNSIGNED 1
#endif

inline torch::ScalarType scalarType(jint dtype) {
  switch (dtype) {
    case 0: return torch::kFloat32;
    case 1: return torch::kFloat64;
    case 2: return torch::kFloat16;
    case 3: return torch::kUInt8;
    case 4: return torch::kInt32;
    case 5: return torch::kInt8;
    case 6: return torch::kInt64;
    case 7: return torch::kBool;
    case 8: return torch::kComplexFloat;
    case 11: return torch::kBFloat16;
#ifdef INFERLESS_TORCH_HAS_UNSIGNED
    case 12: return torch::kUInt64;
    case 13: return torch::kUInt32;
    case 14: return torch::kUInt16;
#endif
    case 15: return torch::kInt16;
    default: throw std::invalid_argument("unsupported DJL data type ordinal " + std::to_string(dtype));
  }
}

inline jint djlType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return 0;
    case torch::kFloat64: return 1;
    case torch::kFloat16: return 2;
    case torch::kUInt8: return 3;
    case torch::kInt32: return 4;
    case torch::kInt8: return 5;
    case torch::kInt64: return 6;
    case torch::kBool: return 7;
    case torch::kComplexFloat: return 8;
    case torch::kBFloat16: return 11;
#ifdef INFERLESS_TORCH_HAS_UNSIGNED
    case torch::kUInt64: return 12;
    case torch::kUInt32: return 13;
    case torch::kUInt16: return 14;
#endif
    case torch::kInt16: return 15;
    default: return kUnknownType;
  }
}

inline torch::Device device(JNIEnv* env, jintArray jdevice) {
  auto d = jni::ints(env, jdevice);
  if (d.size() != 2) {
    throw std::invalid_argument("device must be int[2] {type, index}");
  }
  auto type = static_cast<torch::DeviceType>(d[0]);
  // DJL's CPU device carries index -1 or 0; torch wants none for CPU.
  return type == torch::DeviceType::CPU ? torch::Device(type) : torch::Device(type, static_cast<c10::DeviceIndex>(d[1]));
}

// Options for creation functions; MKLDNN (2) is created strided and converted by the caller.
inline torch::TensorOptions options(JNIEnv* env, jint dtype, jint layout, jintArray jdevice, jboolean requiresGrad) {
  auto opts = torch::TensorOptions()
                  .layout(layout == 1 ? torch::kSparse : torch::kStrided)
                  .device(device(env, jdevice))
                  .requires_grad(requiresGrad == JNI_TRUE);
  if (dtype != kUnknownType) {
    opts = opts.dtype(scalarType(dtype));
  }
  return opts;
}

inline torch::Tensor withLayout(torch::Tensor t, jint layout) {
  return layout == 2 ? t.to_mkldnn() : t;
}

}  // namespace inferless::djl

// Shape changes, joining/splitting, slicing and indexing (basic and advanced NDIndex).
#include "op_macros.h"

namespace jni = inferless::jni;
using torch::indexing::TensorIndex;

namespace {

using IndexList = std::vector<TensorIndex>;

IndexList& indexList(jlong h) {
  if (h == 0) {
    throw std::invalid_argument("null index handle");
  }
  return *reinterpret_cast<IndexList*>(h);
}

IndexList slices(JNIEnv* env, jlongArray min, jlongArray max, jlongArray step) {
  auto lo = jni::longs(env, min);
  auto hi = jni::longs(env, max);
  auto st = jni::longs(env, step);
  if (lo.size() != hi.size() || lo.size() != st.size()) {
    throw std::invalid_argument("min, max and step indices differ in length");
  }
  IndexList out;
  for (size_t i = 0; i < lo.size(); ++i) {
    out.emplace_back(torch::indexing::Slice(lo[i], hi[i], st[i]));
  }
  return out;
}

}  // namespace

extern "C" {

#define DJL_WITH_LONGS(symbol, expr)                                                     \
  JNIEXPORT jlong JNICALL symbol(JNIEnv* env, jobject, jlong a, jlongArray values) {     \
    return guarded(env, [&] {                                                            \
      auto& x = tensor(a);                                                               \
      auto v = jni::longs(env, values);                                                  \
      return handle(expr);                                                               \
    });                                                                                  \
  }

DJL_WITH_LONGS(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchReshape, x.reshape(v))
DJL_WITH_LONGS(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchExpand, x.expand(v))
DJL_WITH_LONGS(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPermute, x.permute(v))
DJL_WITH_LONGS(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFlip, x.flip(v))
DJL_WITH_LONGS(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRepeat, x.repeat(v))

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSqueeze__J, x.squeeze())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNonZeros, x.nonzero())

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSqueeze__JJ(JNIEnv* env, jobject, jlong a, jlong dim) {
  return guarded(env, [&] { return handle(tensor(a).squeeze(dim)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchUnsqueeze(JNIEnv* env, jobject, jlong a, jlong dim) {
  return guarded(env, [&] { return handle(tensor(a).unsqueeze(dim)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTranspose(JNIEnv* env, jobject, jlong a, jlong d1, jlong d2) {
  return guarded(env, [&] { return handle(tensor(a).transpose(d1, d2)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFlatten(JNIEnv* env, jobject, jlong a, jlong start, jlong end) {
  return guarded(env, [&] { return handle(tensor(a).flatten(start, end)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRot90(JNIEnv* env, jobject, jlong a, jlong k, jlongArray axes) {
  return guarded(env, [&] { return handle(tensor(a).rot90(k, jni::longs(env, axes))); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDiagonal(JNIEnv* env, jobject, jlong a, jlong offset, jlong d1, jlong d2) {
  return guarded(env, [&] { return handle(tensor(a).diagonal(offset, d1, d2)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRepeatInterleave(JNIEnv* env, jobject, jlong a, jlong repeats, jlong dim) {
  return guarded(env, [&] { return handle(tensor(a).repeat_interleave(repeats, dim)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDiff(JNIEnv* env, jobject, jlong a, jint n, jint dim) {
  return guarded(env, [&] { return handle(tensor(a).diff(n, dim)); });
}

// shape holds DJL's padding pairs, last dimension first (torch's constant_pad_nd order).
JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPad(JNIEnv* env, jobject, jlong a, jlongArray pad, jdouble value) {
  return guarded(env, [&] { return handle(torch::constant_pad_nd(tensor(a), jni::longs(env, pad), value)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStack(JNIEnv* env, jobject, jlongArray hs, jlong dim) {
  return guarded(env, [&] { return handle(torch::stack(jni::tensors(env, hs), dim)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCat(JNIEnv* env, jobject, jlongArray hs, jlong dim) {
  return guarded(env, [&] { return handle(torch::cat(jni::tensors(env, hs), dim)); });
}

JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSplit__JJJ(JNIEnv* env, jobject, jlong a, jlong size, jlong dim) {
  return guarded(env, [&] { return jni::handles(env, tensor(a).split(size, dim)); });
}

JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSplit__J_3JJ(JNIEnv* env, jobject, jlong a, jlongArray sizes, jlong dim) {
  return guarded(env, [&] { return jni::handles(env, tensor(a).split_with_sizes(jni::longs(env, sizes), dim)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSlice(JNIEnv* env, jobject, jlong a, jlong dim, jlong start, jlong end, jlong step) {
  return guarded(env, [&] { return handle(tensor(a).slice(dim, start, end, step)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndex(
    JNIEnv* env, jobject, jlong a, jlongArray min, jlongArray max, jlongArray step) {
  return guarded(env, [&] { return handle(tensor(a).index(slices(env, min, max, step))); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexPut(
    JNIEnv* env, jobject, jlong a, jlong value, jlongArray min, jlongArray max, jlongArray step) {
  guarded(env, [&] { tensor(a).index_put_(slices(env, min, max, step), tensor(value)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexInit(JNIEnv* env, jobject, jint size) {
  return guarded(env, [&] {
    auto* list = new IndexList();
    list->reserve(static_cast<size_t>(size));
    return reinterpret_cast<jlong>(list);
  });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDeleteIndex(JNIEnv* env, jobject, jlong h) {
  guarded(env, [&] { delete reinterpret_cast<IndexList*>(h); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendNoneEllipsis(JNIEnv* env, jobject, jlong h, jboolean ellipsis) {
  guarded(env, [&] {
    if (ellipsis == JNI_TRUE) {
      indexList(h).emplace_back(torch::indexing::Ellipsis);
    } else {
      indexList(h).emplace_back(torch::indexing::None);
    }
  });
}

// nullSliceBinary: bit 1 set = no start, bit 0 set = no stop.
JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendSlice(
    JNIEnv* env, jobject, jlong h, jlong min, jlong max, jlong step, jint nullSliceBinary) {
  guarded(env, [&] {
    using torch::indexing::Slice;
    bool noStart = (nullSliceBinary & 2) != 0;
    bool noStop = (nullSliceBinary & 1) != 0;
    if (noStart && noStop) {
      indexList(h).emplace_back(Slice(torch::indexing::None, torch::indexing::None, step));
    } else if (noStart) {
      indexList(h).emplace_back(Slice(torch::indexing::None, max, step));
    } else if (noStop) {
      indexList(h).emplace_back(Slice(min, torch::indexing::None, step));
    } else {
      indexList(h).emplace_back(Slice(min, max, step));
    }
  });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendFixed(JNIEnv* env, jobject, jlong h, jlong i) {
  guarded(env, [&] { indexList(h).emplace_back(static_cast<int64_t>(i)); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendArray(JNIEnv* env, jobject, jlong h, jlong array) {
  guarded(env, [&] { indexList(h).emplace_back(tensor(array)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAdvGet(JNIEnv* env, jobject, jlong a, jlong h) {
  return guarded(env, [&] { return handle(tensor(a).index(indexList(h))); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAdvPut(JNIEnv* env, jobject, jlong a, jlong h, jlong data) {
  guarded(env, [&] { tensor(a).index_put_(indexList(h), tensor(data)); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGather(JNIEnv* env, jobject, jlong a, jlong index, jlong dim, jboolean sparseGrad) {
  return guarded(env, [&] { return handle(tensor(a).gather(dim, tensor(index), sparseGrad == JNI_TRUE)); });
}

DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTake, x.take(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMaskedSelect, x.masked_select(y))

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPut(JNIEnv* env, jobject, jlong a, jlong index, jlong value) {
  return guarded(env, [&] { return handle(tensor(a).put(tensor(index), tensor(value))); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchScatter(JNIEnv* env, jobject, jlong a, jlong index, jlong value, jint axis) {
  return guarded(env, [&] { return handle(tensor(a).scatter(axis, tensor(index), tensor(value))); });
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMaskedPut(JNIEnv* env, jobject, jlong a, jlong value, jlong mask) {
  guarded(env, [&] { tensor(a).masked_fill_(tensor(mask), tensor(value)); });
}

}  // extern "C"

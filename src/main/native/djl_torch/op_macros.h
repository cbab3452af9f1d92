// Definitions of one-line natives. Each macro takes the full JNI symbol, so the stub generator
// (JniStubGenerator) sees which natives these sources implement.
#pragma once

#include "djl_types.h"
#include "tensor_handles.h"

using inferless::jni::guarded;
using inferless::jni::handle;
using inferless::jni::tensor;

// jlong f(jlong a): returns a new tensor computed from x = tensor(a).
#define DJL_UNARY(symbol, expr)                                       \
  JNIEXPORT jlong JNICALL symbol(JNIEnv* env, jobject, jlong a) {     \
    return guarded(env, [&] {                                         \
      auto& x = tensor(a);                                            \
      return handle(expr);                                            \
    });                                                               \
  }

// void f(jlong a): updates x = tensor(a) in place.
#define DJL_UNARY_INPLACE(symbol, stmt)                               \
  JNIEXPORT void JNICALL symbol(JNIEnv* env, jobject, jlong a) {      \
    guarded(env, [&] {                                                \
      auto& x = tensor(a);                                            \
      stmt;                                                           \
    });                                                               \
  }

// jlong f(jlong a, jlong b): new tensor from x = tensor(a), y = tensor(b).
#define DJL_BINARY(symbol, expr)                                            \
  JNIEXPORT jlong JNICALL symbol(JNIEnv* env, jobject, jlong a, jlong b) {  \
    return guarded(env, [&] {                                               \
      auto& x = tensor(a);                                                  \
      auto& y = tensor(b);                                                  \
      return handle(expr);                                                  \
    });                                                                     \
  }

// void f(jlong a, jlong b): updates x in place from y.
#define DJL_BINARY_INPLACE(symbol, stmt)                                    \
  JNIEXPORT void JNICALL symbol(JNIEnv* env, jobject, jlong a, jlong b) {   \
    guarded(env, [&] {                                                      \
      auto& x = tensor(a);                                                  \
      auto& y = tensor(b);                                                  \
      stmt;                                                                 \
    });                                                                     \
  }

// jlong f(jlong a, jlong dim, jboolean keepDim).
#define DJL_DIM_KEEP(symbol, expr)                                                          \
  JNIEXPORT jlong JNICALL symbol(JNIEnv* env, jobject, jlong a, jlong dim, jboolean keep) { \
    return guarded(env, [&] {                                                               \
      auto& x = tensor(a);                                                                  \
      bool keepDim = keep == JNI_TRUE;                                                      \
      return handle(expr);                                                                  \
    });                                                                                     \
  }

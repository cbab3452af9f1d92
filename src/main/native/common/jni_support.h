// JNI plumbing shared by the project's native libraries: C++ exceptions become Java exceptions
// (guarded), Java arrays become std::vector and back.
#pragma once

#include <jni.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace inferless::jni {

inline void throwJava(JNIEnv* env, const char* className, const std::string& message) {
  if (env->ExceptionCheck()) {
    return;  // keep the first pending exception
  }
  jclass type = env->FindClass(className);
  if (type == nullptr) {
    return;  // FindClass left a NoClassDefFoundError pending
  }
  env->ThrowNew(type, message.c_str());
  env->DeleteLocalRef(type);
}

inline constexpr const char* kEngineException = "ai/djl/engine/EngineException";

inline void throwEngineException(JNIEnv* env, const std::string& message) {
  throwJava(env, kEngineException, message);
}

inline void throwNotAvailable(JNIEnv* env, const char* name) {
  throwEngineException(env, std::string(name) + " is not available in this build of the DJL PyTorch binding");
}

// An exception's message without the C++ backtrace that torch's c10::Error appends.
inline std::string messageOf(const std::exception& e) {
  std::string m = e.what();
  auto cut = m.find("\nException raised from");
  return cut == std::string::npos ? m : m.substr(0, cut);
}

// The Java exception classes a library's C++ exceptions become: bad input (std::invalid_argument)
// and every other failure. DJL's binding throws ai.djl.engine.EngineException for both, as DJL's own does.
struct JavaExceptions {
  const char* badInput;
  const char* failure;
};
inline constexpr JavaExceptions kDjlExceptions{kEngineException, kEngineException};

// Runs body; a C++ exception becomes a pending Java exception (of `classes`) and a zero result.
template <typename Body>
auto guarded(JNIEnv* env, Body&& body, const JavaExceptions& classes = kDjlExceptions) -> decltype(body()) {
  using Result = decltype(body());
  try {
    return body();
  } catch (const std::invalid_argument& e) {
    throwJava(env, classes.badInput, messageOf(e));
  } catch (const std::exception& e) {
    throwJava(env, classes.failure, messageOf(e));
  } catch (...) {
    throwJava(env, classes.failure, "unknown native error");
  }
  if constexpr (!std::is_void_v<Result>) {
    return Result{};
  }
}

inline std::vector<int64_t> longs(JNIEnv* env, jlongArray array) {
  if (array == nullptr) {
    return {};
  }
  jsize n = env->GetArrayLength(array);
  std::vector<int64_t> out(static_cast<size_t>(n));
  static_assert(sizeof(jlong) == sizeof(int64_t), "jlong is 64-bit");
  env->GetLongArrayRegion(array, 0, n, reinterpret_cast<jlong*>(out.data()));
  return out;
}

inline std::vector<jint> ints(JNIEnv* env, jintArray array) {
  jsize n = env->GetArrayLength(array);
  std::vector<jint> out(static_cast<size_t>(n));
  env->GetIntArrayRegion(array, 0, n, out.data());
  return out;
}

inline jlongArray toJava(JNIEnv* env, const std::vector<int64_t>& values) {
  jlongArray out = env->NewLongArray(static_cast<jsize>(values.size()));
  env->SetLongArrayRegion(out, 0, static_cast<jsize>(values.size()), reinterpret_cast<const jlong*>(values.data()));
  return out;
}

inline std::string toString(JNIEnv* env, jstring s) {
  const char* chars = env->GetStringUTFChars(s, nullptr);
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

}  // namespace inferless::jni

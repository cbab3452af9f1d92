// Element-wise arithmetic, math functions, comparisons and logic.
#include "op_macros.h"

extern "C" {

DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAdd, x.add(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAddi, x.add_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSub, x.sub(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSubi, x.sub_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMul, x.mul(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMuli, x.mul_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTrueDivide, x.true_divide(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTrueDividei, x.true_divide_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRemainder, x.remainder(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRemainderi, x.remainder_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPow, x.pow(y))
DJL_BINARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPowi, x.pow_(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMaximum, torch::maximum(x, y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMinimum, torch::minimum(x, y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAtan2, x.atan2(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchXLogY, torch::xlogy(x, y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchMatmul, x.matmul(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchBmm, x.bmm(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDot, x.dot(y))

DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSign, x.sign())
DJL_UNARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSigni, x.sign_())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNeg, x.neg())
DJL_UNARY_INPLACE(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNegi, x.neg_())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAbs, x.abs())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSquare, x.square())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFloor, x.floor())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCeil, x.ceil())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRound, x.round())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTrunc, x.trunc())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchExp, x.exp())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLog, x.log())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLog10, x.log10())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLog2, x.log2())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLgamma, x.lgamma())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSin, x.sin())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCos, x.cos())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTan, x.tan())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchASin, x.asin())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAcos, x.acos())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchAtan, x.atan())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSqrt, x.sqrt())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSinh, x.sinh())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCosh, x.cosh())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTanh, x.tanh())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSigmoid, x.sigmoid())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchErf, x.erf())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchErfinv, x.erfinv())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsNaN, x.isnan())
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsInf, x.isinf())

DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchEq, x.eq(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNeq, x.ne(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGt, x.gt(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGte, x.ge(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLt, x.lt(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLte, x.le(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLogicalAnd, x.logical_and(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLogicalOr, x.logical_or(y))
DJL_BINARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLogicalXor, x.logical_xor(y))
DJL_UNARY(Java_ai_djl_pytorch_jni_PyTorchLibrary_torchLogicalNot, x.logical_not())

// min and max are 0-d tensors (DJL creates them from Java numbers).
JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchClamp(JNIEnv* env, jobject, jlong a, jlong min, jlong max) {
  return guarded(env, [&] {
    auto& x = tensor(a);
    return handle(x.clamp(inferless::jni::optionalTensor(min), inferless::jni::optionalTensor(max)));
  });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchWhere(JNIEnv* env, jobject, jlong condition, jlong a, jlong b) {
  return guarded(env, [&] { return handle(torch::where(tensor(condition), tensor(a), tensor(b))); });
}

}  // extern "C"

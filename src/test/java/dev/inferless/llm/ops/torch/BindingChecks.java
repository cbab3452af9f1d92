package dev.inferless.llm.ops.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The checks of the DJL PyTorch binding: each draws random inputs and computes outputs through
 * DJL's NDArray API, which reaches the natives named in the check. {@link BindingCheck} runs them
 * once with DJL's published binding on the CPU (expected values) and once with ours on the GPU.
 */
final class BindingChecks {

    /** Tolerance on ||out - ref|| / ||ref|| (0 = exact). */
    static final double EXACT = 0;
    static final double FP32 = 1e-5;
    static final double FP32_REDUCE = 1e-4;
    static final double HALF = 1e-2;

    /**
     * A check: {@code op} runs through the binding under test; {@code reference} computes the
     * expected outputs when recording (the op itself, or plain Java where DJL's published binding
     * lacks a feature, e.g. bfloat16).
     */
    record Check(
            String natives,
            double tolerance,
            Function<Random, List<Input>> inputs,
            BiFunction<NDManager, NDList, NDList> op,
            BiFunction<NDManager, NDList, NDList> reference) {

        Check(String natives, double tolerance, Function<Random, List<Input>> inputs,
                BiFunction<NDManager, NDList, NDList> op) {
            this(natives, tolerance, inputs, op, op);
        }
    }

    /** float32 -> bfloat16 -> float32 with round-to-nearest-even, as torch converts. */
    static float roundToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    static NDArray bf16Rounded(NDManager m, NDArray a) {
        float[] v = a.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = roundToBf16(v[i]);
        }
        return m.create(v, a.getShape());
    }

    private static byte[] pattern() {
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) (i * 37);
        }
        return b;
    }

    /** A random input, made on the CPU. */
    interface Input extends Function<NDManager, NDArray> {}

    private BindingChecks() {}


    /** Input factories: the values are drawn from r when called, the arrays made on a manager later. */
    static Input uniform(Random r, float lo, float hi, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return m -> m.create(v, s);
    }

    static Input normal(Random r, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m -> m.create(v, s);
    }

    static Input longs(Random r, long bound, long... shape) {
        Shape s = new Shape(shape);
        long[] v = new long[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (long) r.nextInt((int) bound);
        }
        return m -> m.create(v, s);
    }

    /** n distinct values in [0, bound): index_put with repeated indices has no defined winner. */
    static Input distinctLongs(Random r, int bound, int n) {
        List<Long> all = new ArrayList<>();
        for (long i = 0; i < bound; i++) {
            all.add(i);
        }
        java.util.Collections.shuffle(all, r);
        long[] v = all.subList(0, n).stream().mapToLong(Long::longValue).toArray();
        return m -> m.create(v);
    }

    static Input bools(Random r, long... shape) {
        Shape s = new Shape(shape);
        boolean[] v = new boolean[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextBoolean();
        }
        return m -> m.create(v, s);
    }

    private static NDArray in(NDList l, int i) {
        return l.get(i);
    }

    static List<Check> all() {
        List<Check> c = new ArrayList<>();
        // creation, metadata, data movement
        c.add(new Check("torchZeros,torchOnes,torchFull,torchEmpty", EXACT, r -> List.of(),
                (m, x) -> new NDList(m.zeros(new Shape(3, 5)), m.ones(new Shape(2, 3), DataType.INT32),
                        m.ones(new Shape(2, 3), DataType.BFLOAT16).toType(DataType.FLOAT32, false),
                        m.full(new Shape(4), 2.5f), m.create(new Shape(2, 2)).mul(0)),
                (m, x) -> new NDList(m.zeros(new Shape(3, 5)), m.ones(new Shape(2, 3), DataType.INT32),
                        m.ones(new Shape(2, 3)), m.full(new Shape(4), 2.5f), m.zeros(new Shape(2, 2)))));
        c.add(new Check("torchArange,torchLinspace,torchEye", EXACT, r -> List.of(),
                (m, x) -> new NDList(m.arange(0f, 10f, 0.5f), m.arange(3, 17, 2), m.linspace(-1f, 1f, 9), m.eye(4, 3, 0, DataType.FLOAT32))));
        c.add(new Check("torchZerosLike,torchOnesLike", EXACT, r -> List.of(normal(r, 3, 4)),
                (m, x) -> new NDList(in(x, 0).zerosLike(), in(x, 0).onesLike())));
        c.add(new Check("torchFromBlob(f16,i32,i8,u8,bool),torchDType,torchSizes", EXACT, r -> List.of(), (m, x) -> {
            NDList out = new NDList();
            for (DataType t : new DataType[] {DataType.FLOAT16, DataType.INT32, DataType.INT8, DataType.UINT8}) {
                ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
                b.put(pattern()).rewind();
                NDArray a = m.create(b, new Shape(16 / t.getNumOfBytes()), t);
                out.add(a.toType(DataType.FLOAT32, false));
                out.add(m.create(a.getShape().getShape()));
            }
            ByteBuffer flags = ByteBuffer.allocateDirect(16);
            for (int i = 0; i < 16; i++) {
                flags.put(i, (byte) (i % 3 == 0 ? 1 : 0));
            }
            out.add(m.create(flags, new Shape(4, 4), DataType.BOOLEAN));
            return out;
        }));
        c.add(new Check("torchFromBlob(bf16),torchTo(bf16)", EXACT, r -> List.of(normal(r, 5, 7)), (m, x) -> {
            ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            b.put(pattern()).rewind();
            NDArray fromBytes = m.create(b, new Shape(8), DataType.BFLOAT16);
            NDArray rounded = x.get(0).toType(DataType.BFLOAT16, false);
            return new NDList(fromBytes.toType(DataType.FLOAT32, false), rounded.toType(DataType.FLOAT32, false),
                    m.create(rounded.getDataType().ordinal()));
        }, (m, x) -> {
            ByteBuffer b = ByteBuffer.wrap(pattern()).order(ByteOrder.nativeOrder());
            float[] fromBytes = new float[8];
            for (int i = 0; i < 8; i++) {
                fromBytes[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
            }
            return new NDList(m.create(fromBytes), bf16Rounded(m, x.get(0)), m.create(DataType.BFLOAT16.ordinal()));
        }));
        c.add(new Check("torchTo(dtype),torchDataPtr,torchDirectByteBuffer", EXACT, r -> List.of(normal(r, 5, 7)),
                (m, x) -> {
                    NDArray a = in(x, 0);
                    NDArray f16 = a.toType(DataType.FLOAT16, false);
                    float[] viaBytes = f16.toType(DataType.FLOAT32, false).toFloatArray();
                    return new NDList(f16, a.toType(DataType.FLOAT64, false), a.mul(100).toType(DataType.INT32, false),
                            a.gt(0), m.create(viaBytes, a.getShape()));
                }));
        c.add(new Check("torchSet,tensorClone,contentEqual,torchIsContiguous,torchToContiguous", EXACT,
                r -> List.of(normal(r, 4, 6), normal(r, 24)), (m, x) -> {
                    NDArray a = in(x, 0).duplicate();
                    a.set(in(x, 1).toFloatArray());
                    NDArray t = in(x, 0).transpose();
                    float[] tv = t.toFloatArray(); // non-contiguous read
                    boolean same = in(x, 0).contentEquals(in(x, 0).duplicate());
                    return new NDList(a, m.create(tv, t.getShape()), m.create(same), m.create(a.contentEquals(in(x, 0))));
                }));
        c.add(new Check("torchGetItem,torchIndex,torchIndexPut", EXACT, r -> List.of(normal(r, 4, 5, 6), normal(r, 2, 3)),
                (m, x) -> {
                    NDArray a = in(x, 0);
                    NDArray b = a.duplicate();
                    b.set(new NDIndex("1:3, 2, 1:4"), in(x, 1));
                    return new NDList(a.get(2), a.get(1, 3), a.get("1:3, ::2, -3:"), a.get(":, 1"), b);
                }));
        c.add(new Check("torchIndexAdvGet,torchIndexAdvPut,torchIndexAppend*", EXACT,
                r -> List.of(normal(r, 5, 6, 3), longs(r, 5, 4), bools(r, 6), normal(r, 4, 6, 3), distinctLongs(r, 5, 2)),
                (m, x) -> {
                    NDArray a = in(x, 0);
                    NDArray idx = in(x, 1);
                    NDArray b = a.duplicate();
                    b.set(new NDIndex("{}", in(x, 4)), in(x, 3).get("0:2"));
                    NDArray c2 = a.duplicate();
                    c2.set(new NDIndex("..., 1"), m.full(new Shape(5, 6), 7f));
                    return new NDList(a.get(new NDIndex("{}, 1:5", idx)), a.get(new NDIndex(":, {}", in(x, 2))),
                            a.get(new NDIndex("..., -1")), a.get(new NDIndex("1, null, :2")), b, c2);
                }));
        // what the Llama engine does per step (docs/ops-used.md of the model part): cache write and
        // read through sliceAxis, embedding rows by an int64 index, device scalars
        c.add(new Check("torchIndexAdvPut(sliceAxis),torchIndexAdvGet(sliceAxis,take),create(scalar,long[])", EXACT,
                r -> List.of(normal(r, 4, 16, 8), normal(r, 4, 3, 8), normal(r, 32, 8), longs(r, 32, 5)), (m, x) -> {
                    NDArray cache = in(x, 0).duplicate();
                    cache.set(NDIndex.sliceAxis(1, 5, 8), in(x, 1));
                    NDArray prefix = cache.get(m, NDIndex.sliceAxis(1, 0, 8));
                    NDArray ids = m.create(in(x, 3).toLongArray());
                    NDArray rows = in(x, 2).get(m, new NDIndex("{}", ids));
                    return new NDList(cache, prefix, rows, rows.mul(m.create(0.5f)), in(x, 2).get(NDIndex.sliceAxis(0, 31, 32)));
                }));
        // element-wise
        c.add(new Check("torchAdd,torchSub,torchMul,torchTrueDivide,torchRemainder,torchPow,torchMaximum,torchMinimum,torchAtan2,torchXLogY",
                FP32, r -> List.of(uniform(r, 0.5f, 2f, 6, 7), uniform(r, 0.5f, 2f, 6, 7), uniform(r, 0.5f, 2f, 7)),
                (m, x) -> {
                    NDArray a = in(x, 0), b = in(x, 1), row = in(x, 2);
                    return new NDList(a.add(b), a.sub(row), a.mul(b), a.div(row), a.mod(b), a.pow(b),
                            NDArrays.maximum(a, b), NDArrays.minimum(a, row), a.atan2(b), a.xlogy(b), a.add(3f));
                }));
        c.add(new Check("torchAddi,torchSubi,torchMuli,torchTrueDividei,torchRemainderi,torchPowi,torchNegi,torchSigni", FP32,
                r -> List.of(uniform(r, 0.5f, 2f, 5, 4), uniform(r, 0.5f, 2f, 5, 4)), (m, x) -> {
                    NDArray a = in(x, 0).duplicate(), b = in(x, 1);
                    a.addi(b).muli(b).subi(1f).divi(b).powi(b).modi(b);
                    NDArray n = in(x, 0).sub(1.2f);
                    n.negi();
                    NDArray s = n.duplicate();
                    s.signi();
                    return new NDList(a, n, s);
                }));
        c.add(new Check("torchExp,torchLog,torchLog10,torchLog2,torchSqrt,torchAbs,torchSquare,torchNeg,torchSign,torchFloor,torchCeil,torchRound,torchTrunc,torchLgamma",
                FP32, r -> List.of(uniform(r, 0.1f, 4f, 64), normal(r, 64)), (m, x) -> {
                    NDArray p = in(x, 0), z = in(x, 1).mul(3);
                    return new NDList(p.exp(), p.log(), p.log10(), p.log2(), p.sqrt(), z.abs(), z.square(), z.neg(),
                            z.sign(), z.floor(), z.ceil(), z.round(), z.trunc(), p.gammaln());
                }));
        c.add(new Check("torchSin,torchCos,torchTan,torchASin,torchAcos,torchAtan,torchSinh,torchCosh,torchTanh,torchSigmoid,torchErf,torchErfinv",
                FP32, r -> List.of(uniform(r, -0.9f, 0.9f, 64)), (m, x) -> {
                    NDArray a = in(x, 0);
                    return new NDList(a.sin(), a.cos(), a.tan(), a.asin(), a.acos(), a.atan(), a.sinh(), a.cosh(),
                            a.tanh(), a.getNDArrayInternal().sigmoid(), a.erf(), a.erfinv());
                }));
        c.add(new Check("torchEq,torchNeq,torchGt,torchGte,torchLt,torchLte,torchLogical*,torchWhere,torchClamp,torchIsNaN,torchIsInf,torchAll,torchAny,torchNone",
                EXACT, r -> List.of(longs(r, 4, 40), longs(r, 4, 40), normal(r, 40)), (m, x) -> {
                    NDArray a = in(x, 0), b = in(x, 1), f = in(x, 2);
                    NDArray ba = a.gt(1), bb = b.lt(2);
                    NDArray weird = f.div(f.gt(0).toType(DataType.FLOAT32, false).sub(0.5f).mul(2).floor().add(1));
                    return new NDList(a.eq(b), a.neq(b), a.gt(b), a.gte(b), a.lt(b), a.lte(b), ba.logicalAnd(bb),
                            ba.logicalOr(bb), ba.logicalXor(bb), ba.logicalNot(), NDArrays.where(ba, f, f.neg()),
                            f.clip(-0.5f, 0.7f), weird.isNaN(), weird.isInfinite(), ba.all(), ba.any(), ba.none());
                }));
        // linear algebra
        c.add(new Check("torchMatmul,torchBmm,torchDot", FP32_REDUCE,
                r -> List.of(normal(r, 3, 17, 33), normal(r, 3, 33, 9), normal(r, 33, 9), normal(r, 50), normal(r, 50)),
                (m, x) -> new NDList(in(x, 0).matMul(in(x, 2)), in(x, 0).batchMatMul(in(x, 1)), in(x, 3).dot(in(x, 4)))));
        c.add(new Check("torchMatmul(f16)", HALF, r -> List.of(normal(r, 16, 64), normal(r, 64, 32)), (m, x) ->
                new NDList(in(x, 0).toType(DataType.FLOAT16, false).matMul(in(x, 1).toType(DataType.FLOAT16, false))
                        .toType(DataType.FLOAT32, false))));
        c.add(new Check("torchMatmul(bf16),torchSoftmax(bf16)", HALF, r -> List.of(normal(r, 16, 64), normal(r, 64, 32)),
                (m, x) -> {
                    NDArray a = in(x, 0).toType(DataType.BFLOAT16, false);
                    NDArray b = in(x, 1).toType(DataType.BFLOAT16, false);
                    return new NDList(a.matMul(b).toType(DataType.FLOAT32, false), a.softmax(1).toType(DataType.FLOAT32, false));
                },
                (m, x) -> {
                    NDArray a = bf16Rounded(m, in(x, 0));
                    NDArray b = bf16Rounded(m, in(x, 1));
                    return new NDList(a.matMul(b), a.softmax(1));
                }));
        // reductions and sorting
        c.add(new Check("torchSum,torchMean,torchMax,torchMin,torchProd,torchCumSum,torchCumProd,torchNorm,torchMedian,torchQuantile",
                FP32_REDUCE, r -> List.of(uniform(r, 0.5f, 1.5f, 6, 10)), (m, x) -> {
                    NDArray a = in(x, 0);
                    return new NDList(a.sum(), a.sum(new int[] {1}), a.sum(new int[] {0}, true), a.mean(), a.mean(new int[] {1}, true),
                            a.max(), a.max(new int[] {0}), a.min(), a.min(new int[] {1}, true), a.prod(), a.prod(new int[] {1}),
                            a.cumSum(1), a.cumProd(0), a.norm(), a.norm(1, new int[] {1}, false), a.median(new int[] {1}),
                            a.percentile(30, new int[] {1}));
                }));
        c.add(new Check("torchArgMax,torchArgMin,torchArgSort,torchSort,torchTopK", EXACT, r -> List.of(normal(r, 7, 50)),
                (m, x) -> {
                    NDArray a = in(x, 0);
                    NDList top = a.topK(5, 1);
                    NDList bottom = a.topK(3, 0, false, true);
                    return new NDList(a.argMax(), a.argMax(1), a.argMin(), a.argMin(0), a.argSort(1), a.argSort(0, false),
                            a.sort(1), top.get(0), top.get(1), bottom.get(0), bottom.get(1));
                }));
        c.add(new Check("torchSoftmax,torchLogSoftmax", FP32, r -> List.of(normal(r, 4, 100)),
                (m, x) -> new NDList(in(x, 0).mul(5).softmax(-1), in(x, 0).logSoftmax(0))));
        // shapes
        c.add(new Check("torchReshape,torchExpand,torchPermute,torchTranspose,torchFlip,torchSqueeze,torchUnsqueeze,torchFlatten,torchRepeat,torchRepeatInterleave,torchRot90,torchDiagonal,torchDiff,torchPad",
                EXACT, r -> List.of(normal(r, 2, 1, 3, 4)), (m, x) -> {
                    NDArray a = in(x, 0);
                    return new NDList(a.reshape(6, 4), a.broadcast(new Shape(2, 5, 3, 4)), a.transpose(3, 0, 2, 1),
                            a.swapAxes(0, 2), a.flip(1, 3), a.squeeze(), a.squeeze(1), a.expandDims(2), a.flatten(1, 3),
                            a.tile(new long[] {1, 2, 1, 2}), a.repeat(2, 3), a.squeeze().rotate90(1, new int[] {1, 2}),
                            a.squeeze().diagonal(1, 1, 2), a.diff(1, 3), a.pad(new Shape(1, 2), 9f));
                }));
        c.add(new Check("torchCat,torchStack,torchSplit", EXACT, r -> List.of(normal(r, 3, 4), normal(r, 3, 4), normal(r, 10, 2)),
                (m, x) -> {
                    NDList out = new NDList(NDArrays.concat(new NDList(in(x, 0), in(x, 1)), 1),
                            NDArrays.stack(new NDList(in(x, 0), in(x, 1)), 0));
                    out.addAll(in(x, 2).split(5, 0));
                    out.addAll(in(x, 2).split(new long[] {2, 7}, 0));
                    return out;
                }));
        c.add(new Check("torchGather,torchTake,torchPut,torchScatter,torchMaskedSelect,torchMaskedPut,torchNonZeros",
                EXACT, r -> List.of(normal(r, 4, 6), longs(r, 6, 4, 3), distinctLongs(r, 24, 5), bools(r, 4, 6), normal(r, 5)),
                (m, x) -> {
                    NDArray a = in(x, 0), gi = in(x, 1), ti = in(x, 2), mask = in(x, 3);
                    NDArray masked = a.duplicate();
                    masked.set(mask, 0.25f);
                    return new NDList(a.gather(gi, 1), a.take(ti), a.put(ti, in(x, 4)),
                            a.scatter(gi.get(":, 0:1"), a.get(":, 0:1").add(10), 1), a.booleanMask(mask), masked,
                            mask.nonzero());
                }));
        // neural network functions
        c.add(new Check("torchNNLinear,torchNNEmbedding,torchNNRelu,torchNNGelu,torchNNSoftPlus,torchNNLayerNorm,torchNNNormalize,torchNNDropout(eval),torchNNOneHot",
                FP32_REDUCE, r -> List.of(normal(r, 5, 16), normal(r, 8, 16), normal(r, 8), longs(r, 10, 2, 3), normal(r, 10, 4), normal(r, 16), normal(r, 16)),
                (m, x) -> {
                    NDArray a = in(x, 0);
                    var ex = a.getNDArrayInternal();
                    return new NDList(ex.linear(a, in(x, 1), in(x, 2)).get(0), ex.linear(a, in(x, 1), null).get(0),
                            ex.embedding(in(x, 3), in(x, 4), SparseFormat.DENSE).get(0), ex.relu(), ex.gelu(), ex.softPlus(),
                            ex.layerNorm(a, new Shape(16), in(x, 5), in(x, 6), 1e-5f).get(0), a.normalize(2, 1, 1e-12),
                            ex.dropout(a, 0.5f, false).get(0), in(x, 3).oneHot(10));
                }));
        // random draws: only their range and rough moments are stable
        c.add(new Check("torchRandint,torchNormal,tensorUniform,torchRandPerm,torchManualSeed", EXACT, r -> List.of(),
                (m, x) -> {
                    m.getEngine().setRandomSeed(42);
                    NDArray ri = m.randomInteger(3, 9, new Shape(1000), DataType.INT64);
                    NDArray u = m.randomUniform(-2f, 3f, new Shape(10000));
                    NDArray g = m.randomNormal(1f, 2f, new Shape(10000), DataType.FLOAT32);
                    NDArray p = m.randomPermutation(50);
                    return new NDList(ri.gte(3).all(), ri.lt(9).all(), u.gte(-2f).all(), u.lt(3f).all(),
                            u.mean().sub(0.5f).abs().lt(0.1f), g.mean().sub(1f).abs().lt(0.1f),
                            g.sub(g.mean()).square().mean().sqrt().sub(2f).abs().lt(0.1f), p.sort(0).eq(m.arange(50L)).all());
                }));
        return c;
    }
}

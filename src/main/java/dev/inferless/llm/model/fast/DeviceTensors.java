package dev.inferless.llm.model.fast;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.TensorInfo;
import dev.inferless.llm.checkpoint.TensorStore;
import dev.inferless.llm.ops.NativeLlm;
import dev.inferless.startup.StartupTimeline;

import java.nio.ByteBuffer;

/** Checkpoint tensors to the device as raw bytes (no conversion on the host). */
final class DeviceTensors {

    private DeviceTensors() {}

    static DataType dataTypeOf(DType dtype) {
        return switch (dtype) {
            case F64 -> DataType.FLOAT64;
            case F32 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            case I16 -> throw new IllegalArgumentException("I16 tensors are not supported by the fast path");
        };
    }

    /** Through libllm_ops' pinned staging buffers (about 4x DJL's pageable copy from the memory map). */
    static PtNDArray upload(PtNDManager manager, TensorStore store, TensorInfo info) {
        ByteBuffer bytes = store.bytes(info.name());
        if (!bytes.isDirect() || bytes.position() != 0 || bytes.capacity() != info.length()) {
            return (PtNDArray) manager.create(bytes, new Shape(info.shape()), dataTypeOf(info.dtype()));
        }
        long start = System.nanoTime();
        long handle = NativeLlm.upload(bytes, info.dtype().name(), info.shape(), manager.getDevice().getDeviceId());
        StartupTimeline.process().addPart("weights", "upload", System.nanoTime() - start);
        return new PtNDArray(manager, handle);
    }

    /** Longs per native linear part: weight, scalesZeros, perm handles, group size, kind, partStarts handle. */
    static final int PART_LONGS = 6;

    /** Wraps the tensor handles of returned parts (PART_LONGS each) so DJL frees them. */
    static long[] adopt(PtNDManager manager, long[] parts) {
        if (parts.length == 0 || parts.length % PART_LONGS != 0) {
            throw new IllegalStateException("native parts must be " + PART_LONGS + " longs each, got " + parts.length);
        }
        for (int p = 0; p < parts.length; p += PART_LONGS) {
            for (int i : new int[] {0, 1, 2, 5}) {
                if (parts[p + i] != 0) new PtNDArray(manager, parts[p + i]);
            }
        }
        return parts;
    }
}

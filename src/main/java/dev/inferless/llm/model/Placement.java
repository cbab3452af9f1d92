package dev.inferless.llm.model;

import dev.inferless.llm.ops.torch.TorchBinding;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/**
 * Where the weights live and in which element type: float32 on CPU, float16 on GPU unless told
 * otherwise. bfloat16 is opt-in: DJL 0.36's published PyTorch binding has no mapping for DJL's
 * BFLOAT16 and aborts the JVM on the first bfloat16 tensor, so it needs a binding that maps it
 * (declared with the system property {@value #BF16_PROPERTY}=true).
 */
record Placement(Device device, DataType dtype) {

    static final String ENGINE = "PyTorch";
    static final String BF16_PROPERTY = TorchBinding.BF16_PROPERTY;

    /**
     * @param device cpu | gpu | auto (gpu when DJL's PyTorch engine sees one)
     * @param dtype  auto | float32 | bfloat16 | float16
     */
    static Placement resolve(String device, String dtype) {
        Device d = resolveDevice(device);
        return new Placement(d, resolveDtype(dtype, d));
    }

    private static Device resolveDevice(String device) {
        String name = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        int gpus = Engine.getEngine(ENGINE).getGpuCount();
        switch (name) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalArgumentException("device 'gpu' requested but DJL's PyTorch engine sees no GPU");
                }
                return Device.gpu();
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            default:
                throw new IllegalArgumentException("device must be cpu, gpu or auto, got '" + device + "'");
        }
    }

    private static DataType resolveDtype(String dtype, Device device) {
        String name = dtype == null ? "auto" : dtype.trim().toLowerCase(Locale.ROOT);
        switch (name) {
            case "auto":
                return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            case "float32":
                return DataType.FLOAT32;
            case "bfloat16":
                if (!Boolean.getBoolean(BF16_PROPERTY)) {
                    throw new IllegalArgumentException("dtype bfloat16 needs a PyTorch binding that maps it (DJL 0.36's"
                            + " own aborts the JVM on bfloat16 tensors); set -D" + BF16_PROPERTY
                            + "=true with such a binding, or use float16 or float32");
                }
                return DataType.BFLOAT16;
            case "float16":
                return DataType.FLOAT16;
            default:
                throw new IllegalArgumentException(
                        "dtype must be auto, float32, bfloat16 or float16, got '" + dtype + "'");
        }
    }

    /** "cpu" or "gpu(N)", as LanguageModel.device() reports it. */
    String deviceName() {
        return device.isGpu() ? "gpu(" + device.getDeviceId() + ")" : "cpu";
    }
}

package dev.inferless.llm.checkpoint;

import dev.inferless.llm.checkpoint.synthetic.AwqPacker;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.checkpoint.synthetic.GptqPacker;
import dev.inferless.llm.checkpoint.synthetic.MatrixRows;
import dev.inferless.llm.checkpoint.synthetic.SafetensorsWriter;
import dev.inferless.llm.checkpoint.synthetic.TensorBytes;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: times the 34B-shaped hot spots (one 22016 x 8192 projection: make+pack, write, open,
 * dequantize) so the full-model figures can be estimated. Run with
 * {@code java -cp target/classes:target/test-classes:<jackson> dev.inferless.llm.checkpoint.CheckpointBenchmark DIR}.
 */
public final class CheckpointBenchmark {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "target/ckpt-bench"));
        if (args.length > 1 && args[1].equals("load")) {
            compareLoading(dir);
            return;
        }
        int in = 8192;
        int out = 22016;
        int groupSize = 128;
        String prefix = "model.layers.0.mlp.gate_proj";
        System.out.printf("cores %d, matrix [%d][%d] (34B gate_proj), GPTQ 4-bit g%d act-order%n",
                Runtime.getRuntime().availableProcessors(), out, in, groupSize);
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            long c0 = cpu();
            MatrixRows rows = CheckpointMaker.projectionWeights(1, prefix, in);
            int[] gIdx = GptqPacker.groupIndex(in, groupSize, true, 7);
            GptqPacker.Packed p = GptqPacker.pack(rows, in, out, 4, in / groupSize, true, false, gIdx);
            long t1 = System.nanoTime();
            long c1 = cpu();
            MappedTensorStore store = new TestTensors()
                    .ints(prefix + ".qweight", p.qweight(), in / 8, out)
                    .ints(prefix + ".qzeros", p.qzeros(), in / groupSize, out / 8)
                    .halves(prefix + ".scales", p.scales(), in / groupSize, out)
                    .ints(prefix + ".g_idx", p.gIdx(), in)
                    .open(dir);
            long t2 = System.nanoTime();
            long c2 = cpu();
            LinearWeight.Gptq w = new LinearWeight.Gptq(in, out, new Quantization.Gptq(4, groupSize, true, true, false),
                    store.info(prefix + ".qweight"), store.info(prefix + ".qzeros"), store.info(prefix + ".scales"),
                    store.info(prefix + ".g_idx"), null);
            float[] dense = Dequantize.toFloat(store, w);
            long t3 = System.nanoTime();
            long c3 = cpu();
            AwqPacker.Packed a = AwqPacker.pack(rows, in, out, groupSize);
            long t4 = System.nanoTime();
            long c4 = cpu();
            float[] awq = Dequantize.awq(a.qweight(), a.qzeros(), halves(a.scales()), in, out, groupSize);
            long t5 = System.nanoTime();
            long c5 = cpu();
            store.close();
            System.out.printf("rep %d: gptq make+pack %d ms, write+open %d ms, gptq dequantize %d ms,"
                            + " awq make+pack %d ms, awq dequantize %d ms (check %.3f %.3f)%n", rep,
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000,
                    (t5 - t4) / 1_000_000, dense[12345], awq[12345]);
            System.out.printf("       cpu ms: gptq make+pack %d, gptq dequantize %d, awq make+pack %d, awq dequantize %d%n",
                    (c1 - c0) / 1_000_000, (c3 - c2) / 1_000_000, (c4 - c3) / 1_000_000, (c5 - c4) / 1_000_000);
        }
    }

    /**
     * Reading a safetensors file (warm page cache) through our memory map, every byte touched,
     * against DJL's NDList.decode from a stream (which copies every tensor into native memory).
     */
    static void compareLoading(Path dir) throws Exception {
        int tensors = 16;
        int elements = 16 << 20;
        java.util.List<SafetensorsWriter.Entry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < tensors; i++) entries.add(new SafetensorsWriter.Entry("t" + i, DType.F16, new long[] {elements}));
        Path file = dir.resolve("model.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries)) {
            for (int i = 0; i < tensors; i++) {
                short[] values = new short[elements];
                java.util.Arrays.fill(values, (short) (0x3c00 + i));
                w.write("t" + i, TensorBytes.of(values));
            }
        }
        long bytes = (long) tensors * elements * 2;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            long sum = 0;
            try (MappedTensorStore store = MappedTensorStore.open(dir)) {
                for (String name : store.names()) {
                    java.nio.LongBuffer longs = store.bytes(name).asLongBuffer();
                    for (int i = 0; i < longs.limit(); i += 512) sum += longs.get(i); // one read per 4 KiB page
                }
            }
            long t1 = System.nanoTime();
            int arrays;
            try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
                 java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
                arrays = ai.djl.ndarray.NDList.decode(manager, in).size();
            }
            long t2 = System.nanoTime();
            System.out.printf("load %d MB: mmap reader %d ms (%.1f GB/s), DJL NDList.decode %d ms (%.1f GB/s), %d arrays, check %d%n",
                    bytes >> 20, (t1 - t0) / 1_000_000, bytes / ((t1 - t0) / 1e9) / 1e9,
                    (t2 - t1) / 1_000_000, bytes / ((t2 - t1) / 1e9) / 1e9, arrays, sum);
        }
        Files.delete(file);
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static float[] halves(short[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = Fp16.toFloat(h[i]);
        return f;
    }
}

package dev.inferless.bench;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.engine.Engines;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Teacher-forced next-token logits of the engine a checkpoint runs on (the fast path on a GPU), for
 * fidelity checks against an independent reference (scripts/gpu/fidelity.py). Each line of the tokens
 * file is one sequence of token ids; its first {@code --prompt-tokens} go in as one prefill, the rest one
 * decode step each. Row r of the output is the logits after the sequence's first P + r tokens, so a
 * sequence of L tokens gives L - P rows, predicting tokens P .. L - 1; sequences follow each other.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Teacher-forced logits of a checkpoint over token sequences, as float32 .npy [rows, vocab].")
public final class LogitsCommand implements Callable<Integer> {

    @Option(names = "--weights", required = true, description = "A checkpoint directory in the Hugging Face layout.")
    Path weights;

    @Option(names = "--tokens", required = true, description = "One sequence per line: token ids separated by spaces.")
    Path tokens;

    @Option(names = "--prompt-tokens", defaultValue = "1", description = "Tokens of each sequence prefilled at once (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, gpu or auto (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--out", required = true, description = "The .npy file to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        List<int[]> sequences = readSequences(tokens, promptTokens);
        try (Checkpoint ckpt = Checkpoint.open(weights); LanguageModel model = Engines.load(ckpt, device, 1, KvPoolSize.DEFAULT)) {
            int vocab = model.config().vocabSize();
            List<float[]> rows = new ArrayList<>();
            for (int[] seq : sequences) {
                try (DecodeSession session = model.newSession(seq.length)) {
                    rows.add(session.prefill(Arrays.copyOf(seq, promptTokens)));
                    for (int i = promptTokens; i < seq.length - 1; i++) rows.add(session.decode(seq[i]));
                }
            }
            writeNpy(out, rows, vocab);
            System.out.printf("wrote %s: %d rows of %d logits (%s)%n", out, rows.size(), vocab, model.device());
        }
        return 0;
    }

    static List<int[]> readSequences(Path file, int promptTokens) throws IOException {
        if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens must be at least 1, got " + promptTokens);
        List<int[]> sequences = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            int[] seq = Arrays.stream(line.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            if (seq.length <= promptTokens) {
                throw new IllegalArgumentException(file + ": a sequence of " + seq.length
                        + " tokens leaves nothing to predict after --prompt-tokens " + promptTokens);
            }
            sequences.add(seq);
        }
        if (sequences.isEmpty()) throw new IllegalArgumentException(file + ": no sequence");
        return sequences;
    }

    /** NumPy's .npy format, version 1.0: little-endian float32, C order. */
    static void writeNpy(Path file, List<float[]> rows, int width) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows.size() + ", " + width + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        try (OutputStream os = Files.newOutputStream(file)) {
            ByteBuffer preamble = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            preamble.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                    .putShort((short) header.length());
            os.write(preamble.array());
            os.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer row = ByteBuffer.allocate(width * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] r : rows) {
                if (r.length != width) throw new IllegalStateException("a row of " + r.length + " logits, expected " + width);
                row.clear();
                row.asFloatBuffer().put(r);
                os.write(row.array());
            }
        }
    }
}

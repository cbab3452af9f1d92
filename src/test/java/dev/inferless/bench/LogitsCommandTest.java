package dev.inferless.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.LlamaModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The logits command's rows are the engine's teacher-forced logits, in an .npy NumPy reads. */
class LogitsCommandTest {

    @TempDir
    Path dir;

    @Test
    void rowsAreTheTeacherForcedLogitsOfEachSequenceInOrder() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 3, ckpt);
        Path tokens = Files.writeString(dir.resolve("tokens.txt"), "1 17 40 9 200\n\n1 5 6\n");
        Path out = dir.resolve("logits.npy");
        int rc = new CommandLine(new LogitsCommand()).execute("--weights", ckpt.toString(), "--tokens", tokens.toString(),
                "--prompt-tokens", "2", "--device", "cpu", "--out", out.toString());
        assertThat(rc).isZero();

        ByteBuffer npy = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(npy.get(0)).isEqualTo((byte) 0x93);
        int headerLength = npy.getShort(8);
        String header = new String(Files.readAllBytes(out), 10, headerLength, StandardCharsets.US_ASCII);
        assertThat((10 + headerLength) % 64).isZero();
        try (Checkpoint c = Checkpoint.open(ckpt); LanguageModel model = LlamaModel.load(c, "cpu")) {
            int vocab = model.config().vocabSize();
            assertThat(header).contains("'descr': '<f4'").contains("'shape': (4, " + vocab + ")");
            // Rows: after 2, 3, 4 tokens of the first sequence; after 2 of the second.
            float[][] want = new float[4][];
            try (DecodeSession s = model.newSession(5)) {
                want[0] = s.prefill(new int[] {1, 17});
                want[1] = s.decode(40);
                want[2] = s.decode(9);
            }
            try (DecodeSession s = model.newSession(3)) {
                want[3] = s.prefill(new int[] {1, 5});
            }
            npy.position(10 + headerLength);
            for (int r = 0; r < 4; r++) {
                for (int v = 0; v < vocab; v++) {
                    assertThat(npy.getFloat()).as("row %d, logit %d", r, v).isEqualTo(want[r][v]);
                }
            }
            assertThat(npy.remaining()).isZero();
        }
    }

    @Test
    void aSequenceWithNothingToPredictNamesTheOption() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens.txt"), "1 2\n");
        assertThatThrownBy(() -> LogitsCommand.readSequences(tokens, 2)).hasMessageContaining("--prompt-tokens 2");
    }
}

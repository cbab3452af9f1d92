package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.bench.LoadTest;
import dev.inferless.server.testmodel.StreamingTestModel;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The load generator against a real server: every request counted, tokens from the final usage. */
class LoadTestClientTest {

    @TempDir
    Path tmp;

    @Test
    void reportsEachLevelWithTokensFromUsageAndNoErrors() throws Exception {
        try (TestServer server = TestServer.start(StreamingTestModel.repo(tmp), "server.container_concurrency=4")) {
            Path table = tmp.resolve("load.md");
            int exit = new CommandLine(new LoadTest()).execute("--url", "http://127.0.0.1:" + server.runtime.port(),
                    "--concurrency", "1,4", "--requests-per-client", "3", "--max-tokens", "5", "--out", table.toString());
            assertThat(exit).isZero();
            List<String> rows = Files.readAllLines(table);
            assertThat(rows).hasSize(4);
            assertThat(cells(rows.get(2)).subList(0, 4)).containsExactly("1", "3", "0", "15");
            assertThat(cells(rows.get(3)).subList(0, 4)).containsExactly("4", "12", "0", "60");
            assertThat(rows.get(0)).endsWith("| p99 ITL (s) | max ITL (s) |");
            List<String> level = cells(rows.get(3));
            assertThat(Double.parseDouble(level.get(11))).isGreaterThanOrEqualTo(Double.parseDouble(level.get(10)))
                    .isGreaterThanOrEqualTo(0);

            // A server that refuses everything: errors counted, non-zero exit.
            int refused = new CommandLine(new LoadTest()).execute("--url", "http://127.0.0.1:" + server.runtime.port(),
                    "--concurrency", "2", "--requests-per-client", "1", "--max-tokens", "0", "--out", table.toString());
            assertThat(refused).isEqualTo(1);
            assertThat(cells(Files.readAllLines(table).get(2)).subList(0, 3)).containsExactly("2", "2", "2");
        }
    }

    @Test
    void sharedPrefixModeReportsPromptTokensAndPlotsThePng() throws Exception {
        try (TestServer server = TestServer.start(StreamingTestModel.repo(tmp), "server.container_concurrency=4")) {
            Path table = tmp.resolve("load.md"), png = tmp.resolve("load.png");
            int exit = new CommandLine(new LoadTest()).execute("--url", "http://127.0.0.1:" + server.runtime.port(),
                    "--mode", "shared-prefix", "--prompt-tokens", "100", "--concurrency", "1,2",
                    "--requests-per-client", "2", "--max-tokens", "3", "--out", table.toString(), "--plot", png.toString());
            assertThat(exit).isZero();
            // The test model counts a token per code point: a 100-token prefix is over 400 characters.
            double promptTokens = Double.parseDouble(cells(Files.readAllLines(table).get(2)).get(5));
            assertThat(promptTokens).isGreaterThan(100 * 4);
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image.getWidth()).isGreaterThan(image.getHeight());
        }
    }

    private static List<String> cells(String row) {
        return List.of(row.replaceAll("^\\| | \\|$", "").split(" \\| "));
    }
}

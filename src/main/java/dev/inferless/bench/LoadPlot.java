package dev.inferless.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * A load test's figures as a PNG: aggregate tokens/s and p50/p99 time to first token against
 * concurrency, side by side. Plain Java2D (headless), so the runtime needs no plotting library.
 */
final class LoadPlot {

    private static final int PANEL_W = 520, H = 400, MARGIN = 60;

    private LoadPlot() {}

    static void write(List<LoadTest.LevelResult> results, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(2 * PANEL_W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, MARGIN, 22);
        panel(g, 0, results, "output tokens/s (all clients)",
                List.of(new Series("tokens/s", new Color(0x1f77b4), LoadTest.LevelResult::tokensPerS)));
        panel(g, PANEL_W, results, "time to first token (s)",
                List.of(new Series("p50", new Color(0x2ca02c), LoadTest.LevelResult::p50TtftS),
                        new Series("p99", new Color(0xd62728), LoadTest.LevelResult::p99TtftS)));
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private record Series(String name, Color color, ToDoubleFunction<LoadTest.LevelResult> value) {}

    private static void panel(Graphics2D g, int x0, List<LoadTest.LevelResult> results, String yLabel, List<Series> series) {
        int left = x0 + MARGIN, right = x0 + PANEL_W - 20, top = 50, bottom = H - MARGIN;
        double maxY = series.stream().flatMapToDouble(s -> results.stream().mapToDouble(s.value())).max().orElse(1);
        maxY = maxY <= 0 ? 1 : maxY * 1.1;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.GRAY);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        for (int t = 0; t <= 4; t++) {
            int y = bottom - (bottom - top) * t / 4;
            double v = maxY * t / 4;
            g.drawString(v >= 100 ? String.format("%.0f", v) : String.format("%.3g", v), x0 + 5, y + 4);
        }
        g.drawString(yLabel, left, top - 8);
        g.drawString("concurrency", (left + right) / 2 - 30, H - 20);
        int n = results.size();
        for (int i = 0; i < n; i++) {
            g.drawString(String.valueOf(results.get(i).concurrency()), xAt(i, n, left, right) - 5, bottom + 16);
        }
        int legendY = top + 4;
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(new BasicStroke(2f));
            int px = -1, py = -1;
            for (int i = 0; i < n; i++) {
                int x = xAt(i, n, left, right);
                int y = bottom - (int) Math.round((bottom - top) * s.value().applyAsDouble(results.get(i)) / maxY);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            g.drawString(s.name(), right - 60, legendY += 14);
        }
    }

    /** Levels evenly spaced (they are usually powers of two or four). */
    private static int xAt(int i, int n, int left, int right) {
        return n == 1 ? (left + right) / 2 : left + 20 + (right - left - 40) * i / (n - 1);
    }
}

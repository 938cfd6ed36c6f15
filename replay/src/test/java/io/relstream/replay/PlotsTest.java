package io.relstream.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

  @TempDir Path dir;

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Test
  void writesOnePngPerFamilyAndSubset() throws IOException {
    List<Path> files = Plots.write(dir, "coat", TestData.threeModels());

    List<String> names = new ArrayList<>();
    for (Path f : files) {
      names.add(f.getFileName().toString());
      assertEquals(dir, f.getParent());
    }
    assertEquals(List.of(
        "plot-all-DCG.png", "plot-all-Recall.png", "plot-all-MAP.png",
        "plot-all-nDCG.png", "plot-all-StdRecall.png",
        "plot-rare-DCG.png", "plot-rare-Recall.png", "plot-rare-MAP.png",
        "plot-rare-nDCG.png", "plot-rare-StdRecall.png"), names);
    // No temporary files left behind.
    try (var listing = Files.list(dir)) {
      assertEquals(10, listing.count());
    }

    for (Path f : files) {
      byte[] head = Arrays.copyOf(Files.readAllBytes(f), 8);
      assertArrayEquals(PNG_MAGIC, head, f + " is not a PNG");
      BufferedImage img = read(f);
      assertEquals(Plots.WIDTH, img.getWidth());
      assertEquals(Plots.HEIGHT, img.getHeight());
      assertEquals(800, Plots.WIDTH);
      assertEquals(500, Plots.HEIGHT);

      // White background, and a real drawing: many distinct colours (anti-aliasing, text, lines).
      assertEquals(Color.WHITE.getRGB(), img.getRGB(2, 2), "corner is not white in " + f);
      assertTrue(distinctColours(img) > 50, "too few colours in " + f);
      // Every model's colour is present, exactly (marker fills), in a good number of pixels.
      for (int i = 0; i < 3; i++) {
        int n = count(img, Plots.PALETTE[i]);
        assertTrue(n > 150, "model " + i + " colour has " + n + " pixels in " + f);
      }
      // Nothing drawn in the colour of a fourth model.
      assertEquals(0, count(img, Plots.PALETTE[3]), "unexpected series in " + f);
      // Dark pixels: axes, ticks and text.
      assertTrue(countDark(img) > 500, "no text or axes in " + f);
    }
  }

  @Test
  void higherMeanIsDrawnHigher() throws IOException {
    // Model 0 is low (0.1 + 0.01K), model 1 is high (0.5 + 0.01K). In the legend model 0 is drawn
    // above model 1, so if the plot were upside down the legend could not mask it.
    List<ModelMetrics> models = List.of(
        TestData.model("low", 0.1, Map.of(), 1), TestData.model("high", 0.5, Map.of(), 1));
    Path f = Plots.write(dir, "coat", models).get(0);
    BufferedImage img = read(f);
    double yLow = meanY(img, Plots.PALETTE[0], img.getWidth() * 0.6);
    double yHigh = meanY(img, Plots.PALETTE[1], img.getWidth() * 0.6);
    assertTrue(yHigh + 100 < yLow, "high series at y=" + yHigh + ", low series at y=" + yLow);
  }

  @Test
  void overwritesAndRendersPartialData() throws IOException {
    Path target = dir.resolve("plot-all-DCG.png");
    Files.writeString(target, "stale");
    // One model with a single K and a NaN std, one with only rare metrics, one with a NaN mean.
    ModelMetrics a = new ModelMetrics("a", Map.of(), 1,
        Map.of("DCG@3", new Stat(0.4, Double.NaN)), Map.of());
    ModelMetrics b = new ModelMetrics("b", null, 1, null, Map.of("MAP@1", new Stat(0.2, 0.01)));
    ModelMetrics c = new ModelMetrics("c", Map.of(), 1,
        Map.of("DCG@3", new Stat(Double.NaN, 0.1), "note", new Stat(1, 0)), Map.of());

    List<Path> files = Plots.write(dir, "coat", List.of(a, b, c));

    assertEquals(List.of(target, dir.resolve("plot-rare-MAP.png")), files);
    BufferedImage img = read(target);
    assertEquals(800, img.getWidth());
    assertTrue(count(img, Plots.PALETTE[0]) > 20, "model a's single point is missing");
    // Only the legend entry of c (no finite point): far fewer pixels than a's marker + legend.
    assertTrue(count(img, Plots.PALETTE[2]) < count(img, Plots.PALETTE[0]));
  }

  @Test
  void writesNothingWithoutMetrics() {
    ModelMetrics empty = new ModelMetrics("m", Map.of(), 0, Map.of(), Map.of());
    assertEquals(List.of(), Plots.write(dir, "coat", List.of(empty)));
    assertEquals(List.of(), Plots.write(dir.resolve("sub"), "coat", List.of()));
  }

  @Test
  void niceAxisRanges() {
    // 0.13..0.87 over 6 intervals: raw step 0.123 -> 0.2, axis 0.0..1.0
    assertArrayEquals(new double[] {0.0, 1.0, 0.2}, Plots.niceRange(0.13, 0.87, 6), 1e-12);
    // 0.512..0.538: raw step 0.0043 -> 0.005, axis 0.510..0.540
    assertArrayEquals(new double[] {0.51, 0.54, 0.005}, Plots.niceRange(0.512, 0.538, 6), 1e-12);
    assertEquals(3, Plots.decimals(0.005));
    assertEquals(2, Plots.decimals(0.25));
    assertEquals(0, Plots.decimals(5));
    assertEquals(1, Plots.decimals(0.2));
  }

  @Test
  void titlesAndFileNames() {
    assertEquals("coat \u2014 DCG@K (all test users, paper protocol)",
        MetricKeys.title("coat", "all", "DCG"));
    assertEquals("coat \u2014 nDCG@K (rare items, standard protocol)",
        MetricKeys.title("coat", "rare", "nDCG"));
    assertEquals("plot-rare-StdRecall.png", MetricKeys.plotFileName("rare", "StdRecall"));
    assertEquals("plot-all-a_b.png", MetricKeys.plotFileName("all", "a/b"));
  }

  private static BufferedImage read(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      BufferedImage img = ImageIO.read(in);
      assertNotNull(img, f + " is not readable by ImageIO");
      return img;
    }
  }

  private static int distinctColours(BufferedImage img) {
    Set<Integer> seen = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        seen.add(img.getRGB(x, y));
      }
    }
    return seen.size();
  }

  private static int count(BufferedImage img, Color c) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if (img.getRGB(x, y) == c.getRGB()) {
          n++;
        }
      }
    }
    return n;
  }

  private static int countDark(BufferedImage img) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        Color c = new Color(img.getRGB(x, y));
        if (c.getRed() + c.getGreen() + c.getBlue() < 3 * 110) {
          n++;
        }
      }
    }
    return n;
  }

  /** Mean y of the pixels of exactly colour {@code c} left of {@code maxX}. */
  private static double meanY(BufferedImage img, Color c, double maxX) {
    long sum = 0;
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < maxX; x++) {
        if (img.getRGB(x, y) == c.getRGB()) {
          sum += y;
          n++;
        }
      }
    }
    assertTrue(n > 50, "colour " + c + " barely present: " + n);
    return (double) sum / n;
  }
}

package io.relstream.replay;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * PNG line charts of replay metrics, drawn with java.awt in headless mode (no X server, no
 * third-party library).
 *
 * <p>One chart per metric family and subset: x = K, y = mean over seeds, one coloured line with
 * markers per model, error bars of &plusmn;std, a legend with the model names. Files are named
 * {@code plot-<subset>-<family>.png} ({@link MetricKeys#plotFileName}), {@value #WIDTH}x{@value
 * #HEIGHT} pixels, RGB on white.
 *
 * <p>Text needs a font. Debian's OpenJDK finds fonts through fontconfig (fonts-dejavu-core); if text
 * rendering fails anyway (a JRE without any font), the charts are still drawn, without text, and one
 * warning goes to stderr.
 */
final class Plots {

  /** Image width in pixels. */
  static final int WIDTH = 800;
  /** Image height in pixels. */
  static final int HEIGHT = 500;

  /** Line colours, model i gets {@code PALETTE[i % PALETTE.length]} (matplotlib's tab10). */
  static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
    new Color(0xbcbd22), new Color(0x17becf),
  };

  private static final Color GRID = new Color(0xe6e6e6);
  private static final Color AXIS = new Color(0x444444);
  private static final Color TEXT = new Color(0x222222);
  private static final int MARKER = 9;

  private Plots() {}

  /**
   * Writes one chart per plottable metric family (keys {@code FAMILY@K}) and subset ("all",
   * "rare") that any model has, overwriting existing files.
   *
   * @param outDir directory, created if missing
   * @param dataset dataset name used in the titles
   * @param models models in legend order; a missing or non-finite mean leaves out that point
   * @return the files written, subset "all" first, families in {@link MetricKeys#KEY_ORDER}
   * @throws UncheckedIOException if a file cannot be written
   */
  static List<Path> write(Path outDir, String dataset, List<ModelMetrics> models) {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(outDir);
      for (String subset : MetricKeys.SUBSETS) {
        for (Map.Entry<String, List<Integer>> e :
            MetricKeys.plottableFamilies(models, subset).entrySet()) {
          String family = e.getKey();
          BufferedImage img = new Chart(dataset, subset, family, e.getValue(), models).draw();
          Path file = outDir.resolve(MetricKeys.plotFileName(subset, family));
          writePng(img, file);
          written.add(file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return written;
  }

  /** Writes through a temporary file in the same directory and a replacing move. */
  private static void writePng(BufferedImage img, Path file) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".plot-", ".png.tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        if (!ImageIO.write(img, "png", out)) {
          throw new IOException("no PNG writer in this JRE");
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Marker shape of model {@code i}, centred on the origin, about {@code size} pixels across. */
  static Shape marker(int i, double size) {
    double r = size / 2;
    switch ((i / PALETTE.length + i) % 5) {
      case 0:
        return new Ellipse2D.Double(-r, -r, size, size);
      case 1:
        return new Rectangle2D.Double(-r * 0.9, -r * 0.9, size * 0.9, size * 0.9);
      case 2:
        return polygon(new double[] {0, -r * 1.15, r * 1.1, r * 0.8, -r * 1.1, r * 0.8});
      case 3:
        return polygon(new double[] {0, -r * 1.2, r * 1.2, 0, 0, r * 1.2, -r * 1.2, 0});
      default:
        return polygon(new double[] {0, r * 1.15, r * 1.1, -r * 0.8, -r * 1.1, -r * 0.8});
    }
  }

  private static Shape polygon(double[] xy) {
    Path2D.Double p = new Path2D.Double();
    p.moveTo(xy[0], xy[1]);
    for (int j = 2; j < xy.length; j += 2) {
      p.lineTo(xy[j], xy[j + 1]);
    }
    p.closePath();
    return p;
  }

  /**
   * Tick values for an axis covering [lo, hi] with about {@code target} intervals of a "nice" step
   * (1, 2, 2.5 or 5 times a power of ten). Returns {axisLo, axisHi, step}.
   */
  static double[] niceRange(double lo, double hi, int target) {
    double step = niceStep((hi - lo) / target);
    double axisLo = Math.floor(lo / step + 1e-9) * step;
    double axisHi = Math.ceil(hi / step - 1e-9) * step;
    if (axisHi <= axisLo) {
      axisHi = axisLo + step;
    }
    return new double[] {axisLo, axisHi, step};
  }

  private static double niceStep(double raw) {
    double exp = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / exp;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nice * exp;
  }

  /** Decimals needed to print multiples of {@code step} exactly (0.025 -> 3, 0.1 -> 1, 5 -> 0). */
  static int decimals(double step) {
    for (int d = 0; d < 10; d++) {
      double scaled = step * Math.pow(10, d);
      if (Math.abs(scaled - Math.rint(scaled)) < 1e-6 * Math.max(1, scaled)) {
        return d;
      }
    }
    return 10;
  }

  /** One chart: layout computed from the data, then drawn on a fresh image. */
  private static final class Chart {
    private final String dataset;
    private final String subset;
    private final String family;
    private final List<Integer> ks;
    private final List<ModelMetrics> models;
    private Graphics2D g;
    private boolean textBroken;

    Chart(String dataset, String subset, String family, List<Integer> ks,
        List<ModelMetrics> models) {
      this.dataset = dataset;
      this.subset = subset;
      this.family = family;
      this.ks = ks;
      this.models = models;
    }

    BufferedImage draw() {
      BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
      g = img.createGraphics();
      try {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
            RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        paint();
      } finally {
        g.dispose();
      }
      return img;
    }

    private void paint() {
      Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
      Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
      Font legendFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

      // Legend width from the longest model name, capped (longer names are shortened with "...").
      int maxName = 0;
      for (ModelMetrics m : models) {
        maxName = Math.max(maxName, textWidth(legendFont, m.model()));
      }
      int legendW = Math.min(220, Math.max(90, maxName + 48));
      int left = 78;
      int right = WIDTH - legendW - 28;
      int top = 52;
      int bottom = HEIGHT - 58;

      // y range over mean +- std of all finite points.
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (ModelMetrics m : models) {
        for (int k : ks) {
          Stat s = stat(m, k);
          if (s != null) {
            double sd = errorOf(s);
            lo = Math.min(lo, s.mean() - sd);
            hi = Math.max(hi, s.mean() + sd);
          }
        }
      }
      if (lo > hi) {
        lo = 0;
        hi = 1;
      } else if (hi - lo < 1e-12) {
        double pad = Math.abs(lo) > 1e-12 ? Math.abs(lo) * 0.1 : 0.05;
        lo -= pad;
        hi += pad;
      } else {
        double pad = (hi - lo) * 0.06;
        lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
        hi += pad;
      }
      double[] yr = niceRange(lo, hi, 6);
      double yLo = yr[0];
      double yHi = yr[1];
      double yStep = yr[2];
      int yDec = decimals(yStep);

      // x range: K values on a linear axis with a margin of a fraction of the span.
      double kMin = ks.get(0);
      double kMax = ks.get(ks.size() - 1);
      double xPad = kMax > kMin ? (kMax - kMin) * 0.08 : 1;
      double xLo = kMin - xPad;
      double xHi = kMax + xPad;

      // Grid and ticks.
      g.setFont(tickFont);
      for (int t = 0; ; t++) {
        double v = yLo + t * yStep;
        if (v > yHi + yStep * 1e-6) {
          break;
        }
        double py = map(v, yLo, yHi, bottom, top);
        g.setColor(GRID);
        g.setStroke(new BasicStroke(1f));
        g.draw(new Line2D.Double(left, py, right, py));
        g.setColor(AXIS);
        g.draw(new Line2D.Double(left - 5, py, left, py));
        String label = String.format(Locale.ROOT, "%." + yDec + "f", v + 0.0);
        g.setColor(TEXT);
        text(label, left - 8 - textWidth(tickFont, label), py + ascent(tickFont) / 2.0 - 1);
      }
      for (int k : ks) {
        double px = map(k, xLo, xHi, left, right);
        g.setColor(GRID);
        g.draw(new Line2D.Double(px, top, px, bottom));
        g.setColor(AXIS);
        g.draw(new Line2D.Double(px, bottom, px, bottom + 5));
        String label = Integer.toString(k);
        g.setColor(TEXT);
        text(label, px - textWidth(tickFont, label) / 2.0, bottom + 8 + ascent(tickFont));
      }
      g.setColor(AXIS);
      g.setStroke(new BasicStroke(1.2f));
      g.draw(new Rectangle2D.Double(left, top, right - left, bottom - top));

      // Axis labels and title.
      g.setColor(TEXT);
      g.setFont(labelFont);
      String xLabel = "K (cut-off)";
      text(xLabel, (left + right) / 2.0 - textWidth(labelFont, xLabel) / 2.0, HEIGHT - 16);
      String yLabel = family + "@K  (mean \u00b1 std over seeds)";
      AffineTransform saved = g.getTransform();
      g.rotate(-Math.PI / 2);
      text(yLabel, -((top + bottom) / 2.0 + textWidth(labelFont, yLabel) / 2.0), 20);
      g.setTransform(saved);
      String title = MetricKeys.title(dataset, subset, family);
      Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 16);
      while (titleFont.getSize() > 9 && textWidth(titleFont, title) > WIDTH - 20) {
        titleFont = titleFont.deriveFont((float) titleFont.getSize() - 1);
      }
      g.setFont(titleFont);
      text(title, WIDTH / 2.0 - textWidth(titleFont, title) / 2.0, 30);

      // Series: error bars, then the line, then markers, clipped to the plot area. Series are
      // dodged a few pixels horizontally so that equal error bars stay distinguishable.
      Shape oldClip = g.getClip();
      g.clip(new Rectangle2D.Double(left + 1, top + 1, right - left - 2, bottom - top - 2));
      int n = models.size();
      double dodge = n > 1 ? Math.min(5, 30.0 / n) : 0;
      for (int i = 0; i < n; i++) {
        ModelMetrics m = models.get(i);
        Color c = PALETTE[i % PALETTE.length];
        double off = (i - (n - 1) / 2.0) * dodge;
        List<double[]> pts = new ArrayList<>();
        for (int k : ks) {
          Stat s = stat(m, k);
          if (s == null) {
            continue;
          }
          double px = map(k, xLo, xHi, left, right) + off;
          double py = map(s.mean(), yLo, yHi, bottom, top);
          double sd = errorOf(s);
          if (sd > 0) {
            double pyHi = map(s.mean() + sd, yLo, yHi, bottom, top);
            double pyLo = map(s.mean() - sd, yLo, yHi, bottom, top);
            g.setColor(c);
            g.setStroke(new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
            g.draw(new Line2D.Double(px, pyLo, px, pyHi));
            g.draw(new Line2D.Double(px - 5, pyLo, px + 5, pyLo));
            g.draw(new Line2D.Double(px - 5, pyHi, px + 5, pyHi));
          }
          pts.add(new double[] {px, py});
        }
        g.setColor(c);
        g.setStroke(new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        if (pts.size() > 1) {
          Path2D.Double line = new Path2D.Double();
          line.moveTo(pts.get(0)[0], pts.get(0)[1]);
          for (int j = 1; j < pts.size(); j++) {
            line.lineTo(pts.get(j)[0], pts.get(j)[1]);
          }
          g.draw(line);
        }
        for (double[] p : pts) {
          drawMarker(i, c, p[0], p[1]);
        }
      }
      g.setClip(oldClip);

      // Legend, right of the plot area.
      int lineH = 22;
      int lx = right + 14;
      int lw = legendW;
      int lh = 12 + lineH * n;
      g.setColor(Color.WHITE);
      g.fillRect(lx, top, lw, lh);
      g.setColor(new Color(0xbbbbbb));
      g.setStroke(new BasicStroke(1f));
      g.drawRect(lx, top, lw, lh);
      g.setFont(legendFont);
      for (int i = 0; i < n; i++) {
        Color c = PALETTE[i % PALETTE.length];
        double cy = top + 6 + lineH * i + lineH / 2.0;
        g.setColor(c);
        g.setStroke(new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(new Line2D.Double(lx + 8, cy, lx + 32, cy));
        drawMarker(i, c, lx + 20, cy);
        g.setColor(TEXT);
        String name = fit(legendFont, models.get(i).model(), lw - 48);
        text(name, lx + 40, cy + ascent(legendFont) / 2.0 - 1);
      }
    }

    private void drawMarker(int i, Color c, double x, double y) {
      Shape s = AffineTransform.getTranslateInstance(x, y).createTransformedShape(marker(i, MARKER));
      g.setColor(c);
      g.fill(s);
      g.setColor(Color.WHITE);
      g.setStroke(new BasicStroke(1f));
      g.draw(s);
    }

    /** The finite-mean stat of {@code m} at {@code family@k}, or {@code null}. */
    private Stat stat(ModelMetrics m, int k) {
      Stat s = MetricKeys.metrics(m, subset).get(family + "@" + k);
      return s == null || !Double.isFinite(s.mean()) ? null : s;
    }

    private static double errorOf(Stat s) {
      return Double.isFinite(s.std()) ? Math.abs(s.std()) : 0;
    }

    private static double map(double v, double lo, double hi, double pLo, double pHi) {
      return pLo + (v - lo) / (hi - lo) * (pHi - pLo);
    }

    /** Shortens {@code s} with an ellipsis until it fits in {@code max} pixels. */
    private String fit(Font f, String s, int max) {
      if (textWidth(f, s) <= max) {
        return s;
      }
      String t = s;
      while (t.length() > 1 && textWidth(f, t + "\u2026") > max) {
        t = t.substring(0, t.length() - 1);
      }
      return t + "\u2026";
    }

    private int textWidth(Font f, String s) {
      if (textBroken || s == null) {
        return 0;
      }
      try {
        return g.getFontMetrics(f).stringWidth(s);
      } catch (RuntimeException | Error e) {
        return textFailed(e);
      }
    }

    private int ascent(Font f) {
      if (textBroken) {
        return 0;
      }
      try {
        FontMetrics fm = g.getFontMetrics(f);
        return fm.getAscent() - fm.getDescent();
      } catch (RuntimeException | Error e) {
        return textFailed(e);
      }
    }

    private void text(String s, double x, double y) {
      if (textBroken || s == null) {
        return;
      }
      try {
        g.drawString(s, (float) x, (float) y);
      } catch (RuntimeException | Error e) {
        textFailed(e);
      }
    }

    /** Turns text off for this chart after a font failure; rethrows what is not a font problem. */
    private int textFailed(Throwable e) {
      if (e instanceof VirtualMachineError) {
        throw (VirtualMachineError) e;
      }
      textBroken = true;
      System.err.println("relstream plots: text rendering failed, drawing charts without text ("
          + e + "); install fontconfig and a font package such as fonts-dejavu-core");
      return 0;
    }
  }
}

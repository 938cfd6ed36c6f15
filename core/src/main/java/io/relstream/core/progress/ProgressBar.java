package io.relstream.core.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress line on stderr for long work. On a terminal it redraws one line at most five times a
 * second; otherwise (CI logs) it prints a line at every tenth of the way. Thread-safe.
 */
public final class ProgressBar {
  private static final int WIDTH = 28;
  private final PrintStream out;
  private final String label;
  private final long total;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private long done;
  private long lastDraw;
  private int lastDecile = -1;
  private String detail = "";

  public ProgressBar(String label, long total) {
    this(System.err, label, total);
  }

  /** A bar on {@code out}, redrawn in place when the process has a terminal. */
  public ProgressBar(PrintStream out, String label, long total) {
    this(out, label, total, System.console() != null);
  }

  public ProgressBar(PrintStream out, String label, long total, boolean terminal) {
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
    this.terminal = terminal;
  }

  public synchronized void advance(long n, String detail) {
    done = Math.min(total, done + n);
    this.detail = detail;
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastDraw > 200_000_000L || done == total) {
        lastDraw = now;
        out.print("\r" + render(now) + "\u001b[K");
        out.flush();
      }
    } else {
      int decile = (int) (done * 10 / total);
      if (decile != lastDecile) {
        lastDecile = decile;
        out.println(render(now));
      }
    }
  }

  public synchronized void finish(String summary) {
    long now = System.nanoTime();
    if (terminal) {
      out.print("\r" + render(now) + "\u001b[K\n");
    }
    if (summary != null) {
      out.println(summary);
    }
    out.flush();
  }

  private String render(long now) {
    double frac = (double) done / total;
    int filled = (int) Math.round(frac * WIDTH);
    double elapsed = (now - startNanos) / 1e9;
    String eta = done == 0 ? "?" : String.format(Locale.ROOT, "%.0fs", elapsed * (total - done) / done);
    return String.format(Locale.ROOT, "%s [%s%s] %3.0f%% %d/%d %s %.1fs eta %s", label,
        "#".repeat(filled), "-".repeat(WIDTH - filled), frac * 100, done, total, detail, elapsed, eta);
  }
}

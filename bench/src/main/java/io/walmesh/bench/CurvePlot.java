package io.walmesh.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The latency-throughput curve of {@code bench/run --curve} as a self-contained SVG: throughput on x, p99 latency
 * on a logarithmic y, one line per series through its concurrency points (each labelled), p50 as a dashed line.
 */
final class CurvePlot {
  record Point(int concurrency, double throughput, double p50Ms, double p99Ms) {
  }

  record Series(String name, String color, List<Point> points) {
  }

  private static final int WIDTH = 900;
  private static final int HEIGHT = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 260;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  private CurvePlot() {
  }

  static void write(Path file, String title, List<Series> series) throws Exception {
    double maxX = series.stream().flatMap(s -> s.points().stream()).mapToDouble(Point::throughput).max().orElse(1) * 1.08;
    double minY = Math.max(0.01, series.stream().flatMap(s -> s.points().stream())
        .mapToDouble(p -> Math.min(p.p50Ms(), p.p99Ms())).filter(v -> v > 0).min().orElse(0.1));
    double maxY = series.stream().flatMap(s -> s.points().stream()).mapToDouble(Point::p99Ms).max().orElse(10);
    double logMin = Math.floor(Math.log10(minY));
    double logMax = Math.ceil(Math.log10(maxY));
    if (logMax <= logMin) {
      logMax = logMin + 1;
    }
    Axes axes = new Axes(maxX, logMin, logMax);
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(text(10, 25, "start", 14, escape(title)));
    int plotRight = WIDTH - RIGHT;
    int plotBottom = HEIGHT - BOTTOM;
    // y grid: one line per decade, labelled
    for (double e = logMin; e <= logMax; e++) {
      double y = axes.y(Math.pow(10, e));
      svg.append(line(LEFT, y, plotRight, y, "#ddd", false));
      svg.append(text(LEFT - 6, y + 4, "end", 12, format(Math.pow(10, e)) + " ms"));
    }
    // x grid: five steps
    double step = niceStep(maxX / 5);
    for (double v = 0; v <= maxX; v += step) {
      double x = axes.x(v);
      svg.append(line(x, TOP, x, plotBottom, "#eee", false));
      svg.append(text(x, plotBottom + 18, "middle", 12, String.format(Locale.ROOT, "%,.0f", v)));
    }
    svg.append(line(LEFT, plotBottom, plotRight, plotBottom, "#000", false));
    svg.append(line(LEFT, TOP, LEFT, plotBottom, "#000", false));
    svg.append(text((LEFT + plotRight) / 2.0, HEIGHT - 18, "middle", 13, "throughput (writes/s)"));
    svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\""
        + " transform=\"rotate(-90 18 %.1f)\">latency (ms, log scale)</text>%n", (TOP + plotBottom) / 2.0, (TOP + plotBottom) / 2.0));
    int legendY = TOP + 10;
    for (Series s : series) {
      svg.append(polyline(s, axes, true)).append(polyline(s, axes, false));
      for (Point p : s.points()) {
        double x = axes.x(p.throughput());
        double y = axes.y(p.p99Ms());
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", x, y, s.color()));
        svg.append(text(x + 5, y - 5, "start", 10, "c=" + p.concurrency()));
      }
      svg.append(line(plotRight + 15, legendY, plotRight + 45, legendY, s.color(), false));
      svg.append(text(plotRight + 50, legendY + 4, "start", 12, escape(s.name()) + " p99"));
      svg.append(line(plotRight + 15, legendY + 18, plotRight + 45, legendY + 18, s.color(), true));
      svg.append(text(plotRight + 50, legendY + 22, "start", 12, "p50"));
      legendY += 44;
    }
    svg.append("</svg>\n");
    Files.writeString(file, svg);
  }

  private record Axes(double maxX, double logMin, double logMax) {
    double x(double throughput) {
      return LEFT + throughput / maxX * (WIDTH - RIGHT - LEFT);
    }

    double y(double ms) {
      double clamped = Math.max(Math.pow(10, logMin), ms);
      return HEIGHT - BOTTOM - (Math.log10(clamped) - logMin) / (logMax - logMin) * (HEIGHT - BOTTOM - TOP);
    }
  }

  private static String polyline(Series s, Axes axes, boolean p99) {
    StringBuilder points = new StringBuilder();
    for (Point p : s.points()) {
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", axes.x(p.throughput()), axes.y(p99 ? p.p99Ms() : p.p50Ms())));
    }
    return String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"%s\"/>%n",
        s.color(), p99 ? "2" : "1.2", p99 ? "" : " stroke-dasharray=\"5,4\"", points.toString().trim());
  }

  private static String line(double x1, double y1, double x2, double y2, String color, boolean dashed) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
        x1, y1, x2, y2, color, dashed ? " stroke-dasharray=\"5,4\"" : "");
  }

  private static String text(double x, double y, String anchor, int size, String content) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
        x, y, anchor, size, content);
  }

  private static double niceStep(double raw) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * magnitude >= raw) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String format(double v) {
    return v >= 1 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%s", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

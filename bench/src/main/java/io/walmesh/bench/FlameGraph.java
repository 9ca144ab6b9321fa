package io.walmesh.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A flame graph, as a self-contained SVG, of the CPU samples ({@code jdk.ExecutionSample}) a JDK Flight Recorder
 * recording took in a time window: the root at the bottom, each frame as wide as the share of samples it was on the
 * stack for, colored by where the code comes from (walmesh, Vert.x, Netty, gRPC/protobuf, RocksDB, the JDK). Hovering
 * a frame shows its full name, samples and share. JFR is in every JDK 17, so this needs no agent (async-profiler is
 * not installable on the machines this project is built on); JFR samples only threads running Java code, so time in
 * native code (fsync, epoll) shows under the Java frame that called it.
 *
 * <p>Standalone: {@code java -cp walmesh-bench.jar io.walmesh.bench.FlameGraph RECORDING.jfr OUT.svg [TITLE]}.
 */
public final class FlameGraph {
  private static final int WIDTH = 1200;
  private static final int FRAME_HEIGHT = 16;
  private static final int MARGIN_TOP = 40;

  private static final class Node {
    final String name;
    final Map<String, Node> children = new LinkedHashMap<>();
    long samples;

    Node(String name) {
      this.name = name;
    }

    Node child(String childName) {
      return children.computeIfAbsent(childName, Node::new);
    }

    int depth() {
      return 1 + children.values().stream().mapToInt(Node::depth).max().orElse(0);
    }
  }

  private FlameGraph() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: FlameGraph RECORDING.jfr OUT.svg [TITLE]");
      System.exit(2);
    }
    long samples = write(Path.of(args[0]), Instant.MIN, Instant.MAX, Path.of(args[1]),
        args.length > 2 ? args[2] : "CPU samples in " + args[0]);
    System.out.println(samples + " samples written to " + args[1]);
  }

  /** Renders the samples taken between {@code from} and {@code to}; answers how many there were. */
  static long write(Path recording, Instant from, Instant to, Path svg, String title) throws Exception {
    Node root = new Node("all");
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStartTime().isBefore(from)
          || event.getStartTime().isAfter(to)) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null) {
        continue;
      }
      List<RecordedFrame> frames = stack.getFrames();
      Node node = root;
      root.samples++;
      String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
      node = node.child("thread " + (thread == null ? "?" : thread.replaceAll("\\d+$", "N")));
      node.samples++;
      if (stack.isTruncated()) { // deeper than the recording's stackdepth: the root side is missing
        node = node.child("[stack truncated: record with -XX:FlightRecorderOptions=stackdepth=256]");
        node.samples++;
      }
      for (int i = frames.size() - 1; i >= 0; i--) { // JFR lists the leaf first
        RecordedFrame frame = frames.get(i);
        String type = frame.getMethod().getType().getName();
        node = node.child(type + "." + frame.getMethod().getName());
        node.samples++;
      }
    }
    int height = MARGIN_TOP + (root.depth() + 1) * FRAME_HEIGHT + 10;
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"11\">%n", WIDTH, height, WIDTH, height));
    out.append("<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n");
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\""
        + " font-family=\"sans-serif\">%s (%,d samples)</text>%n", WIDTH / 2, escape(title), root.samples));
    out.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"34\" font-size=\"11\" font-family=\"sans-serif\">"
        + "walmesh: orange &#183; Vert.x: blue &#183; Netty: green &#183; gRPC/protobuf: purple &#183; RocksDB: brown"
        + " &#183; JDK: grey &#183; other: yellow &#183; hover a frame for its name and share</text>%n"));
    if (root.samples > 0) {
      render(out, root, 0, WIDTH, height - 10 - FRAME_HEIGHT, root.samples);
    }
    out.append("</svg>\n");
    Files.writeString(svg, out);
    return root.samples;
  }

  private static void render(StringBuilder out, Node node, double x, double width, int y, long total) {
    if (width < 0.3) {
      return;
    }
    String label = node.name;
    out.append(String.format(Locale.ROOT, "<g><title>%s (%,d samples, %.1f%%)</title><rect x=\"%.2f\" y=\"%d\""
            + " width=\"%.2f\" height=\"%d\" fill=\"%s\" stroke=\"#fafafa\" stroke-width=\"0.5\"/>", escape(node.name),
        node.samples, 100.0 * node.samples / total, x, y, width, FRAME_HEIGHT - 1, color(node.name)));
    int fits = (int) ((width - 4) / 6.6);
    if (fits >= 3) {
      String text = label.length() <= fits ? label : label.substring(0, fits - 2) + "..";
      out.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%d\">%s</text>", x + 2, y + FRAME_HEIGHT - 4, escape(text)));
    }
    out.append("</g>\n");
    double childX = x;
    List<Node> children = new ArrayList<>(node.children.values());
    children.sort(Comparator.comparing(n -> n.name));
    for (Node child : children) {
      double childWidth = width * child.samples / node.samples;
      render(out, child, childX, childWidth, y - FRAME_HEIGHT, total);
      childX += childWidth;
    }
  }

  private static String color(String frame) {
    if (frame.startsWith("io.walmesh")) {
      return "#f5a142";
    } else if (frame.startsWith("io.vertx")) {
      return "#6fa8dc";
    } else if (frame.startsWith("io.netty") || frame.startsWith("io.grpc.netty")) {
      return "#93c47d";
    } else if (frame.startsWith("io.grpc") || frame.startsWith("com.google.protobuf")) {
      return "#b4a7d6";
    } else if (frame.startsWith("org.rocksdb")) {
      return "#b07f5b";
    } else if (frame.startsWith("java.") || frame.startsWith("jdk.") || frame.startsWith("sun.")
        || frame.startsWith("thread ") || frame.equals("all")) {
      return "#cccccc";
    }
    return "#ffe599";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.testkit.HttpSink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a node with 2,000 namespaces: small (per-namespace series capped, the rest
 * under {@code namespace="(other)"}), scraped off the event loop, so health answers meanwhile.
 */
class MetricsScaleTest {
  private static final int NAMESPACES = 2_000;
  /** The documented bound of a scrape at the default series cap (docs/admin-api.md). */
  private static final int MAX_SCRAPE_BYTES = 1 << 20;

  @TempDir
  static Path dataDir;
  static Node node;
  static Vertx clientVertx;
  static HttpSink sink;
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    clientVertx = Vertx.vertx();
    sink = new HttpSink(clientVertx).start();
    node = TestNodes.start(dataDir);
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    sink.close();
    await(clientVertx.close());
  }

  static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path)).timeout(Duration.ofSeconds(60));
  }

  static Set<String> namespaceLabels(String scrape) {
    Set<String> labels = new TreeSet<>();
    Matcher m = Pattern.compile("namespace=\"([^\"]*)\"").matcher(scrape);
    while (m.find()) {
      labels.add(m.group(1));
    }
    return labels;
  }

  @Test
  void aScrapeOfTwoThousandNamespacesIsSmallAndHealthAnswersWhileItRuns() throws Exception {
    // create them through the admin API, 32 at a time
    Semaphore inFlight = new Semaphore(32);
    List<CompletableFuture<HttpResponse<String>>> creates = new ArrayList<>();
    long startCreate = System.nanoTime();
    for (int i = 0; i < NAMESPACES; i++) {
      inFlight.acquire();
      String doc = TestNodes.namespace("m" + i, sink.url("/m")).encode();
      creates.add(HTTP.sendAsync(request("/v1/namespaces").header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(doc)).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> inFlight.release()));
    }
    for (CompletableFuture<HttpResponse<String>> create : creates) {
      HttpResponse<String> created = create.get();
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }
    System.out.printf("created %d namespaces in %d ms%n", NAMESPACES, (System.nanoTime() - startCreate) / 1_000_000);

    long startScrape = System.nanoTime();
    String scrape = HTTP.send(request("/metrics").build(), HttpResponse.BodyHandlers.ofString()).body();
    System.out.printf("scrape of %d namespaces: %d bytes in %d ms%n", NAMESPACES, scrape.length(),
        (System.nanoTime() - startScrape) / 1_000_000);
    assertThat(scrape.length()).isLessThan(MAX_SCRAPE_BYTES);
    Set<String> labels = namespaceLabels(scrape);
    labels.removeIf(l -> l.startsWith("("));
    assertThat(labels).hasSize(Metrics.DEFAULT_MAX_NAMESPACE_SERIES);
    assertThat(scrape).contains("walmesh_entries_pending{namespace=\"(other)\"} 0.0");
    // no percentile histogram per namespace: a handful of buckets
    String someNamespace = labels.iterator().next();
    assertThat(Pattern.compile("walmesh_write_latency_seconds_bucket\\{namespace=\"" + someNamespace + "\"").matcher(scrape)
        .results().count()).isLessThan(10);

    // a namespace beyond the cap is counted under (other)
    String beyond = null;
    for (int i = 0; i < NAMESPACES && beyond == null; i++) {
      beyond = labels.contains("m" + i) ? null : "m" + i;
    }
    GrpcWriteClient grpc = new GrpcWriteClient(clientVertx, "127.0.0.1", node.grpcPort());
    try {
      assertThat(TestNodes.write(grpc, TestNodes.request(beyond, "x").build()).ok()).isTrue();
    } finally {
      grpc.close();
    }
    String after = HTTP.send(request("/metrics").build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(after).contains("walmesh_writes_total{namespace=\"(other)\",result=\"success\"} 1.0")
        .contains("walmesh_write_latency_seconds_count{namespace=\"(other)\"} 1").doesNotContain("\"" + beyond + "\"");

    // scrapes run on a worker, one at a time: health answers promptly meanwhile
    List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      scrapes.add(HTTP.sendAsync(request("/metrics").build(), HttpResponse.BodyHandlers.ofString()));
    }
    do {
      long t0 = System.nanoTime();
      HttpResponse<String> health = HTTP.send(request("/v1/health").build(), HttpResponse.BodyHandlers.ofString());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(ms).as("health during a scrape took %d ms", ms).isLessThan(1_000);
    } while (scrapes.stream().anyMatch(s -> !s.isDone()));
    for (CompletableFuture<HttpResponse<String>> s : scrapes) {
      assertThat(s.get().statusCode()).isEqualTo(200);
      assertThat(s.get().body().length()).isLessThan(MAX_SCRAPE_BYTES);
    }
  }
}

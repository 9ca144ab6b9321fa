package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Vertx;
import io.walmesh.node.tracing.Tracing;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace of one write, with an in-memory span exporter: the caller's span, then walmesh.write, walmesh.append
 * and one walmesh.deliver per attempt, in that order and parented that way; the HTTP target gets the attempt's
 * W3C traceparent.
 */
class TracingTest {
  private static final String CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String CALLER_SPAN = "b7ad6b7169203331";

  @Test
  void oneWritesSpansComeInOrderAndTheTargetContinuesTheTrace(@TempDir Path dir) throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = exportingTo(spans);
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start().respond(r -> r.attempt() == 1 ? 503 : 200);
    Node node = await(new Node(new NodeOptions().nodeId("traced").dataDir(dir).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).openTelemetry(sdk)).start());
    ManagedChannel channel = channelWithCallerTrace(node.grpcPort());
    try {
      TestNodes.create(new AdminHttp(node.adminPort()), TestNodes.namespace("traced", sink.url("/apply")));
      WriteToLogResponse response = ClientCalls.blockingUnaryCall(channel, GrpcPeers.WRITE,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          TestNodes.request("traced", "traced write").setKey("k").build());
      assertThat(response.getDurable()).isEqualTo(Trilean.SUCCESS);

      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> spans.getFinishedSpanItems().stream()
          .filter(s -> s.getName().equals("walmesh.deliver")).count() >= 2);
      List<SpanData> finished = spans.getFinishedSpanItems();
      SpanData write = only(finished, "walmesh.write");
      SpanData append = only(finished, "walmesh.append");
      List<SpanData> deliveries = finished.stream().filter(s -> s.getName().equals("walmesh.deliver"))
          .sorted(Comparator.comparing(s -> s.getAttributes().get(Tracing.ATTEMPT))).toList();

      // the write continues the caller's trace
      assertThat(write.getTraceId()).isEqualTo(CALLER_TRACE);
      assertThat(write.getParentSpanId()).isEqualTo(CALLER_SPAN);
      assertThat(write.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(write.getAttributes().get(Tracing.ENTRY)).isEqualTo(response.getEntryId());
      assertThat(write.getAttributes().get(Tracing.OUTCOME)).isEqualTo("SUCCESS");
      // the append is the write's child, and ends before the write answers
      assertThat(append.getParentSpanId()).isEqualTo(write.getSpanId());
      assertThat(append.getTraceId()).isEqualTo(CALLER_TRACE);
      assertThat(append.getStartEpochNanos()).isGreaterThanOrEqualTo(write.getStartEpochNanos());
      assertThat(append.getEndEpochNanos()).isLessThanOrEqualTo(write.getEndEpochNanos());
      // each attempt is a child of the write, after the append: the first failed (503), the second delivered
      assertThat(deliveries).hasSize(2);
      for (SpanData delivery : deliveries) {
        assertThat(delivery.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(delivery.getParentSpanId()).isEqualTo(write.getSpanId());
        assertThat(delivery.getAttributes().get(Tracing.TARGET)).isEqualTo("web");
        assertThat(delivery.getAttributes().get(Tracing.ENTRY)).isEqualTo(response.getEntryId());
      }
      // the consumer can read the entry as soon as it is durable, before the append's callback closes its span
      assertThat(deliveries.get(0).getStartEpochNanos()).isGreaterThanOrEqualTo(append.getStartEpochNanos());
      assertThat(deliveries.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(deliveries.get(1).getStartEpochNanos()).isGreaterThanOrEqualTo(deliveries.get(0).getEndEpochNanos());
      assertThat(deliveries.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

      // the HTTP service sees each attempt's own context, so its spans are children of that attempt
      for (int attempt = 1; attempt <= 2; attempt++) {
        int n = attempt;
        HttpSink.Received received = sink.received().stream().filter(r -> r.attempt() == n).findFirst().orElseThrow();
        assertThat(header(received.headers(), "traceparent"))
            .isEqualTo("00-" + CALLER_TRACE + "-" + deliveries.get(attempt - 1).getSpanId() + "-01");
      }
    } finally {
      channel.shutdownNow();
      await(node.stop());
      sink.close();
      await(vertx.close());
      sdk.close();
    }
  }

  /** In a mesh the write's context crosses the event bus: the owner's append and deliveries are the write's children. */
  @Test
  void aWriteRoutedToAnotherNodeKeepsOneTrace(@TempDir Path dir) throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = exportingTo(spans);
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    try (EmbeddedMesh mesh = new EmbeddedMesh(dir, 2)) {
      Node gateway = mesh.start("a", 0, java.util.Set.of(), 0, options -> options.openTelemetry(sdk));
      Node owner = mesh.start("b", 1, java.util.Set.of(), 0, options -> options.openTelemetry(sdk));
      // created through b: a local namespace lives on b, so a write through a crosses the event bus
      TestNodes.create(new AdminHttp(owner.adminPort()), TestNodes.namespace("routed", sink.url("/apply")));
      ManagedChannel channel = channelWithCallerTrace(gateway.grpcPort());
      try {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
          spans.reset();
          WriteToLogResponse response = ClientCalls.blockingUnaryCall(channel, GrpcPeers.WRITE,
              CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), TestNodes.request("routed", "via a").build());
          return response.getDurable() == Trilean.SUCCESS;
        });
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> spans.getFinishedSpanItems().stream()
            .anyMatch(s -> s.getName().equals("walmesh.deliver")));
        List<SpanData> finished = spans.getFinishedSpanItems();
        SpanData write = only(finished, "walmesh.write");
        SpanData append = only(finished, "walmesh.append");
        SpanData deliver = only(finished, "walmesh.deliver");
        assertThat(write.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(append.getParentSpanId()).isEqualTo(write.getSpanId());
        assertThat(deliver.getParentSpanId()).isEqualTo(write.getSpanId());
        assertThat(deliver.getTraceId()).isEqualTo(CALLER_TRACE);

        // the writes of one call cross the event bus in one message (RemoteWrites): each append is still the child of
        // its own write, and a refused write is refused alone
        spans.reset();
        io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder batch = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
        for (int i = 0; i < 6; i++) {
          batch.addRequests(i == 3 ? TestNodes.request("routed", "bad").setTarget(io.walmesh.protocol.v1.Target.newBuilder()
              .setName("no-such-target")) : TestNodes.request("routed", "batched " + i));
        }
        io.walmesh.protocol.v1.WriteToLogBatchResponse answers = ClientCalls.blockingUnaryCall(channel, GrpcPeers.BATCH,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), batch.build());
        for (int i = 0; i < 6; i++) {
          io.walmesh.protocol.v1.WriteToLogBatchResult result = answers.getResults(i);
          if (i == 3) {
            assertThat(result.getStatusCode()).as(result.toString()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
            assertThat(result.getStatusMessage()).contains("no-such-target");
          } else {
            assertThat(result.getResponse().getDurable()).as(result.toString()).isEqualTo(Trilean.SUCCESS);
          }
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> spans.getFinishedSpanItems().stream()
            .filter(s -> s.getName().equals("walmesh.append")).count() >= 5);
        List<SpanData> batched = spans.getFinishedSpanItems();
        java.util.Set<String> writeSpans = batched.stream().filter(s -> s.getName().equals("walmesh.write"))
            .map(SpanData::getSpanId).collect(java.util.stream.Collectors.toSet());
        List<String> appendParents = batched.stream().filter(s -> s.getName().equals("walmesh.append"))
            .map(SpanData::getParentSpanId).toList();
        assertThat(writeSpans).as("a walmesh.write span per write, the refused one too").hasSize(6);
        assertThat(appendParents).as("an append per stored write, each a child of its own write").hasSize(5)
            .doesNotHaveDuplicates()
            .allSatisfy(parent -> assertThat(writeSpans).contains(parent));
      } finally {
        channel.shutdownNow();
      }
    } finally {
      sink.close();
      await(vertx.close());
      sdk.close();
    }
  }

  @Test
  void theTracingSectionIsCheckedAndNamesTheField() {
    NodeOptions on = NodeOptions.fromJson("{\"tracing\": {\"otlp-endpoint\": \"http://collector:4318/v1/traces\","
        + " \"sample-ratio\": 0.25}}");
    assertThat(on.tracing().otlpEndpoint()).isEqualTo("http://collector:4318/v1/traces");
    assertThat(on.tracing().sampleRatio()).isEqualTo(0.25);
    assertThat(NodeOptions.fromJson("{}").tracing()).isNull();
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"tracing\": {\"otlp-endpoint\": \"collector:4318\"}}"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("tracing.otlp-endpoint: must be an http:// or https:// URL");
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"tracing\": {\"otlp-endpoint\": \"http://c:4318\", \"sample-ratio\": 2}}"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("tracing.sample-ratio:");
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"tracing\": {}}"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("tracing.otlp-endpoint:");
  }

  /** An SDK that hands every ended span to {@code spans} at once (no batching, no sampling). */
  private static OpenTelemetrySdk exportingTo(InMemorySpanExporter spans) {
    return OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
  }

  /** A grpc-java channel whose calls carry the caller's W3C traceparent. */
  private static ManagedChannel channelWithCallerTrace(int port) {
    Metadata metadata = new Metadata();
    metadata.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01");
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(metadata)).build();
  }

  private static SpanData only(List<SpanData> spans, String name) {
    List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as(name + " in " + spans).hasSize(1);
    return named.get(0);
  }

  private static String header(Map<String, String> headers, String name) {
    return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
        .findFirst().orElse(null);
  }
}

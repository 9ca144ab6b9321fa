package io.walmesh.bench;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The write path's baseline for {@code bench/run --processes}: the smallest gRPC write-ahead log that speaks
 * walmesh's proto. A plain grpc-java server (its own HTTP/2 stack, the default Netty event loops, handlers run on
 * the event loop) answers {@code WriteToLog}, {@code WriteToLogBatch} and {@code WriteToLogStream} by appending each
 * request's bytes to {@link RawRocksLog} (one writer thread, one synced RocksDB batch for everything queued) and
 * answering SUCCESS once the batch holding it is synced. No namespaces, validation, limits, auth, metrics, dedupe or
 * delivery: the ratio of walmesh to this is walmesh's own cost, with gRPC's and the disk's taken out.
 *
 * <p>With {@code --kafka=BOOTSTRAP TOPIC} it is the same server in front of Kafka instead: each request produced as
 * it arrives by a producer with walmesh's settings, answered SUCCESS once Kafka acknowledged it. The ratio of a kafka
 * namespace to this is walmesh's own cost on Kafka, with gRPC's and the broker's taken out.
 *
 * <p>With {@code --deliver-to=SINK_PORT SLOTS} after {@code DIR} it also delivers what it stores: it stores each
 * request's payload, and the hand-written consumer of the local baseline ({@link HandConsumer}: tail the committed keys,
 * POST each value to the sink on 127.0.0.1, delete it; {@code SLOTS} in flight) runs in this process. Writes arrive
 * over gRPC, as walmesh's do, so the ratio of walmesh's delivery to this one leaves out neither side's write path.
 *
 * <p>{@code PORT --kafka=BOOTSTRAP TOPIC --deliver-to=SINK_PORT SLOTS} is the same for Kafka: each request's payload
 * produced to {@code TOPIC}, and the bench's hand-written Kafka consumer ({@link KafkaBaseline}: poll, POST each record,
 * {@code commitSync}) on it in this process.
 *
 * <p>Run in its own process: {@code java -cp walmesh-bench.jar io.walmesh.bench.MinimalWal PORT DIR} (or
 * {@code PORT DIR --deliver-to=SINK_PORT SLOTS}, or {@code PORT --kafka=BOOTSTRAP TOPIC [--deliver-to=SINK_PORT
 * SLOTS]}); prints
 * {@code serving gRPC on PORT} when it serves, and stops when its standard input closes.
 */
public final class MinimalWal {
  private static final String SERVICE = "walmesh.v1.WriteAheadLog";

  private MinimalWal() {
  }

  /** Where the minimal server stores a request: completes with the entry's id once the store has it durably. */
  @FunctionalInterface
  interface Store {
    CompletableFuture<String> append(WriteToLogRequest request);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 5 && args[1].startsWith("--kafka=") && args[3].startsWith("--deliver-to=")) {
      // the minimal front of Kafka, delivering: each request's payload produced to TOPIC, and the hand-written Kafka
      // consumer of the bench (poll, POST each record to the sink, commitSync) on TOPIC, in this process
      withVertx(vertx -> {
        try (KafkaBaseline kafka = new KafkaBaseline(vertx, args[1].substring("--kafka=".length()), sinkPort(args[3]),
            Integer.parseInt(args[4]))) {
          String topic = args[2];
          kafka.startConsumer(topic);
          serve(Integer.parseInt(args[0]), request -> kafka.send(topic, request.getPayload().toByteArray())
              .toCompletionStage().toCompletableFuture().thenApply(v -> "sent"));
        }
      });
      return;
    }
    if (args.length == 3 && args[1].startsWith("--kafka=")) {
      // the minimal gRPC front of Kafka: each request produced as it arrives, on the gRPC event loop, by a producer with
      // walmesh's settings (acks=all, idempotent, linger.ms=1), keyed by the request's key; SUCCESS once acknowledged
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          args[1].substring("--kafka=".length()), "acks", "all", "enable.idempotence", true, "linger.ms", 1),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        String topic = args[2];
        serve(Integer.parseInt(args[0]), request -> {
          CompletableFuture<String> stored = new CompletableFuture<>();
          producer.send(new ProducerRecord<>(topic, request.getKey().isEmpty() ? null
              : request.getKey().getBytes(StandardCharsets.UTF_8), request.toByteArray()), (md, e) -> {
                if (e == null) {
                  stored.complete(md.partition() + "-" + md.offset());
                } else {
                  stored.completeExceptionally(e);
                }
              });
          return stored;
        });
      }
      return;
    }
    if (args.length == 4 && args[2].startsWith("--deliver-to=")) {
      withVertx(vertx -> {
        try (RawRocksLog log = new RawRocksLog(Files.createDirectories(Path.of(args[1])));
             HandConsumer consumer = HandConsumer.forRocks(vertx, log, sinkPort(args[2]), Integer.parseInt(args[3]))) {
          serve(Integer.parseInt(args[0]), request -> log.appendAsync(request.getPayload().toByteArray())
              .thenApply(key -> Long.toString(key)));
        }
      });
      return;
    }
    if (args.length != 2) {
      System.err.println("usage: MinimalWal PORT DIR [--deliver-to=SINK_PORT SLOTS] | MinimalWal PORT --kafka=BOOTSTRAP"
          + " TOPIC [--deliver-to=SINK_PORT SLOTS]");
      System.exit(2);
    }
    try (RawRocksLog log = new RawRocksLog(Files.createDirectories(Path.of(args[1])))) {
      serve(Integer.parseInt(args[0]), request -> log.appendAsync(request.toByteArray()).thenApply(key -> Long.toString(key)));
    }
  }

  /** The sink's port of a {@code --deliver-to=SINK_PORT} argument. */
  private static int sinkPort(String arg) {
    return Integer.parseInt(arg.substring("--deliver-to=".length()));
  }

  /** What a delivering mode runs with the Vert.x instance its consumer posts with. */
  private interface WithVertx {
    void run(io.vertx.core.Vertx vertx) throws Exception;
  }

  /** Runs {@code body} with a Vert.x instance of its own, closed after it. */
  private static void withVertx(WithVertx body) throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      body.run(vertx);
    } finally {
      vertx.close().await();
    }
  }

  private static void serve(int port, Store store) throws Exception {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .directExecutor().addService(service(store)).build().start();
    JavaChild.serveUntilStdinCloses("gRPC on " + server.getPort());
    server.shutdownNow().awaitTermination();
  }

  static ServerServiceDefinition service(Store log) {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(method("WriteToLog", MethodDescriptor.MethodType.UNARY, WriteToLogRequest.getDefaultInstance(),
                WriteToLogResponse.getDefaultInstance()),
            ServerCalls.asyncUnaryCall((WriteToLogRequest request, StreamObserver<WriteToLogResponse> answer) ->
                append(log, request).whenComplete((response, error) -> {
                  answer.onNext(response);
                  answer.onCompleted();
                })))
        .addMethod(method("WriteToLogBatch", MethodDescriptor.MethodType.UNARY,
                WriteToLogBatchRequest.getDefaultInstance(), WriteToLogBatchResponse.getDefaultInstance()),
            ServerCalls.asyncUnaryCall((WriteToLogBatchRequest batch, StreamObserver<WriteToLogBatchResponse> answer) -> {
              List<CompletableFuture<WriteToLogResponse>> appends = new ArrayList<>(batch.getRequestsCount());
              for (WriteToLogRequest request : batch.getRequestsList()) {
                appends.add(append(log, request));
              }
              CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                WriteToLogBatchResponse.Builder response = WriteToLogBatchResponse.newBuilder();
                appends.forEach(a -> response.addResults(WriteToLogBatchResult.newBuilder().setResponse(a.join())));
                answer.onNext(response.build());
                answer.onCompleted();
              });
            }))
        .addMethod(method("WriteToLogStream", MethodDescriptor.MethodType.BIDI_STREAMING,
                WriteToLogStreamRequest.getDefaultInstance(), WriteToLogStreamResponse.getDefaultInstance()),
            ServerCalls.asyncBidiStreamingCall(answers -> new StreamObserver<WriteToLogStreamRequest>() {
              // answers come from the writer thread while requests arrive on the event loop: one lock per stream
              private int unanswered;
              private boolean halfClosed;

              @Override
              public void onNext(WriteToLogStreamRequest request) {
                synchronized (this) {
                  unanswered++;
                }
                append(log, request.getRequest()).whenComplete((response, e) -> {
                  synchronized (this) {
                    answers.onNext(WriteToLogStreamResponse.newBuilder().setRequestId(request.getRequestId())
                        .setResponse(response).build());
                    if (--unanswered == 0 && halfClosed) {
                      answers.onCompleted();
                    }
                  }
                });
              }

              @Override
              public void onError(Throwable t) {
                // the client went away; its appends still complete
              }

              @Override
              public synchronized void onCompleted() {
                halfClosed = true;
                if (unanswered == 0) {
                  answers.onCompleted();
                }
              }
            }))
        .build();
  }

  private static CompletableFuture<WriteToLogResponse> append(Store store, WriteToLogRequest request) {
    return store.append(request).handle((id, error) -> error == null
        ? WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS).setEntryId(id).build()
        : WriteToLogResponse.newBuilder().setDurable(Trilean.UNKNOWN).setMessage(error.toString()).build());
  }

  private static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> method(
      String name, MethodDescriptor.MethodType type, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request)).setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}

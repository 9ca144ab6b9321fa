package io.walmesh.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka baseline: a plain {@link KafkaProducer} with the settings walmesh's backend uses
 * ({@code acks=all}, idempotent, {@code linger.ms=1}) on the same broker, and a hand-written
 * consumer thread (poll up to {@code concurrency} records, POST each to the sink, commit).
 */
final class KafkaBaseline implements AutoCloseable {
  private final String bootstrap;
  private final KafkaProducer<byte[], byte[]> producer;
  private final HttpClient http;
  private final Context context;
  private final int sinkPort;
  private final int concurrency;
  private volatile boolean consuming;
  private volatile boolean paused;
  private Thread consumerThread;

  KafkaBaseline(Vertx vertx, String bootstrap, int sinkPort, int concurrency) {
    this.bootstrap = bootstrap;
    this.sinkPort = sinkPort;
    this.concurrency = concurrency;
    this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true,
        "linger.ms", 1), new ByteArraySerializer(), new ByteArraySerializer());
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(concurrency));
    this.context = vertx.getOrCreateContext();
  }

  Future<Void> send(String topic, byte[] payload) {
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    producer.send(new ProducerRecord<>(topic, payload), (md, e) -> {
      if (e == null) {
        promise.complete();
      } else {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  /** Creates the topic as walmesh creates its own: 8 partitions. */
  void createTopic(String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 8, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  void startConsumer(String topic) {
    consuming = true;
    consumerThread = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
          "group.id", "bench-hand-consumer-" + topic, "enable.auto.commit", false, "auto.offset.reset", "earliest",
          "max.poll.records", concurrency), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of(topic));
        while (consuming) {
          if (paused) { // stays in its group (the heartbeat thread runs) but takes nothing
            TimeUnit.MILLISECONDS.sleep(5);
            continue;
          }
          List<byte[]> batch = new ArrayList<>();
          consumer.poll(Duration.ofMillis(100)).forEach(record -> batch.add(record.value()));
          if (!batch.isEmpty()) {
            // the POSTs run on a Vert.x context, as a Vert.x consumer would; this thread waits for the batch
            CompletableFuture<Void> done = new CompletableFuture<>();
            context.runOnContext(v -> {
              List<Future<?>> deliveries = new ArrayList<>();
              for (byte[] payload : batch) {
                deliveries.add(http.request(HttpMethod.POST, sinkPort, "127.0.0.1", "/apply")
                    .compose(req -> req.send(Buffer.buffer(payload)))
                    .compose(resp -> resp.body()));
              }
              Future.join(deliveries).onComplete(ar -> done.complete(null));
            });
            done.get(30, TimeUnit.SECONDS);
            consumer.commitSync();
          }
        }
      } catch (Exception e) {
        System.err.println("hand consumer stopped: " + e);
      }
    }, "bench-kafka-hand-consumer");
    consumerThread.start();
  }

  /** Stops taking records until {@link #resumeConsumer}: a stored backlog builds up. */
  void pauseConsumer() {
    paused = true;
  }

  void resumeConsumer() {
    paused = false;
  }

  @Override
  public void close() throws InterruptedException {
    consuming = false;
    if (consumerThread != null) {
      consumerThread.join(10_000);
    }
    producer.close(Duration.ofSeconds(5));
    http.close();
  }
}

package io.walmesh.kafka.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka producer hand-off (the kafka backend's and the kafka target's) on a real broker: records sent from several event loops at once are each
 * answered on the loop that sent them, a key's records are stored in the order they were sent, a record Kafka refuses
 * fails alone, and a send after close fails rather than hangs. A send that would wait (a topic whose metadata the
 * producer lacks, a full buffer) never waits on the event loop that called it.
 */
class KafkaSenderTest {
  @TempDir
  static Path brokerDir;
  static KafkaBroker broker;
  static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start(brokerDir);
    vertx = Vertx.vertx();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("sender-order", 4, (short) 1), new NewTopic("sender-size", 1, (short) 1),
              new NewTopic("sender-full", 2, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    broker.close();
  }

  private static KafkaSender sender(String name, int maxRequestBytes) {
    return new KafkaSender(vertx, Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
        "acks", "all", "enable.idempotence", true, "linger.ms", 1, "max.request.size", maxRequestBytes), name);
  }

  /** Runs {@code sends} in one turn of a fresh event loop; the turn's length in ms and the futures it made. */
  private static CompletableFuture<Map.Entry<Long, List<Future<RecordMetadata>>>> inOneTurn(
      java.util.function.Supplier<List<Future<RecordMetadata>>> sends) {
    CompletableFuture<Map.Entry<Long, List<Future<RecordMetadata>>>> turn = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> {
      long begin = System.nanoTime();
      List<Future<RecordMetadata>> futures = sends.get();
      turn.complete(Map.entry((System.nanoTime() - begin) / 1_000_000, futures));
    });
    return turn;
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String key, int bytes) {
    return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), new byte[bytes]);
  }

  @Test
  void recordsFromSeveralEventLoopsAreAnsweredOnTheirOwnLoopAndStoredInSendOrderPerKey() throws Exception {
    KafkaSender sender = sender("order", 1_048_576);
    int loops = 3;
    int perLoop = 3_000;
    ConcurrentLinkedQueue<String> wrongContext = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<List<RecordMetadata>>> sent = new ArrayList<>();
    for (int l = 0; l < loops; l++) {
      String key = "key-" + l;
      Context loop = vertx.getOrCreateContext();
      CompletableFuture<List<RecordMetadata>> answers = new CompletableFuture<>();
      sent.add(answers);
      loop.runOnContext(v -> {
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < perLoop; i++) {
          futures.add(sender.send(record("sender-order", key, 100)).onComplete(ar -> {
            if (Vertx.currentContext() != loop) {
              wrongContext.add(key + " answered on " + Vertx.currentContext() + " / " + Thread.currentThread().getName());
            }
          }));
        }
        Future.all(futures).onComplete(ar -> answers.complete(futures.stream().map(Future::result).toList()));
      });
    }
    for (CompletableFuture<List<RecordMetadata>> answers : sent) {
      List<RecordMetadata> metadata = answers.get(60, TimeUnit.SECONDS);
      assertEquals(perLoop, metadata.stream().filter(md -> md != null).count(), "every record acknowledged");
      for (int i = 1; i < metadata.size(); i++) {
        assertEquals(metadata.get(0).partition(), metadata.get(i).partition(), "a key stays on one partition");
        assertTrue(metadata.get(i).offset() > metadata.get(i - 1).offset(),
            "a key's records are stored in the order they were sent: record " + i + " at offset "
                + metadata.get(i).offset() + " after " + metadata.get(i - 1).offset());
      }
    }
    assertTrue(wrongContext.isEmpty(), "answered off the sender's loop: " + wrongContext.stream().limit(3).toList());
    sender.close(Duration.ofSeconds(5)).await(10, TimeUnit.SECONDS);
  }

  @Test
  void aRecordKafkaRefusesFailsAloneAndASendAfterCloseFailsAtOnce() throws Exception {
    KafkaSender sender = sender("size", 10_000);
    Context loop = vertx.getOrCreateContext();
    CompletableFuture<List<Future<RecordMetadata>>> answered = new CompletableFuture<>();
    loop.runOnContext(v -> {
      List<Future<RecordMetadata>> futures = List.of(sender.send(record("sender-size", "a", 100)),
          sender.send(record("sender-size", "a", 20_000)), sender.send(record("sender-size", "a", 100)));
      Future.join(futures).onComplete(ar -> answered.complete(futures));
    });
    List<Future<RecordMetadata>> futures = answered.get(30, TimeUnit.SECONDS);
    assertTrue(futures.get(0).succeeded(), "the record before it is stored: " + futures.get(0).cause());
    assertInstanceOf(RecordTooLargeException.class, futures.get(1).cause(), "the oversized record fails with Kafka's reason");
    assertTrue(futures.get(2).succeeded(), "the record after it is stored: " + futures.get(2).cause());

    sender.close(Duration.ofSeconds(5)).await(10, TimeUnit.SECONDS);
    CompletableFuture<Throwable> late = new CompletableFuture<>();
    sender.send(record("sender-size", "a", 100)).onComplete(ar -> late.complete(ar.cause()));
    Throwable cause = late.get(5, TimeUnit.SECONDS);
    assertInstanceOf(IllegalStateException.class, cause, "a send after close fails");
    assertTrue(cause.getMessage().contains("closed"), "and says why: " + cause.getMessage());
  }

  @Test
  void aSendThatWaitsForMetadataWaitsOnTheSendingThreadNotOnTheEventLoop() throws Exception {
    // nothing listens on this port: the producer never gets the topic's metadata and gives up after max.block.ms
    int deadPort = io.walmesh.testkit.FreePorts.next();
    KafkaSender sender = new KafkaSender(vertx, Map.<String, Object>of("bootstrap.servers", "127.0.0.1:" + deadPort,
        "acks", "all", "enable.idempotence", true, "max.block.ms", 1_500), "no-broker");
    Map.Entry<Long, List<Future<RecordMetadata>>> turn = inOneTurn(() -> List.of(
        sender.send(record("sender-nowhere", "a", 100)), sender.send(record("sender-nowhere", "a", 100))))
        .get(10, TimeUnit.SECONDS);
    assertTrue(turn.getKey() < 500, "the event loop was held " + turn.getKey() + " ms by sends that wait 1,500 ms");
    for (Future<RecordMetadata> sent : turn.getValue()) {
      Throwable cause = sent.toCompletionStage().toCompletableFuture().handle((md, e) -> e).get(10, TimeUnit.SECONDS);
      assertInstanceOf(org.apache.kafka.common.errors.TimeoutException.class, cause, "Kafka's reason: " + cause);
      assertTrue(cause.getMessage().contains("sender-nowhere"), "naming the topic: " + cause.getMessage());
    }
    sender.close(Duration.ZERO).await(10, TimeUnit.SECONDS);
  }

  @Test
  void whenTheProducersBufferFillsTheEventLoopHandsTheRestToTheSendingThreadAndEveryRecordIsStoredInOrder()
      throws Exception {
    int bufferBytes = 256 * 1024;
    KafkaSender sender = new KafkaSender(vertx, Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
        "acks", "all", "enable.idempotence", true, "linger.ms", 1, "buffer.memory", bufferBytes,
        "batch.size", 16_384), "full");
    // warm: the topic's metadata is known, so sends start on the event loop
    sender.send(record("sender-full", "k", 10)).await(30, TimeUnit.SECONDS);
    int records = 2_000;
    long begin = System.nanoTime();
    Map.Entry<Long, List<Future<RecordMetadata>>> turn = inOneTurn(() -> {
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        futures.add(sender.send(record("sender-full", "k", 10_000))); // 20 MB: 80 times the producer's buffer
      }
      return futures;
    }).get(60, TimeUnit.SECONDS);
    List<RecordMetadata> stored = new ArrayList<>();
    for (Future<RecordMetadata> sent : turn.getValue()) {
      stored.add(sent.await(120, TimeUnit.SECONDS));
    }
    long allMs = (System.nanoTime() - begin) / 1_000_000;
    for (int i = 1; i < records; i++) {
      assertTrue(stored.get(i).offset() > stored.get(i - 1).offset(), "stored in send order: record " + i + " at offset "
          + stored.get(i).offset() + " after " + stored.get(i - 1).offset());
    }
    // a producer with a full buffer blocks its caller until Kafka takes the bytes: had the event loop kept sending,
    // its turn would have lasted about as long as storing the 20 MB
    assertTrue(turn.getKey() < 1_000 && turn.getKey() * 3 < allMs, "the event loop was held " + turn.getKey()
        + " ms of the " + allMs + " ms Kafka took to store 20 MB through a " + bufferBytes + "-byte buffer");
    sender.close(Duration.ofSeconds(5)).await(10, TimeUnit.SECONDS);
  }
}

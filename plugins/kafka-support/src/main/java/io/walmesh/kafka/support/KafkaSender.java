package io.walmesh.kafka.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A Kafka producer driven with at most one thread hop per burst of records rather than one per record: a {@code kafka}
 * namespace's (the backend) and a {@code kafka} target's.
 *
 * <p>Records queue here, and whoever holds the right to send (one caller at a time) hands everything queued to the
 * producer in the order it came: a key's records keep their order (the producer is idempotent, so its retries do not
 * reorder them either). {@link Producer#send} only appends to the producer's buffer, unless it has to wait: for the
 * topic's metadata (a topic it has not sent to lately) or for room in its buffer (Kafka slower than the writers), up to
 * {@code max.block.ms}. An event loop must not wait, so the caller sends the records itself only while neither can
 * happen: the topic had a record acknowledged in the last {@value #WARM_MS} ms, and at least half of the producer's
 * {@code buffer.memory} is free (its own {@code buffer-available-bytes}). Otherwise the records go to the sending thread
 * ({@code walmesh-kafka-send-<name>}), which may wait. Kafka acknowledges a whole batch of records on its I/O thread,
 * one callback each; the answers queue too, and one task per event loop that sent some completes them.
 *
 * <p>Vert.x's {@code KafkaWriteStream}, which this replaced in session 19, ran one worker task and one context task per
 * record; until session 26 every burst went through the sending thread (docs/performance.md).
 *
 * <p>A record's future completes only with Kafka's own answer for it (acknowledged by every in-sync replica, as the
 * producer is configured), or with the exception that stopped it being sent.
 */
public final class KafkaSender {
  /** A topic with a record acknowledged this recently has its metadata in the producer: a send does not wait for it. */
  static final long WARM_MS = 60_000;
  private static final int WARM_TOPICS = 1_000;
  private final Vertx vertx;
  private final Producer<byte[], byte[]> producer;
  private final ExecutorService thread;
  private final ConcurrentLinkedQueue<Queued> toSend = new ConcurrentLinkedQueue<>();
  /** Held by the one caller (or the sending thread) draining {@link #toSend}. */
  private final AtomicBoolean sending = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Answered> answered = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean answering = new AtomicBoolean();
  /** Topic: when a record to it was last acknowledged. */
  private final Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
  /** The producer's free buffer in bytes ({@code buffer-available-bytes}); null: never send on the caller's thread. */
  private final Metric bufferAvailable;
  private final double inlineAboveBytes;
  private volatile boolean closed;

  private record Queued(ProducerRecord<byte[], byte[]> record, ContextInternal context, Promise<RecordMetadata> promise) {
  }

  private record Answered(Queued queued, RecordMetadata metadata, Exception failure) {
  }

  /**
   * A producer of byte arrays made from {@code config} (a {@link KafkaProducer}'s), which this sender owns from now on,
   * with a sending thread named {@code walmesh-kafka-send-<name>}.
   */
  public KafkaSender(Vertx vertx, Map<String, Object> config, String name) {
    this(vertx, new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()), bufferMemory(config),
        name);
  }

  KafkaSender(Vertx vertx, Producer<byte[], byte[]> producer, long bufferMemory, String name) {
    this.vertx = vertx;
    this.producer = producer;
    this.inlineAboveBytes = bufferMemory / 2.0;
    this.bufferAvailable = producer.metrics().entrySet().stream().filter(m -> m.getKey().group().equals("producer-metrics")
        && m.getKey().name().equals("buffer-available-bytes")).map(Map.Entry::getValue).findFirst().orElse(null);
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "walmesh-kafka-send-" + name);
      t.setDaemon(true);
      return t;
    });
  }

  /** {@code buffer.memory} as the producer reads it (a number or its text), or Kafka's default. */
  static long bufferMemory(Map<String, Object> config) {
    Object value = config.get(ProducerConfig.BUFFER_MEMORY_CONFIG);
    if (value == null) {
      return 32L * 1024 * 1024;
    }
    return value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
  }

  /** Sends {@code record}; the future completes on the caller's context with Kafka's answer. Any thread. */
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<RecordMetadata> promise = context.promise();
    if (closed) {
      promise.fail(new IllegalStateException("the Kafka producer is closed"));
      return promise.future();
    }
    toSend.add(new Queued(record, context, promise));
    if (sending.compareAndSet(false, true)) {
      drain(false);
    }
    return promise.future();
  }

  /**
   * Holding {@link #sending}: sends everything queued, in order, then lets go (and takes it again for what came
   * meanwhile). A caller ({@code onThread} false) stops at the first record whose send could wait and passes the right
   * to the sending thread, which sends the rest.
   */
  private void drain(boolean onThread) {
    do {
      Queued q;
      while ((q = toSend.peek()) != null) {
        if (!onThread && !sendsWithoutWaiting(q.record().topic())) {
          toThread();
          return;
        }
        toSend.poll(); // only the holder of `sending` takes from the queue: this is q
        send(q);
      }
      sending.set(false);
    } while (!toSend.isEmpty() && sending.compareAndSet(false, true));
  }

  /** Whether {@link Producer#send} returns without waiting for metadata or buffer room (see the class comment). */
  private boolean sendsWithoutWaiting(String topic) {
    Long at = acknowledgedAt.get(topic);
    return at != null && System.currentTimeMillis() - at < WARM_MS && bufferAvailable != null
        && bufferAvailable.metricValue() instanceof Double free && free >= inlineAboveBytes;
  }

  private void toThread() {
    try {
      thread.execute(() -> drain(true));
    } catch (java.util.concurrent.RejectedExecutionException shutDown) {
      sending.set(false);
      failQueued(new IllegalStateException("the Kafka producer is closed"));
    }
  }

  private void send(Queued q) {
    try {
      producer.send(q.record(), (metadata, failure) -> answer(new Answered(q, metadata, failure)));
    } catch (RuntimeException e) { // metadata or buffer wait timed out, a record too large, a closed producer
      answer(new Answered(q, null, e));
    }
  }

  /** On Kafka's I/O thread (or the sending thread): queues the answer; the first of a burst schedules their delivery. */
  private void answer(Answered answer) {
    if (answer.failure() == null) {
      acknowledged(answer.queued().record().topic());
    }
    answered.add(answer);
    if (answering.compareAndSet(false, true)) {
      answer.queued().context().runOnContext(v -> completeAnswered());
    }
  }

  /** Notes that {@code topic} had a record acknowledged: a write to the map once a second per topic, not per record. */
  private void acknowledged(String topic) {
    long now = System.currentTimeMillis();
    Long at = acknowledgedAt.get(topic);
    if (at != null && now - at < 1_000) {
      return;
    }
    if (at == null && acknowledgedAt.size() >= WARM_TOPICS) {
      acknowledgedAt.clear(); // a target writing to very many topics: start over rather than grow
    }
    acknowledgedAt.put(topic, now);
  }

  /**
   * On a caller's context: completes every answer queued. The answers of records sent from other event loops are
   * handed to each loop as one task (completed from here, each promise would be its own task on its loop).
   */
  private void completeAnswered() {
    answering.set(false);
    Map<ContextInternal, List<Answered>> elsewhere = null;
    Answered a;
    while ((a = answered.poll()) != null) {
      ContextInternal context = a.queued().context();
      if (context.inThread()) {
        complete(a);
      } else {
        if (elsewhere == null) {
          elsewhere = new HashMap<>(8);
        }
        elsewhere.computeIfAbsent(context.unwrap(), c -> new ArrayList<>()).add(a);
      }
    }
    if (elsewhere != null) {
      elsewhere.forEach((loop, answers) -> loop.runOnContext(v -> answers.forEach(KafkaSender::complete)));
    }
  }

  private static void complete(Answered a) {
    if (a.failure() == null) {
      a.queued().promise().tryComplete(a.metadata());
    } else {
      a.queued().promise().tryFail(a.failure());
    }
  }

  private void failQueued(Exception e) {
    Queued queued;
    while ((queued = toSend.poll()) != null) {
      answer(new Answered(queued, null, e));
    }
  }

  /** On the sending thread: waits up to {@code ms} for a caller sending on its own thread to finish. */
  private boolean takeSendingRight(long ms) {
    long until = System.nanoTime() + ms * 1_000_000;
    while (!sending.compareAndSet(false, true)) {
      if (System.nanoTime() > until) {
        return false;
      }
      Thread.onSpinWait();
    }
    return true;
  }

  /** Sends what is queued, waits up to {@code timeout} for Kafka's answers to all of it, and closes the producer. */
  public Future<Void> close(Duration timeout) {
    closed = true; // a send from now on fails at once; the thread sends what was queued before
    Promise<Void> done = Promise.promise();
    try {
      thread.execute(() -> {
        if (takeSendingRight(1_000)) {
          drain(true);
        } // else a pass queued behind this task: its sends fail as after close, none is dropped
        try {
          producer.close(timeout);
          done.complete();
        } catch (RuntimeException e) {
          done.fail(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException already) {
      done.complete();
    }
    thread.shutdown();
    return done.future();
  }
}

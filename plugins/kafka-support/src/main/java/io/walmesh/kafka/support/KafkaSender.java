package io.walmesh.kafka.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A Kafka producer driven with one thread hop per burst of records rather than one per record: a {@code kafka}
 * namespace's (the backend) and a {@code kafka} target's.
 *
 * <p>{@link Producer#send} may block (for topic metadata, or while its buffer is full, up to {@code max.block.ms}), so
 * it never runs on an event loop: records queue here and one sending thread hands everything queued to the producer in
 * one go, in the order they came (a key's records keep their order: the producer is idempotent, so its retries do not
 * reorder them either). Kafka acknowledges a whole batch of records on its I/O thread, one callback each; the answers
 * queue too, and one task on the caller's context completes all of them. Vert.x's {@code KafkaWriteStream}, which this
 * replaces, ran one worker task and one context task per record: at tens of thousands of writes a second on two cores
 * those hops were most of a write's cost.
 *
 * <p>A record's future completes only with Kafka's own answer for it (acknowledged by every in-sync replica, as the
 * producer is configured), or with the exception that stopped it being sent.
 */
public final class KafkaSender {
  private final Vertx vertx;
  private final Producer<byte[], byte[]> producer;
  private final ExecutorService thread;
  private final ConcurrentLinkedQueue<Queued> toSend = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean sending = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Answered> answered = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean answering = new AtomicBoolean();

  private record Queued(ProducerRecord<byte[], byte[]> record, ContextInternal context, Promise<RecordMetadata> promise) {
  }

  private record Answered(Queued queued, RecordMetadata metadata, Exception failure) {
  }

  /** Drives {@code producer}, which it owns from now on, with a sending thread named {@code walmesh-kafka-send-<name>}. */
  public KafkaSender(Vertx vertx, Producer<byte[], byte[]> producer, String name) {
    this.vertx = vertx;
    this.producer = producer;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "walmesh-kafka-send-" + name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Sends {@code record}; the future completes on the caller's context with Kafka's answer. Any thread. */
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<RecordMetadata> promise = context.promise();
    toSend.add(new Queued(record, context, promise));
    if (sending.compareAndSet(false, true)) {
      try {
        thread.execute(this::sendQueued);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        sending.set(false);
        failQueued(new IllegalStateException("the Kafka producer is closed"));
      }
    }
    return promise.future();
  }

  /** On the sending thread: everything queued, in order. */
  private void sendQueued() {
    sending.set(false); // a record queued from here on schedules another pass; this one may send it already
    Queued queued;
    while ((queued = toSend.poll()) != null) {
      Queued q = queued;
      try {
        producer.send(q.record(), (metadata, failure) -> answer(new Answered(q, metadata, failure)));
      } catch (RuntimeException e) { // metadata or buffer wait timed out, a record too large, a closed producer
        answer(new Answered(q, null, e));
      }
    }
  }

  /** On Kafka's I/O thread (or the sending thread): queues the answer; the first of a burst schedules their delivery. */
  private void answer(Answered answer) {
    answered.add(answer);
    if (answering.compareAndSet(false, true)) {
      answer.queued().context().runOnContext(v -> completeAnswered());
    }
  }

  /**
   * On a caller's context: completes every answer queued. A promise of another context (a record sent from another
   * thread) is completed from here too, and Vert.x runs its handlers on its own context.
   */
  private void completeAnswered() {
    answering.set(false);
    Answered a;
    while ((a = answered.poll()) != null) {
      if (a.failure() == null) {
        a.queued().promise().complete(a.metadata());
      } else {
        a.queued().promise().fail(a.failure());
      }
    }
  }

  private void failQueued(Exception e) {
    Queued queued;
    while ((queued = toSend.poll()) != null) {
      answer(new Answered(queued, null, e));
    }
  }

  /** Sends what is queued, waits up to {@code timeout} for Kafka's answers to all of it, and closes the producer. */
  public Future<Void> close(Duration timeout) {
    Promise<Void> closed = Promise.promise();
    try {
      thread.execute(() -> {
        sendQueued();
        try {
          producer.close(timeout);
          closed.complete();
        } catch (RuntimeException e) {
          closed.fail(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException already) {
      closed.complete();
    }
    thread.shutdown();
    return closed.future();
  }
}

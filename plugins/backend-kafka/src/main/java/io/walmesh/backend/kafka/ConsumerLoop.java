package io.walmesh.backend.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that owns a namespace's {@link KafkaConsumer} (which is not thread-safe, and whose
 * rebalance callbacks must run before the rebalance completes). It fetches records into the
 * {@link Window}, keeps delay-topic partitions paused until their head record is ripe, pauses all
 * fetching while the window is full, and commits each partition's commit point as it advances.
 * On a revoke it first waits (bounded) for the partition's in-flight deliveries and commits
 * synchronously, so the next owner starts where this one stopped.
 */
final class ConsumerLoop {
  private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);

  /** What the backend does with each fetched, ripe record. */
  interface RecordHandler {
    void onRecord(TopicPartition tp, ConsumerRecord<byte[], byte[]> record);

    /** Called after each fetched batch was handled. */
    void afterBatch();
  }

  private final String namespace;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Window window;
  private final KafkaBackendOptions options;
  private final Map<String, Long> tierMsByTopic = new HashMap<>();
  private final RecordHandler handler;
  /** Delay-topic partitions paused until their head record is ripe. */
  private final Map<TopicPartition, Long> ripening = new HashMap<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile String lastError;
  private boolean windowFull;
  /**
   * Settled offsets are committed at most this often while the loop runs (and at once on a revoke or a stop): a commit
   * per poll, under a steady trickle of records, was an offset-commit request to the broker every few milliseconds. A
   * crash redelivers what was settled since the last commit, as it always could.
   */
  static final long COMMIT_INTERVAL_MS = 100;
  private long lastCommitMs;

  ConsumerLoop(String namespace, KafkaConsumer<byte[], byte[]> consumer, Window window, KafkaBackendOptions options,
               RecordHandler handler) {
    this.namespace = namespace;
    this.consumer = consumer;
    this.window = window;
    this.options = options;
    this.handler = handler;
    for (int tier : options.delayTiersSecs) {
      tierMsByTopic.put(options.tierTopic(tier), tier * 1000L);
    }
    this.thread = new Thread(this::run, "walmesh-kafka-consumer-" + namespace);
    this.thread.setDaemon(true);
  }

  synchronized void start() {
    thread.start();
  }

  /** The last error the loop hit, null once it polls again fine. */
  String lastError() {
    return lastError;
  }

  /** Stops fetching, commits what was settled and closes the consumer; completes when done. */
  synchronized CompletableFuture<Void> stop() {
    running = false;
    if (thread.getState() == Thread.State.NEW && !stopped.isDone()) {
      consumer.close(Duration.ZERO); // never started (a producer-only node): nothing to commit
      stopped.complete(null);
    } else {
      consumer.wakeup();
    }
    return stopped;
  }

  private void run() {
    List<String> topics = new ArrayList<>();
    topics.add(options.topic);
    topics.addAll(tierMsByTopic.keySet());
    try {
      consumer.subscribe(topics, new Rebalance());
      while (running) {
        try {
          long now = System.currentTimeMillis();
          resumeRipe(now);
          applyBackpressure();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
          handle(records);
          if (System.currentTimeMillis() - lastCommitMs >= COMMIT_INTERVAL_MS) {
            lastCommitMs = System.currentTimeMillis();
            commit(window.commitPoints(), false);
          }
          lastError = null;
        } catch (WakeupException e) {
          // stop() or a rebalance wake-up: loop and look at running
        } catch (Exception e) {
          if (!running) {
            break;
          }
          lastError = e.toString();
          log.warn("Namespace {}: the Kafka consumer failed, retrying in 1 s: {}", namespace, e.toString());
          sleep(1_000);
        }
      }
      commit(window.commitPoints(), true);
    } catch (Throwable t) {
      log.warn("Namespace {}: the Kafka consumer stopped on an error; unsettled entries are redelivered: {}", namespace,
          t.toString());
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (Throwable t) {
        log.debug("Namespace {}: closing the Kafka consumer: {}", namespace, t.toString());
      }
      stopped.complete(null);
    }
  }

  private void handle(ConsumerRecords<byte[], byte[]> records) {
    if (records.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (TopicPartition tp : records.partitions()) {
      Long tierMs = tierMsByTopic.get(tp.topic());
      for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
        if (!window.isAssigned(tp)) {
          break; // revoked while this batch was in hand
        }
        if (tierMs != null && record.timestamp() + tierMs > now) {
          // the head of a delay partition is not ripe: everything behind it was enqueued later
          consumer.seek(tp, record.offset());
          consumer.pause(List.of(tp));
          ripening.put(tp, record.timestamp() + tierMs);
          break;
        }
        handler.onRecord(tp, record);
      }
    }
    handler.afterBatch();
  }

  private void resumeRipe(long now) {
    List<TopicPartition> ripe = new ArrayList<>();
    ripening.entrySet().removeIf(e -> {
      if (e.getValue() <= now) {
        ripe.add(e.getKey());
        return true;
      }
      return false;
    });
    if (!ripe.isEmpty() && !windowFull) {
      consumer.resume(ripe);
    }
  }

  private void applyBackpressure() {
    int size = window.size();
    if (!windowFull && size >= options.windowMaxEntries) {
      windowFull = true;
      consumer.pause(consumer.assignment());
      log.info("Namespace {}: {} entries fetched and unsettled (window.max-entries); fetching paused", namespace, size);
    } else if (windowFull && size < options.windowMaxEntries / 2) {
      windowFull = false;
      Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
      resume.removeAll(ripening.keySet());
      consumer.resume(resume);
      log.info("Namespace {}: window below half; fetching resumed", namespace);
    }
  }

  private void commit(Map<TopicPartition, Long> points, boolean sync) {
    if (points.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    points.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
    try {
      if (sync) {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
      } else {
        consumer.commitAsync(offsets, (committed, e) -> {
          if (e != null) {
            log.debug("Namespace {}: committing offsets failed (they are committed with the next advance): {}", namespace,
                e.toString());
          }
        });
      }
    } catch (Exception e) {
      log.warn("Namespace {}: committing offsets {} failed; those entries may be delivered again: {}", namespace, points,
          e.toString());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs on the loop thread, inside {@code poll}. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        window.assign(tp, consumer.position(tp));
      }
      if (windowFull) {
        consumer.pause(partitions);
      }
      if (!partitions.isEmpty()) {
        log.info("Namespace {}: consuming partitions {}", namespace, partitions);
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      try {
        Map<TopicPartition, Long> points = window.revoke(partitions, options.revokeDrainMs);
        commit(points, true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      partitions.forEach(ripening::remove);
      log.info("Namespace {}: partitions {} handed over", namespace, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      try {
        window.revoke(partitions, 0);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      partitions.forEach(ripening::remove);
      log.warn("Namespace {}: partitions {} lost (this consumer was out of the group); their unsettled entries are"
          + " redelivered by the new owner", namespace, partitions);
    }
  }
}

package io.walmesh.backend.kafka;

import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.entry.EntryRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads what a replay takes from a namespace's queue topic: from the first record produced at or after the range's
 * start (an entry is produced no earlier than its write time) up to the topic's end when the read starts, each entry
 * once. Blocking: runs on the backend's DLQ thread.
 *
 * <p>It reads the range twice, so that a replay of any size holds only one poll of payloads in the node's heap. The
 * first read ({@link #select}) keeps the offsets of the records to requeue and the ids seen, and refuses a replay
 * covering more than {@link #maxReplayEntries} entries before anything is produced. The second ({@link #reread})
 * hands the selected records to the producer a poll at a time.
 */
final class ReplayReader {
  private static final Duration API_TIMEOUT = Duration.ofSeconds(10);
  private static final long MAX_READ_MS = 10 * 60_000;
  /** The most entries one replay requeues; one that covers more is refused whole, before anything is produced. */
  static final String MAX_REPLAY_PROPERTY = "walmesh.kafka.max-replay-entries";
  static final long DEFAULT_MAX_REPLAY_ENTRIES = 100_000;

  /** The records a replay requeues: their offsets per partition, ascending; how many; how many it skipped as excluded. */
  record Selection(Map<TopicPartition, long[]> offsets, long count, long excluded) {
  }

  private ReplayReader() {
  }

  /**
   * Reads {@code topic} with {@code reader} (a consumer in no group) and selects what {@code request} covers.
   *
   * @throws AppendException NOT_STORED when the range covers more than {@code maxEntries} entries
   */
  static Selection select(KafkaConsumer<byte[], byte[]> reader, String topic, String namespace, ReplayRequest request,
                          Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decode, long maxEntries) {
    List<TopicPartition> tps = new ArrayList<>();
    reader.partitionsFor(topic, API_TIMEOUT).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
    reader.assign(tps);
    Map<TopicPartition, Long> end = reader.endOffsets(tps, API_TIMEOUT);
    Map<TopicPartition, Long> times = new HashMap<>();
    tps.forEach(tp -> times.put(tp, request.fromMs()));
    Map<TopicPartition, OffsetAndTimestamp> starts = reader.offsetsForTimes(times, API_TIMEOUT);
    for (TopicPartition tp : tps) {
      OffsetAndTimestamp start = starts.get(tp);
      reader.seek(tp, start == null ? end.get(tp) : start.offset());
    }
    Map<TopicPartition, Offsets> selected = new HashMap<>();
    long count = 0;
    long excluded = 0;
    Set<String> seen = new HashSet<>();
    long deadline = System.currentTimeMillis() + MAX_READ_MS;
    while (tps.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
      checkDeadline(deadline, topic);
      for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        EntryRecord entry = record.offset() < end.get(tp) ? decode.apply(record) : null;
        // a retried or DLQ-replayed entry is in the topic more than once, with one id
        if (entry == null || !request.covers(entry) || !seen.add(entry.getEntryId())) {
          continue;
        }
        if (request.excludedEntryIds().contains(entry.getEntryId())) {
          excluded++;
          continue;
        }
        if (++count > maxEntries) {
          throw new AppendException(AppendException.Kind.NOT_STORED, "replay of namespace " + namespace
              + " refused: it covers more than " + maxEntries + " entries of topic " + topic + ", the most one replay"
              + " requeues (-D" + MAX_REPLAY_PROPERTY + "); nothing was requeued. Replay shorter time ranges (from-ms,"
              + " to-ms) one after another; see docs/limits.md#kafka-backend", null);
        }
        selected.computeIfAbsent(tp, p -> new Offsets()).add(record.offset());
      }
    }
    Map<TopicPartition, long[]> offsets = new HashMap<>();
    selected.forEach((tp, o) -> offsets.put(tp, o.toArray()));
    return new Selection(offsets, count, excluded);
  }

  /**
   * Reads the selected records again and hands each poll's worth, decoded, to {@code requeue}, which returns when they
   * are produced. A selected record the topic no longer holds (its retention deleted it meanwhile) is skipped. Returns
   * how many were handed over.
   */
  static long reread(KafkaConsumer<byte[], byte[]> reader, String topic, Selection selection,
                     Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decode, Consumer<List<EntryRecord>> requeue) {
    Map<TopicPartition, Integer> next = new HashMap<>();
    List<TopicPartition> tps = new ArrayList<>(selection.offsets().keySet());
    reader.assign(tps);
    for (TopicPartition tp : tps) {
      next.put(tp, 0);
      reader.seek(tp, selection.offsets().get(tp)[0]);
    }
    long handed = 0;
    long deadline = System.currentTimeMillis() + MAX_READ_MS;
    while (!next.isEmpty()) {
      checkDeadline(deadline, topic);
      List<EntryRecord> batch = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        Integer i = next.get(tp);
        if (i == null) {
          continue; // done with this partition: the rest of the poll is past what the replay covers
        }
        long[] offsets = selection.offsets().get(tp);
        while (i < offsets.length && offsets[i] < record.offset()) {
          i++; // deleted by the topic's retention since the first read
        }
        if (i < offsets.length && offsets[i] == record.offset()) {
          EntryRecord entry = decode.apply(record);
          if (entry != null) {
            batch.add(entry);
          }
          i++;
        }
        next.put(tp, i);
      }
      for (TopicPartition tp : tps) {
        Integer i = next.get(tp);
        long[] offsets = selection.offsets().get(tp);
        if (i != null && (i >= offsets.length || reader.position(tp) > offsets[offsets.length - 1])) {
          next.remove(tp);
          reader.pause(List.of(tp));
        }
      }
      if (!batch.isEmpty()) {
        requeue.accept(batch);
        handed += batch.size();
      }
    }
    return handed;
  }

  /** The most entries one replay requeues: {@value #DEFAULT_MAX_REPLAY_ENTRIES}, or the system property. */
  static long maxReplayEntries() {
    return ReplayRequest.limit(MAX_REPLAY_PROPERTY, DEFAULT_MAX_REPLAY_ENTRIES, "entries");
  }


  private static void checkDeadline(long deadline, String topic) {
    if (System.currentTimeMillis() > deadline) {
      throw new IllegalStateException("reading topic " + topic + " for the replay took over " + MAX_READ_MS / 60_000
          + " minutes");
    }
  }

  /** A growing list of offsets without a boxed Long per record. */
  static final class Offsets {
    private long[] values = new long[16];
    private int size;

    void add(long offset) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = offset;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }

    int size() {
      return size;
    }
  }
}

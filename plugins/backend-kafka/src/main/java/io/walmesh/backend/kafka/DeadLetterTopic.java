package io.walmesh.backend.kafka;

import io.walmesh.spi.backend.DeadLetterBackend;
import io.walmesh.spi.entry.EntryRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A namespace's DLQ topic as a list that can be replayed and purged. A topic cannot delete single
 * records, so removal is a <em>marker</em> record in the same topic (header {@value #REMOVED_HEADER},
 * value: the removed entry ids, one per line); every node reading the topic sees it. The DLQ
 * consumer group's committed offset is the cursor: everything before it is gone, and it moves up
 * to the first entry still present. Not thread-safe: the backend calls it from one thread.
 *
 * <p>It keeps in memory only where each present dead letter is (its id, partition, offset and size), never its
 * payload: a DLQ filled during a long target outage holds its payloads in the topic, not in the node's heap. A listing
 * or a replay reads the payloads it needs with a second consumer, {@value #RECORDS_PER_READ} records (and at most
 * {@link #BYTES_PER_READ}) at a time.
 */
final class DeadLetterTopic implements AutoCloseable {
  static final String REMOVED_HEADER = "walmesh-dlq-removed";
  private static final int IDS_PER_MARKER = 1_000;
  /** Dead letters read back (payloads in memory) at a time by a replay: at most this many, and {@link #BYTES_PER_READ}. */
  static final int RECORDS_PER_READ = 500;
  static final long BYTES_PER_READ = 16L << 20;
  private static final Logger log = LoggerFactory.getLogger(DeadLetterTopic.class);

  /** Writes one record to the DLQ topic and waits for {@code acks=all}. */
  interface MarkerWriter {
    void write(String entryIdsOnePerLine) throws Exception;
  }

  /** What a replay or purge does with one read of dead letters; answers the ids it is done with. */
  interface Chunk {
    List<String> apply(List<EntryRecord> deadLetters) throws Exception;
  }

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  /** Reads dead letters' payloads back by offset; no group, positioned per read. */
  private final KafkaConsumer<byte[], byte[]> reader;
  private final Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decoder;
  /** Where each dead letter still present is, in topic order, by entry id. */
  private final Map<String, Present> present = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> scanned = new HashMap<>();

  /** Where a dead letter is, and its record's size (so reads of them are bounded by bytes before they start). */
  private record Present(TopicPartition tp, long offset, int bytes) {
  }

  DeadLetterTopic(String topic, KafkaConsumer<byte[], byte[]> consumer, KafkaConsumer<byte[], byte[]> reader,
                  Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decoder) {
    this.topic = topic;
    this.consumer = consumer;
    this.reader = reader;
    this.decoder = decoder;
  }

  /** Assigns the topic's partitions and positions them at the cursor. */
  void open() {
    List<TopicPartition> tps = new ArrayList<>();
    consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
    consumer.assign(tps);
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(tps), Duration.ofSeconds(10));
    Map<TopicPartition, Long> beginning = consumer.beginningOffsets(tps, Duration.ofSeconds(10));
    for (TopicPartition tp : tps) {
      OffsetAndMetadata cursor = committed.get(tp);
      long start = Math.max(beginning.get(tp), cursor == null ? 0 : cursor.offset());
      consumer.seek(tp, start);
      scanned.put(tp, start);
    }
  }

  /** Reads what was appended since the last read; false when it could not reach the end in 30 s (a slow broker). */
  boolean refresh() {
    Map<TopicPartition, Long> end = consumer.endOffsets(scanned.keySet(), Duration.ofSeconds(10));
    long deadline = System.currentTimeMillis() + 30_000;
    while (behind(end) && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        TopicPartition tp = partition(record.partition());
        scanned.put(tp, record.offset() + 1);
        if (record.headers().lastHeader(REMOVED_HEADER) != null) {
          for (String id : new String(record.value() == null ? new byte[0] : record.value(), StandardCharsets.UTF_8).split("\n")) {
            present.remove(id);
          }
        } else {
          present.put(decoder.apply(record).getEntryId(), new Present(tp, record.offset(),
              Math.max(0, record.serializedValueSize())));
        }
      }
      for (TopicPartition tp : scanned.keySet()) {
        scanned.put(tp, Math.max(scanned.get(tp), consumer.position(tp)));
      }
    }
    return !behind(end);
  }

  /** The partition's one {@link TopicPartition}, shared by every dead letter in it. */
  private TopicPartition partition(int partition) {
    for (TopicPartition tp : scanned.keySet()) {
      if (tp.partition() == partition) {
        return tp;
      }
    }
    return new TopicPartition(topic, partition);
  }

  private boolean behind(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (scanned.get(e.getKey()) < e.getValue()) {
        return true;
      }
    }
    return false;
  }

  /** Up to {@code limit} dead letters, oldest first, up to {@link DeadLetterBackend#MAX_LIST_BYTES} of them. */
  List<EntryRecord> list(int limit) {
    refresh();
    List<Map.Entry<String, Present>> first = new ArrayList<>();
    long bytes = 0;
    for (Map.Entry<String, Present> p : present.entrySet()) {
      if (first.size() >= limit || bytes >= DeadLetterBackend.MAX_LIST_BYTES) {
        break;
      }
      first.add(Map.entry(p.getKey(), p.getValue()));
      bytes += p.getValue().bytes();
    }
    return read(first);
  }

  int count() {
    return present.size();
  }

  /**
   * Hands the dead letters with these ids (all when empty), oldest first, to {@code chunk}, {@value #RECORDS_PER_READ}
   * (and at most {@link #BYTES_PER_READ}, or one) at a time, and marks removed the ids each chunk answers before the
   * next is read: a crash part way leaves at most
   * one chunk both requeued and still in the DLQ. Answers how many were removed.
   */
  int removeInChunks(Collection<String> ids, Chunk chunk, MarkerWriter writer) throws Exception {
    refresh();
    List<Map.Entry<String, Present>> chosen = new ArrayList<>();
    for (Map.Entry<String, Present> p : present.entrySet()) {
      if (ids.isEmpty() || ids.contains(p.getKey())) {
        chosen.add(Map.entry(p.getKey(), p.getValue()));
      }
    }
    int removed = 0;
    int from = 0;
    while (from < chosen.size()) {
      int to = from;
      long bytes = 0;
      while (to < chosen.size() && to - from < RECORDS_PER_READ && (to == from || bytes < BYTES_PER_READ)) {
        bytes += chosen.get(to).getValue().bytes();
        to++;
      }
      List<String> done = chunk.apply(read(chosen.subList(from, to)));
      remove(done, writer);
      removed += done.size();
      from = to;
    }
    return removed;
  }

  /** Marks the dead letters with these ids (all when empty) removed, without reading them back. */
  int purge(Collection<String> ids, MarkerWriter writer) throws Exception {
    refresh();
    List<String> chosen = new ArrayList<>();
    for (String id : present.keySet()) {
      if (ids.isEmpty() || ids.contains(id)) {
        chosen.add(id);
      }
    }
    remove(chosen, writer);
    return chosen.size();
  }

  /**
   * Reads these dead letters' records back, in the given order. One the topic no longer holds (its retention deleted
   * it) is left out and forgotten.
   */
  private List<EntryRecord> read(List<Map.Entry<String, Present>> wanted) {
    if (wanted.isEmpty()) {
      return List.of();
    }
    Map<TopicPartition, Long> from = new HashMap<>();
    Map<TopicPartition, Long> to = new HashMap<>();
    Set<String> offsets = new HashSet<>(); // "partition/offset" of each wanted record: only those are decoded and kept
    for (Map.Entry<String, Present> w : wanted) {
      from.merge(w.getValue().tp(), w.getValue().offset(), Math::min);
      to.merge(w.getValue().tp(), w.getValue().offset(), Math::max);
      offsets.add(w.getValue().tp().partition() + "/" + w.getValue().offset());
    }
    reader.assign(from.keySet());
    from.forEach(reader::seek);
    Map<TopicPartition, Map<Long, EntryRecord>> found = new HashMap<>();
    Set<TopicPartition> reading = new HashSet<>(from.keySet());
    long deadline = System.currentTimeMillis() + 30_000;
    while (!reading.isEmpty() && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        if (offsets.contains(record.partition() + "/" + record.offset())
            && record.headers().lastHeader(REMOVED_HEADER) == null) {
          found.computeIfAbsent(tp, t -> new HashMap<>()).put(record.offset(), decoder.apply(record));
        }
      }
      reading.removeIf(tp -> reader.position(tp) > to.get(tp));
    }
    List<EntryRecord> out = new ArrayList<>(wanted.size());
    for (Map.Entry<String, Present> w : wanted) {
      EntryRecord entry = found.getOrDefault(w.getValue().tp(), Map.of()).get(w.getValue().offset());
      if (entry != null && entry.getEntryId().equals(w.getKey())) {
        out.add(entry);
      } else if (reading.contains(w.getValue().tp())) {
        throw new IllegalStateException("reading dead letters back from topic " + topic + " took over 30 s");
      } else {
        log.warn("Dead letter {} is no longer in topic {} (its retention deleted it); forgotten", w.getKey(), topic);
        present.remove(w.getKey());
      }
    }
    return out;
  }

  /** Marks entries removed (after a replay re-appended them, or a purge) and moves the cursor. */
  void remove(List<String> ids, MarkerWriter writer) throws Exception {
    for (int from = 0; from < ids.size(); from += IDS_PER_MARKER) {
      writer.write(String.join("\n", ids.subList(from, Math.min(ids.size(), from + IDS_PER_MARKER))));
    }
    ids.forEach(present::remove);
    Map<TopicPartition, Long> cursor = new HashMap<>(scanned);
    Set<TopicPartition> seen = new HashSet<>();
    for (Present p : present.values()) { // the first present dead letter of each partition
      if (seen.add(p.tp())) {
        cursor.put(p.tp(), p.offset());
        if (seen.size() == scanned.size()) {
          break;
        }
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    cursor.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
    consumer.commitSync(offsets, Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
    reader.close(Duration.ofSeconds(5));
  }
}

package io.walmesh.backend.kafka;

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

/**
 * A namespace's DLQ topic as a list that can be replayed and purged. A topic cannot delete single
 * records, so removal is a <em>marker</em> record in the same topic (header {@value #REMOVED_HEADER},
 * value: the removed entry ids, one per line); every node reading the topic sees it. The DLQ
 * consumer group's committed offset is the cursor: everything before it is gone, and it moves up
 * to the first entry still present. Not thread-safe: the backend calls it from one thread.
 */
final class DeadLetterTopic implements AutoCloseable {
  static final String REMOVED_HEADER = "walmesh-dlq-removed";
  private static final int IDS_PER_MARKER = 1_000;

  /** Writes one record to the DLQ topic and waits for {@code acks=all}. */
  interface MarkerWriter {
    void write(String entryIdsOnePerLine) throws Exception;
  }

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decoder;
  /** The entries still present, in topic order, by entry id. */
  private final Map<String, Present> present = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> scanned = new HashMap<>();

  private record Present(EntryRecord entry, TopicPartition tp, long offset) {
  }

  DeadLetterTopic(String topic, KafkaConsumer<byte[], byte[]> consumer,
                  Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decoder) {
    this.topic = topic;
    this.consumer = consumer;
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

  /** Reads what was appended since the last read. */
  void refresh() {
    Map<TopicPartition, Long> end = consumer.endOffsets(scanned.keySet(), Duration.ofSeconds(10));
    long deadline = System.currentTimeMillis() + 30_000;
    while (behind(end) && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        scanned.put(tp, record.offset() + 1);
        if (record.headers().lastHeader(REMOVED_HEADER) != null) {
          for (String id : new String(record.value() == null ? new byte[0] : record.value(), StandardCharsets.UTF_8).split("\n")) {
            present.remove(id);
          }
        } else {
          EntryRecord entry = decoder.apply(record);
          present.put(entry.getEntryId(), new Present(entry, tp, record.offset()));
        }
      }
      for (TopicPartition tp : scanned.keySet()) {
        scanned.put(tp, Math.max(scanned.get(tp), consumer.position(tp)));
      }
    }
  }

  private boolean behind(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (scanned.get(e.getKey()) < e.getValue()) {
        return true;
      }
    }
    return false;
  }

  /** Up to {@code limit} dead letters, oldest first. */
  List<EntryRecord> list(int limit) {
    refresh();
    List<EntryRecord> out = new ArrayList<>();
    for (Present p : present.values()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(p.entry());
    }
    return out;
  }

  int count() {
    return present.size();
  }

  /** The dead letters with these ids (all when empty), oldest first. */
  List<EntryRecord> select(Collection<String> ids) {
    refresh();
    List<EntryRecord> out = new ArrayList<>();
    for (Present p : present.values()) {
      if (ids.isEmpty() || ids.contains(p.entry().getEntryId())) {
        out.add(p.entry());
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
    for (Present p : present.values()) {
      if (seen.add(p.tp())) {
        cursor.put(p.tp(), p.offset());
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    cursor.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
    consumer.commitSync(offsets, Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}

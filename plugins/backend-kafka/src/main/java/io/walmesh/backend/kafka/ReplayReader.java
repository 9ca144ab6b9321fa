package io.walmesh.backend.kafka;

import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.ReplayRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads what a replay takes from a namespace's queue topic: from the first record produced at or
 * after the range's start (an entry is produced no earlier than its write time) up to the topic's
 * end when the read starts, each entry once. Blocking: runs on the backend's DLQ thread.
 */
final class ReplayReader {
  private static final Duration API_TIMEOUT = Duration.ofSeconds(10);
  private static final long MAX_READ_MS = 10 * 60_000;

  /** The entries a replay queues again, in topic order per partition, and how many it skipped as excluded. */
  record Selection(List<EntryRecord> entries, long excluded) {
  }

  private ReplayReader() {
  }

  /** Reads {@code topic} with {@code reader} (a consumer in no group) and selects what {@code request} covers. */
  static Selection read(KafkaConsumer<byte[], byte[]> reader, String topic, ReplayRequest request,
                        Function<ConsumerRecord<byte[], byte[]>, EntryRecord> decode) {
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
    List<EntryRecord> selected = new ArrayList<>();
    long excluded = 0;
    Set<String> seen = new HashSet<>();
    long deadline = System.currentTimeMillis() + MAX_READ_MS;
    while (tps.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("reading topic " + topic + " for the replay took over " + MAX_READ_MS / 60_000
            + " minutes");
      }
      for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        EntryRecord entry = record.offset() < end.get(tp) ? decode.apply(record) : null;
        // a retried or DLQ-replayed entry is in the topic more than once, with one id
        if (entry == null || !request.covers(entry) || !seen.add(entry.getEntryId())) {
          continue;
        }
        if (request.excludedEntryIds().contains(entry.getEntryId())) {
          excluded++;
        } else {
          selected.add(entry);
        }
      }
    }
    return new Selection(selected, excluded);
  }
}

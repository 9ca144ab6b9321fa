package io.walmesh.backend.kafka;

import io.walmesh.kafka.support.KafkaSender;

import static io.walmesh.backend.support.IdempotentBackendFactory.rootMessage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.backend.support.IdempotentAppends;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.BackendStats;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.backend.ReplayStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One namespace on Kafka.
 * <ul>
 *   <li>Append: the {@link EntryRecord} is produced to {@code wal-kafka-topic} by an idempotent
 *       producer with {@code acks=all}, keyed by the entry key (so a key stays on one partition);
 *       SUCCESS only once Kafka acknowledged it. The entry id is {@code <partition>-<offset>}.</li>
 *   <li>Consume: a {@link ConsumerLoop} in the namespace's consumer group fetches records into a
 *       {@link Window}; a partition's offset is committed only up to its first record not yet
 *       delivered, moved or dead-lettered, so a crash redelivers and never skips.</li>
 *   <li>Delays and retries: a wait shorter than the first delay tier stays in the window; a longer
 *       one (unordered namespaces) moves the record to the largest tier topic not longer than the
 *       wait, whose partitions are paused until their head record is ripe (enqueue time + tier).
 *       A record is therefore never delivered early, and late by at most the first tier when
 *       it ripens behind an earlier one. With per-key order every wait stays in the window: a key's
 *       later records must not overtake it (see docs/backend-kafka.md for the trade-off).</li>
 *   <li>DLQ: {@code wal-kafka-dlq-topic}, listed, replayed and purged through {@link DeadLetterTopic}.</li>
 * </ul>
 *
 * <p>Why it is over 400 lines: it is the whole SPI for one storage, the core methods and the three
 * capabilities it declares (replay, dead letters, counts), wired to its parts. The parts with
 * state or threads of their own live apart: {@link ConsumerLoop}, {@link Window},
 * {@link DeadLetterTopic}, {@link ReplayReader}.
 */
final class KafkaBackend implements io.walmesh.spi.backend.ReplayableBackend, io.walmesh.spi.backend.DeadLetterBackend,
    io.walmesh.spi.backend.CountingBackend, ConsumerLoop.RecordHandler {
  private static final Logger log = LoggerFactory.getLogger(KafkaBackend.class);
  static final String ERROR_HEADER = "walmesh-error";

  private final Vertx vertx;
  private final Context context;
  private final BackendSpec spec;
  private final KafkaBackendOptions options;
  private final KafkaSender producer;
  private final Admin admin;
  private final Window window;
  private final ConsumerLoop loop;
  private final DeadLetterTopic dlq;
  private final ExecutorService dlqThread;
  private final IdempotentAppends appends;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean dueAdded = new AtomicBoolean();
  private final List<TopicPartition> queuePartitions;
  private volatile BackendStats stats = new BackendStats(0, 0, 0, 0);
  /** Whether a periodic count is under way; this and the two below are confined to {@link #context}. */
  private boolean refreshing;
  /** Counts started, and the latest whose result is in {@link #stats} (on the context): an older one finishing late is dropped. */
  private long countsStarted;
  private long countShown;
  private volatile int deadLetters;
  private long statsTimer = -1;

  KafkaBackend(Vertx vertx, BackendSpec spec, KafkaBackendOptions options, KafkaSender producer,
               Admin admin, KafkaConsumer<byte[], byte[]> consumer, KafkaConsumer<byte[], byte[]> dlqConsumer,
               KafkaConsumer<byte[], byte[]> dlqReader, IdempotentAppends appends, List<TopicPartition> queuePartitions) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.spec = spec;
    this.options = options;
    this.producer = producer;
    this.admin = admin;
    this.appends = appends;
    this.queuePartitions = queuePartitions;
    this.window = new Window(spec.orderedByKey());
    this.loop = new ConsumerLoop(spec.namespace(), consumer, window, options, this);
    this.dlq = new DeadLetterTopic(options.dlqTopic, dlqConsumer, dlqReader, this::decodeDead);
    this.dlqThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "walmesh-kafka-dlq-" + spec.namespace());
      t.setDaemon(true);
      return t;
    });
  }

  /** Positions the DLQ reader and starts consuming. */
  Future<Backend> open() {
    return onDlqThread(() -> {
      dlq.open();
      dlq.refresh();
      deadLetters = dlq.count();
      return null;
    }).map(v -> {
      if (spec.consumes()) {
        loop.start();
      }
      statsTimer = vertx.setPeriodic(2_000, id -> context.runOnContext(tick -> {
        if (!refreshing) { // a slow broker answers later than 2 s: one periodic count at a time
          refreshing = true;
          refreshStats().onComplete(done -> refreshing = false);
        }
      }));
      log.info("Namespace {} on Kafka topic {} at {} (DLQ {}, delay tiers {} s, group {})", spec.namespace(), options.topic,
          options.bootstrapServers, options.dlqTopic, options.delayTiersSecs, options.consumerGroup);
      return (Backend) this;
    });
  }

  // ---- append ----

  @Override
  public Future<AppendResult> append(EntryRecord entry) {
    return appends.append(entry, this::store);
  }

  /**
   * An append hands its record to the {@link KafkaSender}, whose queue takes records from any thread in the order they
   * come and completes each on the context that sent it; the idempotency check ({@link IdempotentAppends}) takes
   * appends of one key from several event loops at once. So a write is appended from the gateway's event loop that
   * decoded it, and Kafka's answer comes back there, without a hop onto the producer's context.
   */
  @Override
  public boolean appendsFromAnyContext() {
    return true;
  }

  private Future<AppendResult> store(EntryRecord entry) {
    return produce(options.topic, entry, null)
        .<AppendResult>map(md -> new AppendResult(md.partition() + "-" + md.offset(), false))
        .recover(e -> Future.failedFuture(new AppendException(maybeStored(e) ? AppendException.Kind.MAYBE_STORED
            : AppendException.Kind.NOT_STORED, "Kafka did not acknowledge the entry on topic " + options.topic + " at "
            + options.bootstrapServers + ": " + rootMessage(e), e)));
  }

  /** A retriable Kafka error (a timeout, a broker gone) may come after the broker stored the record. */
  private static boolean maybeStored(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof ApiException)) {
      cause = cause.getCause();
    }
    if (cause instanceof RetriableException) {
      return true;
    }
    return !(cause instanceof ApiException) && !(cause instanceof IllegalStateException);
  }

  private Future<RecordMetadata> produce(String topic, EntryRecord entry, String error) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, System.currentTimeMillis(),
        entry.getKey().isEmpty() ? null : entry.getKey().getBytes(StandardCharsets.UTF_8), entry.toByteArray());
    if (error != null) {
      record.headers().add(new RecordHeader(ERROR_HEADER, error.getBytes(StandardCharsets.UTF_8)));
    }
    try {
      return producer.send(record);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  // ---- consume (ConsumerLoop.RecordHandler, on the loop thread) ----

  @Override
  public void onRecord(TopicPartition tp, ConsumerRecord<byte[], byte[]> record) {
    EntryRecord entry = decode(record);
    if (entry == null) {
      EntryRecord foreign = foreign(record, "not a walmesh entry");
      Window.Slot slot = window.addMoving(tp, record.offset(), foreign);
      if (slot == null) {
        return; // the partition was revoked meanwhile
      }
      log.warn("Namespace {}: record {} is not a walmesh entry; moving it to {}", spec.namespace(), foreign.getEntryId(),
          options.dlqTopic);
      context.runOnContext(v -> moveTo(slot, options.dlqTopic, foreign));
      return;
    }
    long remaining = entry.getDueAtMs() - System.currentTimeMillis();
    if (!spec.orderedByKey() && remaining >= firstTierMs()) {
      Window.Slot slot = window.addMoving(tp, record.offset(), entry);
      if (slot != null) {
        context.runOnContext(v -> moveTo(slot, tierFor(remaining), entry));
      }
    } else {
      window.add(tp, record.offset(), entry);
      if (remaining <= 0) {
        dueAdded.set(true);
      }
    }
  }

  @Override
  public void afterBatch() {
    if (dueAdded.getAndSet(false)) {
      listeners.forEach(Runnable::run);
    }
  }

  private long firstTierMs() {
    return options.delayTiersSecs.get(0) * 1000L;
  }

  /** The largest tier not longer than the wait. */
  private String tierFor(long remainingMs) {
    int chosen = options.delayTiersSecs.get(0);
    for (int tier : options.delayTiersSecs) {
      if (tier * 1000L <= remainingMs) {
        chosen = tier;
      }
    }
    return options.tierTopic(chosen);
  }

  /** Produces a held record to another topic; settles it once acknowledged, else keeps it waiting here. */
  private Future<Void> moveTo(Window.Slot slot, String topic, EntryRecord entry) {
    return produce(topic, entry, topic.equals(options.dlqTopic) ? entry.getLastError() : null).transform(ar -> {
      if (ar.succeeded()) {
        window.settle(slot);
        return Future.succeededFuture();
      }
      log.warn("Namespace {}: moving entry {} to {} failed; it waits in memory and is tried again: {}", spec.namespace(),
          entry.getEntryId(), topic, rootMessage(ar.cause()));
      window.reschedule(slot, entry.toBuilder().setDueAtMs(Math.max(entry.getDueAtMs(), System.currentTimeMillis() + 1_000))
          .build());
      return Future.failedFuture("could not write entry " + entry.getEntryId() + " to Kafka topic " + topic + ": "
          + rootMessage(ar.cause()) + "; it stays queued");
    });
  }

  /** The record of a walmesh entry, with its id; null when the value is not one. */
  private EntryRecord decode(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      return null;
    }
    try {
      EntryRecord entry = EntryRecord.parseFrom(record.value());
      if (entry.getNamespace().isEmpty() && entry.getWriteTimeMs() == 0) {
        return null; // parsed, but nothing a walmesh producer wrote
      }
      return entry.getEntryId().isEmpty() ? entry.toBuilder().setEntryId(record.partition() + "-" + record.offset()).build()
          : entry;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private EntryRecord decodeDead(ConsumerRecord<byte[], byte[]> record) {
    EntryRecord entry = decode(record);
    return entry != null ? entry : foreign(record, "not a walmesh entry");
  }

  private EntryRecord foreign(ConsumerRecord<byte[], byte[]> record, String why) {
    return EntryRecord.newBuilder().setEntryId(record.topic() + "-" + record.partition() + "-" + record.offset())
        .setNamespace(spec.namespace()).setLastError(why)
        .setPayload(record.value() == null ? ByteString.EMPTY : ByteString.copyFrom(record.value()))
        .setDeadAtMs(System.currentTimeMillis()).build();
  }

  // ---- Backend: poll and settle (event loop) ----

  @Override
  public Future<List<Lease>> poll(int max) {
    List<Lease> leases = new ArrayList<>();
    for (Window.Slot slot : window.lease(max, System.currentTimeMillis())) {
      leases.add(new Lease(slot.entry, slot));
    }
    return Future.succeededFuture(leases);
  }

  @Override
  public Future<Void> ack(Lease lease) {
    window.settle((Window.Slot) lease.token());
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> retry(Lease lease, EntryRecord updated) {
    Window.Slot slot = (Window.Slot) lease.token();
    long remaining = updated.getDueAtMs() - System.currentTimeMillis();
    if (!spec.orderedByKey() && remaining >= firstTierMs() && window.moving(slot)) {
      return moveTo(slot, tierFor(remaining), updated).otherwiseEmpty();
    }
    window.reschedule(slot, updated);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> deadLetter(Lease lease, EntryRecord updated) {
    Window.Slot slot = (Window.Slot) lease.token();
    if (!window.moving(slot)) {
      return Future.succeededFuture(); // its partition moved to another consumer, which redelivers it
    }
    return moveTo(slot, options.dlqTopic, updated).onSuccess(v -> deadLetters++);
  }

  @Override
  public void onAvailable(Runnable listener) {
    listeners.add(listener);
  }

  // ---- DLQ ----

  private <T> Future<T> onDlqThread(java.util.concurrent.Callable<T> task) {
    return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return task.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, dlqThread), context);
  }

  @Override
  public Future<List<EntryRecord>> listDeadLetters(int limit) {
    return onDlqThread(() -> {
      List<EntryRecord> list = dlq.list(limit);
      deadLetters = dlq.count();
      return list;
    });
  }

  /**
   * Produces the chosen dead letters to the queue topic again, due now with their attempts reset, a read of
   * {@value DeadLetterTopic#RECORDS_PER_READ} at a time: each read is produced together, awaited, then marked removed.
   */
  @Override
  public Future<Integer> replayDeadLetters(List<String> entryIds) {
    return onDlqThread(() -> {
      long now = System.currentTimeMillis();
      try {
        return dlq.removeInChunks(Set.copyOf(entryIds), chunk -> {
          List<Future<RecordMetadata>> sent = new ArrayList<>(chunk.size());
          for (EntryRecord entry : chunk) {
            sent.add(produce(options.topic, entry.toBuilder().setAttempts(0).setDueAtMs(now).setDeadAtMs(0).build(), null));
          }
          await(Future.join(sent).otherwiseEmpty()); // each settles; those that failed stay in the DLQ
          List<String> done = new ArrayList<>(chunk.size());
          for (int i = 0; i < chunk.size(); i++) {
            if (sent.get(i).succeeded()) {
              done.add(chunk.get(i).getEntryId());
            }
          }
          if (done.size() < chunk.size()) {
            dlq.remove(done, this::writeMarker);
            throw new IllegalStateException("replaying dead letters of namespace " + spec.namespace() + " stopped: "
                + (chunk.size() - done.size()) + " could not be produced to topic " + options.topic + "; they stay in"
                + " the DLQ: " + sent.stream().filter(Future::failed).findFirst().map(f -> rootMessage(f.cause())).orElse(""));
          }
          return done;
        }, this::writeMarker);
      } finally {
        deadLetters = dlq.count();
      }
    });
  }

  @Override
  public Future<Integer> purgeDeadLetters(List<String> entryIds) {
    return onDlqThread(() -> {
      try {
        return dlq.purge(Set.copyOf(entryIds), this::writeMarker);
      } finally {
        deadLetters = dlq.count();
      }
    });
  }

  private void writeMarker(String ids) throws Exception {
    ProducerRecord<byte[], byte[]> marker = new ProducerRecord<>(options.dlqTopic, ids.getBytes(StandardCharsets.UTF_8));
    marker.headers().add(new RecordHeader(DeadLetterTopic.REMOVED_HEADER, new byte[] {1}));
    await(producer.send(marker));
  }

  // ---- replay ----

  /** Replays started on this node (the latest {@value #MAX_REMEMBERED_REPLAYS}): where their records went, and how many were skipped. */
  private final Map<String, Replayed> replays = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<String> replayOrder = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private static final int MAX_REMEMBERED_REPLAYS = 100;
  private final java.util.concurrent.atomic.AtomicLong replayIds = new java.util.concurrent.atomic.AtomicLong();

  /** Where a replay's records went in the queue topic: their offsets per partition, ascending. */
  private record Replayed(Map<TopicPartition, long[]> offsets, long count, long excluded) {
  }

  /**
   * Produces again each entry of the queue topic that the replay covers ({@link ReplayReader}), once, due now, attempts
   * reset, keeping its id and write time; a poll's worth at a time, so a replay of any size holds one poll of payloads.
   * One covering more than {@code -Dwalmesh.kafka.max-replay-entries} entries is refused before anything is produced.
   * The topic's retention bounds how far back a replay can go.
   */
  @Override
  public Future<ReplayStatus> replay(ReplayRequest request) {
    String id = spec.namespace() + "-" + System.currentTimeMillis() + "-" + replayIds.incrementAndGet();
    long maxEntries = ReplayReader.maxReplayEntries();
    return onDlqThread(() -> {
      Map<TopicPartition, ReplayReader.Offsets> produced = new HashMap<>();
      long count;
      long excluded;
      try (KafkaConsumer<byte[], byte[]> reader = KafkaBackendFactory.reader(options, "walmesh-replay-" + id)) {
        ReplayReader.Selection selection = ReplayReader.select(reader, options.topic, spec.namespace(), request,
            this::decode, maxEntries);
        excluded = selection.excluded();
        long now = System.currentTimeMillis();
        count = selection.count() == 0 ? 0 : ReplayReader.reread(reader, options.topic, selection, this::decode, batch -> {
          // produced together (the idempotent producer keeps each partition's order), then awaited
          List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
          for (EntryRecord entry : batch) {
            sent.add(produce(options.topic, request.requeue(entry, id, now), null));
          }
          try {
            await(Future.all(sent));
          } catch (Exception e) {
            throw new IllegalStateException("replay " + id + " of namespace " + spec.namespace() + " stopped: producing"
                + " to topic " + options.topic + " failed after " + produced.values().stream()
                .mapToLong(ReplayReader.Offsets::size).sum() + " entries were requeued: " + e.getMessage(), e);
          }
          for (Future<RecordMetadata> f : sent) {
            produced.computeIfAbsent(new TopicPartition(f.result().topic(), f.result().partition()),
                tp -> new ReplayReader.Offsets()).add(f.result().offset());
          }
        });
      }
      Map<TopicPartition, long[]> offsets = new HashMap<>();
      produced.forEach((tp, o) -> offsets.put(tp, o.toArray()));
      replays.put(id, new Replayed(offsets, count, excluded));
      replayOrder.add(id);
      while (replayOrder.size() > MAX_REMEMBERED_REPLAYS) {
        replays.remove(replayOrder.poll());
      }
      return new ReplayStatus(id, count, excluded, count, -1);
    });
  }

  /** Counts the replayed records the consumer group has not committed past yet (on any node). */
  @Override
  public Future<ReplayStatus> replayStatus(String id) {
    Replayed replayed = replays.get(id);
    if (replayed == null) {
      return Future.failedFuture(new java.util.NoSuchElementException("no replay " + id + " of namespace "
          + spec.namespace() + " was started on this node since it started (it remembers the latest "
          + MAX_REMEMBERED_REPLAYS + ")"));
    }
    return Future.fromCompletionStage(admin.listConsumerGroupOffsets(options.consumerGroup).partitionsToOffsetAndMetadata()
        .toCompletionStage(), context).map(committed -> {
          long remaining = 0;
          for (Map.Entry<TopicPartition, long[]> e : replayed.offsets().entrySet()) {
            OffsetAndMetadata at = committed.get(e.getKey());
            long[] offsets = e.getValue();
            // a record at offset o is consumed once the group's committed offset (the next to read) is past it
            int consumed = at == null ? 0 : lowerBound(offsets, at.offset());
            remaining += offsets.length - consumed;
          }
          return new ReplayStatus(id, replayed.count(), replayed.excluded(), remaining, -1);
        });
  }

  /** How many of the ascending {@code values} are below {@code limit}. */
  private static int lowerBound(long[] values, long limit) {
    int at = java.util.Arrays.binarySearch(values, limit);
    return at >= 0 ? at : -at - 1;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  // ---- stats ----

  /**
   * Counts what is stored and not yet settled (every 2 s, and for {@link #countNow}), never what retention deleted
   * before it was fetched. A partition this node consumes is counted from its window ({@link Window.Held#pending}):
   * the group's committed offset stays at the first unsettled record, so the lag behind it also counts the records
   * settled after that one. Another partition is counted from the group's committed offset, or from the log's start
   * when the group has none (or one that retention has deleted past), where its consumer would begin
   * ({@code auto.offset.reset=earliest}).
   *
   * <p>The order of the reads makes a count run over rather than under: the window and the committed offsets are read
   * before the end offsets, so a record that moves to a tier topic meanwhile (on this node or another) is still
   * counted where it was, or already where it went, or both.
   */
  private Future<BackendStats> refreshStats() {
    long count = ++countsStarted;
    Map<TopicPartition, Window.Held> held = window.held();
    java.util.Set<TopicPartition> partitions = new java.util.HashSet<>(queuePartitions);
    partitions.addAll(held.keySet()); // one the topic gained after this namespace opened
    return Future.fromCompletionStage(admin.listConsumerGroupOffsets(options.consumerGroup).partitionsToOffsetAndMetadata()
            .toCompletionStage(), context)
        .compose(committed -> {
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
          partitions.forEach(tp -> {
            latest.put(tp, OffsetSpec.latest());
            earliest.put(tp, OffsetSpec.earliest());
          });
          Future<Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo>> ends =
              Future.fromCompletionStage(admin.listOffsets(latest).all().toCompletionStage(), context);
          Future<Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo>> starts =
              Future.fromCompletionStage(admin.listOffsets(earliest).all().toCompletionStage(), context);
          return Future.all(ends, starts).map(v -> count(held, committed, ends.result(), starts.result()));
        })
        .onSuccess(counted -> {
          if (count > countShown) {
            countShown = count;
            stats = counted;
          }
        })
        .onFailure(e -> log.debug("Namespace {}: reading Kafka offsets for stats failed: {}", spec.namespace(), e.toString()));
  }

  private BackendStats count(Map<TopicPartition, Window.Held> held, Map<TopicPartition, OffsetAndMetadata> committed,
                             Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends,
                             Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts) {
    long pending = 0;
    for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end : ends.entrySet()) {
      TopicPartition tp = end.getKey();
      long endOffset = end.getValue().offset();
      ListOffsetsResult.ListOffsetsResultInfo start = starts.get(tp);
      long startOffset = start == null ? 0 : start.offset();
      Window.Held here = held.get(tp);
      if (here != null) {
        pending += here.pending(startOffset, endOffset);
        continue;
      }
      OffsetAndMetadata at = committed.get(tp);
      pending += Math.max(0, endOffset - Math.max(at == null ? 0 : at.offset(), startOffset));
    }
    long nextDue = window.nextDue();
    long lag = nextDue == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - nextDue);
    return new BackendStats(pending, window.leased(), deadLetters, lag);
  }

  /**
   * Reads the DLQ topic to its end, then the offsets: every append answered before this call is in the count, and so
   * is every dead letter, also those another node's consumer moved there (the count this node keeps otherwise follows
   * only its own DLQ calls: a node that only takes writes would count none).
   */
  @Override
  public Future<BackendStats> countNow() {
    return onDlqThread(() -> { // completes on the backend's context, where the offsets are counted
      if (!dlq.refresh()) {
        throw new IllegalStateException("the DLQ topic " + options.dlqTopic + " could not be read to its end in 30 s, so"
            + " its dead letters cannot be counted");
      }
      deadLetters = dlq.count();
      return null;
    }).compose(v -> refreshStats());
  }

  @Override
  public BackendStats stats() {
    return stats;
  }

  // ---- lifecycle ----

  @Override
  public Future<Void> close() {
    if (statsTimer >= 0) {
      vertx.cancelTimer(statsTimer);
      statsTimer = -1;
    }
    appends.close();
    listeners.clear();
    Future<Void> loopStopped = Future.fromCompletionStage(loop.stop(), context);
    return loopStopped
        .transform(v -> onDlqThread(() -> {
          dlq.close();
          return null;
        }))
        .transform(v -> producer.close(java.time.Duration.ofSeconds(10)))
        .transform(v -> {
          dlqThread.shutdown();
          return vertx.executeBlocking(() -> {
            admin.close(java.time.Duration.ofSeconds(5));
            return null;
          });
        });
  }

  /** Stops consuming, deletes the groups and topics ({@link KafkaStoreDeletion}), forgets the idempotency keys, closes. */
  @Override
  public Future<Void> destroy() {
    List<String> topics = new ArrayList<>(List.of(options.topic, options.dlqTopic));
    options.delayTiersSecs.forEach(t -> topics.add(options.tierTopic(t)));
    Future<Void> loopStopped = Future.fromCompletionStage(loop.stop(), context);
    List<String> groups = List.of(options.consumerGroup, options.consumerGroup + ".dlq");
    return loopStopped.transform(v -> new KafkaStoreDeletion(vertx, context, admin, spec.namespace()).delete(groups, topics))
        .transform(v -> appends.forgetAll().onFailure(e -> log.warn(e.getMessage())))
        .transform(v -> close());
  }
}

package io.walmesh.backend.sqs;

import static io.walmesh.backend.support.IdempotentBackendFactory.rootMessage;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.backend.support.IdempotencyStore;
import io.walmesh.backend.support.IdempotentAppends;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.BackendStats;
import io.walmesh.spi.backend.Lease;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * One namespace on SQS. The message body is the base64 of the {@link EntryRecord}; the entry id is
 * the SQS message id of the first send, carried in the record when it is re-enqueued.
 * <ul>
 *   <li>Append: one entry of a {@code SendMessageBatch} ({@link SendBatcher}: the writes that queue while
 *       {@code max-sends-in-flight} calls are out share the next call) with {@code DelaySeconds} = the
 *       remaining delay, capped at {@code max-native-delay-secs}; SUCCESS once SQS answered for that entry.</li>
 *   <li>Poll: {@code ReceiveMessage} with the visibility timeout as the lease. A message received
 *       before its due time (a delay past the cap) is re-enqueued with the remaining delay.</li>
 *   <li>Retry and long delays re-enqueue (send, then delete): a crash in between gives a duplicate,
 *       never a loss. DLQ: send to the DLQ queue, then delete.</li>
 *   <li>Idempotency keys are kept in the node's {@link IdempotencyStore}, synced before the answer
 *       (SQS standard queues have no dedupe); a retry reaching another node is stored again.</li>
 * </ul>
 */
final class SqsBackend implements io.walmesh.spi.backend.DeadLetterBackend, io.walmesh.spi.backend.CountingBackend {
  private static final Logger log = LoggerFactory.getLogger(SqsBackend.class);
  private static final int PEEK_ROUNDS = 50;

  private final Vertx vertx;
  private final SqsAsyncClient sqs;
  private final SqsBackendOptions options;
  private final BackendSpec spec;
  private final PayloadStore payloads;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final IdempotentAppends appends;
  private volatile BackendStats stats = new BackendStats(0, 0, 0, 0);
  /** When this node last sent to the queue or its DLQ (System.currentTimeMillis), for {@link #countNow}. */
  private volatile long lastSendMs;
  private String queueUrl;
  /** Sends to the main queue ({@code queueUrl}) in {@code SendMessageBatch} calls. */
  private SendBatcher sends;
  private String dlqUrl;
  private long statsTimer = -1;

  SqsBackend(Vertx vertx, SqsAsyncClient sqs, SqsBackendOptions options, BackendSpec spec, PayloadStore payloads,
             IdempotencyStore idempotency) {
    this.appends = new IdempotentAppends(vertx, idempotency, spec);
    this.vertx = vertx;
    this.sqs = sqs;
    this.options = options;
    this.spec = spec;
    this.payloads = payloads;
  }

  /** Creates (or finds) the queue and the DLQ queue. */
  Future<Backend> open() {
    return f(sqs.createQueue(b -> b.queueName(options.queue))).compose(q -> {
      queueUrl = q.queueUrl();
      sends = new SendBatcher(sqs, queueUrl, options.maxSendsInFlight);
      return f(sqs.createQueue(b -> b.queueName(options.dlqQueue)));
    }).map(d -> {
      dlqUrl = d.queueUrl();
      statsTimer = vertx.setPeriodic(2_000, id -> refreshStats());
      refreshStats();
      log.info("Namespace {} on SQS queue {} (DLQ {})", spec.namespace(), queueUrl, dlqUrl);
      return (Backend) this;
    }).recover(e -> {
      appends.close();
      return Future.failedFuture(new IllegalStateException("cannot open SQS queues " + options.queue + " / "
        + options.dlqQueue + (options.endpoint == null ? "" : " at " + options.endpoint) + ": " + rootMessage(e), e));
    });
  }

  @Override
  public Future<AppendResult> append(EntryRecord entry) {
    return appends.append(entry, this::store);
  }

  private Future<AppendResult> store(EntryRecord entry) {
    Future<EntryRecord> stored = Base64.getEncoder().encode(entry.toByteArray()).length <= options.maxMessageBytes
        ? Future.succeededFuture(entry)
        : vertx.executeBlocking(() -> entry.toBuilder().clearPayload()
            .setPayloadRef(payloads.put(entry.getPayload().toByteArray())).build());
    return stored.compose(record -> send(queueUrl, record))
        .<AppendResult>map(messageId -> {
          // a delayed entry is not receivable yet: the consumer's own polls find it, a poll now would find nothing
          // (and on a busy queue each receive slows the sends; ElasticMQ serves one queue's calls one at a time)
          if (entry.getDueAtMs() <= System.currentTimeMillis()) {
            listeners.forEach(Runnable::run);
          }
          return new AppendResult(messageId, false);
        })
        .recover(e -> Future.failedFuture(new AppendException(notStored(e) ? AppendException.Kind.NOT_STORED
            : AppendException.Kind.MAYBE_STORED, "SQS SendMessageBatch to " + options.queue + " failed: " + rootMessage(e), e)));
  }

  /**
   * SQS refused the request (a 4xx), or listed the entry as failed in a batch's answer: certainly not stored.
   * Anything else may have reached it.
   */
  private static boolean notStored(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof SendBatcher.EntryFailed
        || cause instanceof SdkServiceException s && s.statusCode() >= 400 && s.statusCode() < 500;
  }

  /** Sends a record, delayed until its due time (capped), and answers its entry id. */
  private Future<String> send(String url, EntryRecord record) {
    lastSendMs = System.currentTimeMillis();
    EntryRecord storedForm = record.getPayloadRef().isEmpty() ? record : record.toBuilder().clearPayload().build();
    int delay = delaySeconds(record.getDueAtMs());
    String body = Base64.getEncoder().encodeToString(storedForm.toByteArray());
    Future<String> messageId = url.equals(queueUrl) ? f(sends.send(body, delay))
        : f(sqs.sendMessage(b -> b.queueUrl(url).messageBody(body).delaySeconds(url.equals(dlqUrl) ? 0 : delay)))
            .map(r -> r.messageId());
    return messageId.map(id -> record.getEntryId().isEmpty() ? id : record.getEntryId());
  }

  private int delaySeconds(long dueAtMs) {
    long remaining = dueAtMs - System.currentTimeMillis();
    if (remaining <= 0) {
      return 0;
    }
    return (int) Math.min(options.maxNativeDelaySecs, (remaining + 999) / 1000);
  }

  @Override
  public Future<List<Lease>> poll(int max) {
    return f(sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(Math.min(max, options.maxMessagesPerPoll))
        .waitTimeSeconds(options.waitTimeSecs).visibilityTimeout(options.visibilityTimeoutSecs)))
        .compose(response -> {
          List<Future<Lease>> leases = new ArrayList<>();
          long now = System.currentTimeMillis();
          for (Message message : response.messages()) {
            EntryRecord record = decode(message);
            if (record == null) {
              leases.add(quarantine(message).map((Lease) null));
            } else if (record.getDueAtMs() > now) {
              // a delay past the native cap, or rounding: back with what remains, never early
              leases.add(send(queueUrl, record).compose(id -> delete(queueUrl, message.receiptHandle())).map((Lease) null));
            } else if (!record.getPayloadRef().isEmpty()) {
              leases.add(vertx.executeBlocking(() -> new Lease(record.toBuilder()
                  .setPayload(ByteString.copyFrom(payloads.get(record.getPayloadRef()))).build(), message.receiptHandle())));
            } else {
              leases.add(Future.succeededFuture(new Lease(record, message.receiptHandle())));
            }
          }
          return Future.join(leases).transform(ignored -> {
            List<Lease> ready = new ArrayList<>();
            for (Future<Lease> lease : leases) {
              if (lease.failed()) {
                log.warn("Namespace {}: a received entry could not be prepared, it comes back after the visibility timeout: {}",
                    spec.namespace(), rootMessage(lease.cause()));
              } else if (lease.result() != null) {
                ready.add(lease.result());
              }
            }
            return Future.succeededFuture(ready);
          });
        });
  }

  /** The record of a message, with its entry id; null when the body is not a walmesh entry. */
  private EntryRecord decode(Message message) {
    try {
      EntryRecord record = EntryRecord.parseFrom(Base64.getDecoder().decode(message.body()));
      return record.getEntryId().isEmpty() ? record.toBuilder().setEntryId(message.messageId()).build() : record;
    } catch (Exception e) {
      return null;
    }
  }

  /** A foreign or corrupt message goes to the DLQ as it is, so it neither blocks nor vanishes. */
  private Future<Void> quarantine(Message message) {
    log.warn("Namespace {}: message {} on {} is not a walmesh entry; moved to {}", spec.namespace(), message.messageId(),
        options.queue, options.dlqQueue);
    lastSendMs = System.currentTimeMillis();
    return f(sqs.sendMessage(b -> b.queueUrl(dlqUrl).messageBody(message.body())))
        .compose(r -> delete(queueUrl, message.receiptHandle()));
  }

  private Future<Void> delete(String url, String receiptHandle) {
    return f(sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(receiptHandle))).mapEmpty();
  }

  @Override
  public Future<Void> ack(Lease lease) {
    return delete(queueUrl, (String) lease.token()).compose(v -> deletePayload(lease.entry()));
  }

  /** SQS takes at most this many entries per {@code DeleteMessageBatch}. */
  static final int DELETE_BATCH = 10;

  /**
   * Deletes in {@code DeleteMessageBatch} calls of up to {@value #DELETE_BATCH} instead of one call
   * per entry. An entry the batch reports as failed stays in the queue and is delivered again once
   * its visibility timeout passes; the returned future then fails and names how many.
   */
  @Override
  public Future<Void> ackAll(List<Lease> leases) {
    if (leases.size() == 1) {
      return ack(leases.get(0));
    }
    List<Future<Void>> parts = new ArrayList<>();
    for (int from = 0; from < leases.size(); from += DELETE_BATCH) {
      List<Lease> chunk = leases.subList(from, Math.min(leases.size(), from + DELETE_BATCH));
      List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>(chunk.size());
      for (int i = 0; i < chunk.size(); i++) {
        entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i))
            .receiptHandle((String) chunk.get(i).token()).build());
      }
      parts.add(f(sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(entries))).compose(result -> {
        Set<String> failed = new HashSet<>();
        result.failed().forEach(failure -> failed.add(failure.id()));
        List<Future<Void>> payloadDeletes = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
          if (!failed.contains(Integer.toString(i))) {
            payloadDeletes.add(deletePayload(chunk.get(i).entry()));
          }
        }
        Future<Void> payloadsDeleted = Future.all(payloadDeletes).mapEmpty();
        if (failed.isEmpty()) {
          return payloadsDeleted;
        }
        String why = result.failed().get(0).code() + ": " + result.failed().get(0).message();
        return payloadsDeleted.transform(ignored -> Future.failedFuture(new IllegalStateException("SQS did not delete "
            + failed.size() + " of " + chunk.size() + " delivered messages (" + why + "); they are delivered again")));
      }));
    }
    return Future.join(parts).mapEmpty();
  }

  /** {@code SendMessageBatch} calls made to the main queue so far, and the messages they carried. */
  long[] sendCallsAndMessages() {
    return sends.callsAndMessages();
  }

  private Future<Void> deletePayload(EntryRecord record) {
    if (record.getPayloadRef().isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      payloads.delete(record.getPayloadRef());
      return null;
    });
  }

  @Override
  public Future<Void> retry(Lease lease, EntryRecord updated) {
    return send(queueUrl, updated).compose(id -> delete(queueUrl, (String) lease.token()));
  }

  @Override
  public Future<Void> deadLetter(Lease lease, EntryRecord updated) {
    return send(dlqUrl, updated).compose(id -> delete(queueUrl, (String) lease.token()))
        .onSuccess(v -> refreshStats());
  }

  @Override
  public void onAvailable(Runnable listener) {
    listeners.add(listener);
  }

  /** Receives dead letters (hidden for a moment), hands each to {@code action}, and re-shows the rest. */
  private Future<Integer> overDeadLetters(int limit, java.util.function.Function<Message, Future<Boolean>> action) {
    List<Message> keep = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int[] acted = {0};
    boolean[] exhausted = {false};
    Future<Void> rounds = Future.succeededFuture();
    for (int round = 0; round < PEEK_ROUNDS; round++) {
      rounds = rounds.compose(v -> {
        if (exhausted[0] || acted[0] + keep.size() >= limit) {
          return Future.succeededFuture();
        }
        return f(sqs.receiveMessage(b -> b.queueUrl(dlqUrl).maxNumberOfMessages(10).waitTimeSeconds(0).visibilityTimeout(30)))
            .compose(response -> {
              exhausted[0] = response.messages().isEmpty();
              List<Future<Void>> steps = new ArrayList<>();
              for (Message message : response.messages()) {
                if (!seen.add(message.messageId())) {
                  continue;
                }
                steps.add(action.apply(message).map(done -> {
                  if (done) {
                    acted[0]++;
                  } else {
                    keep.add(message);
                  }
                  return null;
                }));
              }
              return Future.all(steps).mapEmpty();
            });
      });
    }
    return rounds.transform(ar -> {
      List<Future<?>> reshow = new ArrayList<>();
      for (Message message : keep) {
        reshow.add(f(sqs.changeMessageVisibility(b -> b.queueUrl(dlqUrl).receiptHandle(message.receiptHandle()).visibilityTimeout(0))));
      }
      return Future.join(reshow).transform(v -> {
        refreshStats();
        return ar.succeeded() ? Future.succeededFuture(acted[0]) : Future.failedFuture(ar.cause());
      });
    });
  }

  @Override
  public Future<List<EntryRecord>> listDeadLetters(int limit) {
    List<EntryRecord> records = new ArrayList<>();
    long[] bytes = {0};
    return overDeadLetters(limit, message -> {
      if (bytes[0] >= MAX_LIST_BYTES) {
        return Future.succeededFuture(false); // the listing holds enough payload: the rest is shown again, unread
      }
      EntryRecord record = decode(message);
      EntryRecord listed = record != null ? record : EntryRecord.newBuilder().setEntryId(message.messageId())
          .setLastError("not a walmesh entry").setPayload(ByteString.copyFromUtf8(message.body())).build();
      records.add(listed);
      bytes[0] += listed.getPayload().size();
      return Future.succeededFuture(false);
    }).map(n -> records.size() > limit ? records.subList(0, limit) : records);
  }

  @Override
  public Future<Integer> replayDeadLetters(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    return overDeadLetters(Integer.MAX_VALUE, message -> {
      EntryRecord record = decode(message);
      if (record == null || (!ids.isEmpty() && !ids.contains(record.getEntryId()))) {
        return Future.succeededFuture(false);
      }
      EntryRecord again = record.toBuilder().setAttempts(0).setDueAtMs(System.currentTimeMillis()).setDeadAtMs(0).build();
      return send(queueUrl, again).compose(id -> delete(dlqUrl, message.receiptHandle())).map(true);
    }).onSuccess(n -> listeners.forEach(Runnable::run));
  }

  @Override
  public Future<Integer> purgeDeadLetters(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    return overDeadLetters(Integer.MAX_VALUE, message -> {
      EntryRecord record = decode(message);
      String id = record == null ? message.messageId() : record.getEntryId();
      if (!ids.isEmpty() && !ids.contains(id)) {
        return Future.succeededFuture(false);
      }
      return delete(dlqUrl, message.receiptHandle())
          .compose(v -> record == null ? Future.succeededFuture() : deletePayload(record)).map(true);
    });
  }

  /** Reads the queues' attributes now (every 2 s, after dead-letter changes, and for {@link #countNow}). */
  private Future<BackendStats> refreshStats() {
    if (queueUrl == null || dlqUrl == null) {
      return Future.succeededFuture(stats);
    }
    return f(sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)))
        .compose(main -> f(sqs.getQueueAttributes(b -> b.queueUrl(dlqUrl)
            .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))).map(dlq -> {
              long visible = count(main, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
              long leased = count(main, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
              long delayed = count(main, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED);
              BackendStats counted = new BackendStats(visible + leased + delayed, leased,
                  count(dlq, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES), 0);
              stats = counted;
              return counted;
            }))
        .onFailure(e -> log.debug("Namespace {}: reading SQS queue attributes failed: {}", spec.namespace(), rootMessage(e)));
  }

  private static long count(GetQueueAttributesResponse response, QueueAttributeName name) {
    String value = response.attributes().get(name);
    return value == null ? 0 : Long.parseLong(value);
  }

  @Override
  public BackendStats stats() {
    return stats;
  }

  /**
   * Reads the queues' attributes now; they are SQS's approximate counts, which lag a send by up to a minute (Amazon
   * says so; ElasticMQ keeps them exact). Within {@code counts-lag-secs} of this node's last send to either queue, a
   * count could miss what it sent, so it fails instead, saying when to retry: a delete or a move without force is then
   * refused rather than made on a count that may be short.
   */
  @Override
  public Future<BackendStats> countNow() {
    long since = System.currentTimeMillis() - lastSendMs;
    if (since < options.countsLagMs) {
      long retryIn = (options.countsLagMs - since + 999) / 1000;
      return Future.failedFuture(new IllegalStateException("SQS counts lag a send by up to " + options.countsLagMs / 1000
          + " s (counts-lag-secs) and this node sent to queue " + options.queue + " or its DLQ " + since / 1000
          + " s ago, so a count now could miss it; retry in " + retryIn + " s"));
    }
    return refreshStats();
  }

  @Override
  public Future<Void> close() {
    if (statsTimer >= 0) {
      vertx.cancelTimer(statsTimer);
      statsTimer = -1;
    }
    appends.close();
    listeners.clear();
    // the SDK's Netty client waits out a 2 s quiet period in close(): never on the caller's event loop
    return vertx.executeBlocking(() -> {
      sqs.close();
      return null;
    });
  }

  /**
   * Deletes the queue and its DLQ, and the namespace's out-of-line payloads. Deleted rather than purged: a purge takes
   * up to a minute and may delete messages sent meanwhile, so a namespace created again on the same queue could lose
   * writes it acknowledged; after a delete, Amazon SQS refuses a queue of the same name for 60 s, and the namespace's
   * creation says so.
   */
  @Override
  public Future<Void> destroy() {
    Future<Void> deleted = Future.succeededFuture();
    if (queueUrl != null) {
      deleted = f(sqs.deleteQueue(b -> b.queueUrl(queueUrl))).compose(r -> f(sqs.deleteQueue(b -> b.queueUrl(dlqUrl))))
          .<Void>mapEmpty().onFailure(e -> log.warn("Namespace {}: deleting SQS queues {} and {} failed; delete them by"
              + " hand before a namespace uses them again: {}", spec.namespace(), options.queue, options.dlqQueue,
              rootMessage(e)));
    }
    return deleted
        .transform(v -> vertx.<Void>executeBlocking(() -> {
          payloads.deleteAll();
          return null;
        }).onFailure(e -> log.warn("Namespace {}: deleting its out-of-line payloads failed: {}", spec.namespace(),
            rootMessage(e))))
        .transform(v -> appends.forgetAll().onFailure(e -> log.warn(e.getMessage())))
        .transform(v -> close());
  }

  private <T> Future<T> f(CompletableFuture<T> future) {
    return Future.fromCompletionStage(future, vertx.getOrCreateContext());
  }
}

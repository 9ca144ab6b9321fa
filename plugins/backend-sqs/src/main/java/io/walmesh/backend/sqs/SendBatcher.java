package io.walmesh.backend.sqs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;

/**
 * Sends the messages of one queue with {@code SendMessageBatch}, the group commit of the SQS
 * backend: at most {@code maxInFlight} calls are in flight, and the messages that queue up
 * meanwhile go out together in the next call, up to {@value #MAX_ENTRIES} and
 * {@value #MAX_BATCH_BYTES} bytes (SQS's limits for one call). Under light load each message goes
 * out at once, alone; under heavy load one call carries ten, so a namespace reaches ten times the
 * messages per second for the same calls.
 *
 * <p>Each message is answered on its own: its message id once SQS stored it, or the reason SQS gave
 * for that entry ({@link EntryFailed}), or the call's own failure.
 * Thread-safe: appends come from the producer's event loop, answers from the SDK's threads.
 */
final class SendBatcher {
  /** SQS's limit on entries per {@code SendMessageBatch}. */
  static final int MAX_ENTRIES = 10;
  /** SQS's limit on the total size of the message bodies of one {@code SendMessageBatch}. */
  static final int MAX_BATCH_BYTES = 262_144;

  /** SQS listed one entry of a batch as failed: that entry is not stored. */
  static final class EntryFailed extends RuntimeException {
    EntryFailed(String message) {
      super(message);
    }
  }

  private record Pending(String body, int delaySeconds, CompletableFuture<String> answer) {
  }

  private final SqsAsyncClient sqs;
  private final String queueUrl;
  private final int maxInFlight;
  private final ArrayDeque<Pending> queued = new ArrayDeque<>();
  private int inFlight;
  private long calls;
  private long messages;

  SendBatcher(SqsAsyncClient sqs, String queueUrl, int maxInFlight) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.maxInFlight = maxInFlight;
  }

  /** Sends one message body with its delay; answers SQS's message id. */
  CompletableFuture<String> send(String body, int delaySeconds) {
    CompletableFuture<String> answer = new CompletableFuture<>();
    List<Pending> batch;
    synchronized (this) {
      queued.add(new Pending(body, delaySeconds, answer));
      batch = nextBatch();
    }
    if (batch != null) {
      dispatch(batch);
    }
    return answer;
  }

  /** {@code SendMessageBatch} calls made so far, and the messages they carried: how well sends batch. */
  synchronized long[] callsAndMessages() {
    return new long[] {calls, messages};
  }

  /** The next call's messages, or null when none is queued or the in-flight limit is reached. Holds the lock. */
  private List<Pending> nextBatch() {
    if (queued.isEmpty() || inFlight >= maxInFlight) {
      return null;
    }
    List<Pending> batch = new ArrayList<>(Math.min(MAX_ENTRIES, queued.size()));
    int bytes = 0;
    while (!queued.isEmpty() && batch.size() < MAX_ENTRIES
        && (batch.isEmpty() || bytes + queued.peek().body().length() <= MAX_BATCH_BYTES)) {
      Pending next = queued.poll();
      bytes += next.body().length(); // bodies are base64: one byte per char
      batch.add(next);
    }
    inFlight++;
    calls++;
    messages += batch.size();
    return batch;
  }

  private void dispatch(List<Pending> batch) {
    List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i)).messageBody(p.body())
          .delaySeconds(p.delaySeconds()).build());
    }
    CompletableFuture<?> call;
    try {
      call = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries)).whenComplete((result, failure) -> {
        if (failure != null) {
          batch.forEach(p -> p.answer().completeExceptionally(failure));
          return;
        }
        Map<String, Pending> byId = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
          byId.put(Integer.toString(i), batch.get(i));
        }
        for (SendMessageBatchResultEntry ok : result.successful()) {
          Pending p = byId.remove(ok.id());
          if (p != null) {
            p.answer().complete(ok.messageId());
          }
        }
        for (BatchResultErrorEntry failed : result.failed()) {
          Pending p = byId.remove(failed.id());
          if (p != null) {
            p.answer().completeExceptionally(new EntryFailed("SQS refused the entry: " + failed.code() + ": "
                + failed.message()));
          }
        }
        // an entry SQS's answer does not mention may or may not be stored
        byId.values().forEach(p -> p.answer().completeExceptionally(
            SdkClientException.create("SQS's SendMessageBatch answer did not mention the entry")));
      });
    } catch (RuntimeException e) { // the SDK refused to build the request
      batch.forEach(p -> p.answer().completeExceptionally(e));
      call = CompletableFuture.completedFuture(null);
    }
    call.whenComplete((ignored, failure) -> {
      List<Pending> next;
      synchronized (this) {
        inFlight--;
        next = nextBatch();
      }
      if (next != null) {
        dispatch(next);
      }
    });
  }
}

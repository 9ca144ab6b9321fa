package io.walmesh.client.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.walmesh.client.Durability;
import io.walmesh.client.Outcome;
import io.walmesh.client.RetryPolicy;
import io.walmesh.client.WriteException;
import io.walmesh.client.WriteResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One client call (a write, or a batch of them) with its deadline and retries. It sends every
 * unsettled request in rounds, waits with the policy's backoff between rounds, and settles each
 * request when it is stored, when another attempt would not be safe or would not help, when its
 * attempts are used up, or when the next round would not fit before the deadline. All its state
 * lives on one Vert.x context, so it needs no locks; nothing it does blocks.
 */
public final class RetryingCall {
  /** The least time worth starting an attempt with. */
  static final long MIN_ATTEMPT_MS = 20;

  /** Sends one round: the unsettled requests, with the time left; one attempt per request, in order. */
  @FunctionalInterface
  public interface Sender {
    /** Sends {@code requests} with {@code timeoutMs} left; never fails. */
    Future<List<Attempt>> send(List<WriteToLogRequest> requests, long timeoutMs);
  }

  /** A settled request: its result, why the client stopped when that is not obvious, and the transport's error. */
  public record Settled(WriteResult result, String detail, Throwable cause) {
    /** The exception {@link io.walmesh.client.WalmeshClient#write} fails with when not stored. */
    public WriteException toException() {
      return new WriteException(result, detail, cause);
    }
  }

  private static final class Item {
    final WriteToLogRequest request;
    final boolean hasKey;
    int attempts;
    boolean maybeStored;
    Attempt last;
    Settled settled;

    Item(WriteToLogRequest request) {
      this.request = request;
      this.hasKey = !request.getIdempotencyKey().isEmpty();
    }
  }

  private final Context context;
  private final Vertx vertx;
  private final RetryPolicy policy;
  private final Sender sender;
  private final List<Item> items;
  private final long deadlineMs;
  private final long startNanos;
  private final Promise<List<Settled>> promise = Promise.promise();
  private int rounds;
  private boolean inFlight;
  private long backoffTimer = -1;

  /** A call of {@code requests} on {@code context}, ending by {@code deadlineMs} from now. */
  public RetryingCall(Context context, RetryPolicy policy, Sender sender, List<WriteToLogRequest> requests,
                      long deadlineMs) {
    this.context = context;
    this.vertx = context.owner();
    this.policy = policy;
    this.sender = sender;
    this.deadlineMs = deadlineMs;
    this.startNanos = System.nanoTime();
    List<Item> list = new ArrayList<>(requests.size());
    requests.forEach(request -> list.add(new Item(request)));
    this.items = Collections.unmodifiableList(list);
  }

  /** Starts the first round; the future completes (never fails) when every request is settled. */
  public Future<List<Settled>> start() {
    onContext(this::round);
    return promise.future();
  }

  /** Settles every unsettled request as {@link Outcome#CLOSED} now. */
  public void close() {
    onContext(() -> {
      if (promise.future().isComplete()) {
        return;
      }
      if (backoffTimer >= 0) {
        vertx.cancelTimer(backoffTimer);
      }
      for (Item item : items) {
        if (item.settled == null) {
          item.last = Attempt.closed(inFlight);
          item.maybeStored |= inFlight;
          settle(item, "");
        }
      }
      complete();
    });
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private long elapsedMs() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  private long remainingMs() {
    return deadlineMs - elapsedMs();
  }

  private void round() {
    backoffTimer = -1;
    if (promise.future().isComplete()) {
      return;
    }
    List<Item> pending = items.stream().filter(item -> item.settled == null).toList();
    long remaining = remainingMs();
    if (remaining <= 0) { // only when a timer fired late
      pending.forEach(item -> {
        item.last = item.last != null ? item.last : Attempt.deadline(0, false);
        settle(item, deadlineDetail());
      });
      complete();
      return;
    }
    rounds++;
    List<WriteToLogRequest> requests = new ArrayList<>(pending.size());
    pending.forEach(item -> {
      item.attempts++;
      requests.add(item.request);
    });
    Future<List<Attempt>> sent;
    try {
      sent = sender.send(requests, remaining);
    } catch (RuntimeException e) {
      sent = Future.succeededFuture(Collections.nCopies(pending.size(),
          Attempt.unreachable("the request could not be sent: " + e, e, false)));
    }
    inFlight = true;
    sent.onComplete(answered -> {
      inFlight = false;
      if (promise.future().isComplete()) { // closed meanwhile
        return;
      }
      List<Attempt> attempts = answered.succeeded() && answered.result().size() == pending.size() ? answered.result()
          : Collections.nCopies(pending.size(), Attempt.unreachable("the transport failed: "
              + (answered.failed() ? answered.cause() : "wrong number of answers"), answered.cause(), true));
      afterRound(pending, attempts);
    });
  }

  private void afterRound(List<Item> pending, List<Attempt> attempts) {
    List<Item> again = new ArrayList<>();
    for (int i = 0; i < pending.size(); i++) {
      Item item = pending.get(i);
      Attempt attempt = attempts.get(i);
      item.last = attempt;
      item.maybeStored |= attempt.maybeStored();
      if (attempt.outcome() == Outcome.STORED || !attempt.retryable(item.hasKey)) {
        settle(item, attempt.outcome() == Outcome.STORED || item.hasKey || !attempt.maybeStored() ? ""
            : "not retried: the request has no idempotency key, so another attempt could store it twice");
      } else if (item.attempts >= policy.maxAttempts()) {
        settle(item, "gave up after max-attempts " + policy.maxAttempts() + " in " + elapsedMs() + " ms");
      } else {
        again.add(item);
      }
    }
    if (again.isEmpty()) {
      complete();
      return;
    }
    long backoff = Math.max(1, policy.backoffMs(rounds));
    long remaining = remainingMs();
    if (remaining - backoff < MIN_ATTEMPT_MS) {
      String detail = remaining <= 0 ? deadlineDetail()
          : "gave up after " + elapsedMs() + " ms: the next retry, in " + backoff + " ms, would leave too little of the "
              + deadlineMs + " ms deadline";
      again.forEach(item -> settle(item, detail));
      complete();
      return;
    }
    backoffTimer = vertx.setTimer(backoff, id -> round());
  }

  private String deadlineDetail() {
    return "the " + deadlineMs + " ms deadline ran out after " + elapsedMs() + " ms";
  }

  private void settle(Item item, String detail) {
    Attempt last = item.last;
    Durability durable = last.outcome() == Outcome.STORED ? Durability.SUCCESS
        : item.maybeStored ? Durability.UNKNOWN : Durability.FAILED;
    WriteResult result = new WriteResult(durable, last.outcome(), last.status(), last.message(), last.entryId(),
        item.request.getIdempotencyKey(), item.attempts);
    item.settled = new Settled(result, detail, last.cause());
  }

  private void complete() {
    List<Settled> settled = new ArrayList<>(items.size());
    items.forEach(item -> settled.add(item.settled));
    promise.tryComplete(settled);
  }
}

package io.walmesh.node.consumer;

import io.opentelemetry.api.trace.Span;
import io.walmesh.node.tracing.Tracing;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.namespace.TargetConfig;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one namespace's entries. It polls the backend when woken by an append or every
 * {@code consumer.poll-interval-ms}, keeps at most {@code consumer.max-in-flight} entries in
 * delivery, delivers each to every target it still owes, and settles it: ack when all targets
 * applied it, retry with backoff, or the DLQ after a permanent error or the last attempt.
 * Stopping waits for in-flight deliveries to settle, so no lease is left dangling.
 */
public final class ConsumerVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ConsumerVerticle.class);
  private static final long DRAIN_TIMEOUT_MS = 30_000;

  private final NamespaceConfig config;
  private final Backend backend;
  private final Map<String, Target> targets;
  private final Metrics metrics;
  private int inFlight;
  private boolean polling;
  /** Polls that failed in a row; the next poll waits longer each time, up to {@link #MAX_POLL_BACKOFF_MS}. */
  private int pollFailures;
  static final long MAX_POLL_BACKOFF_MS = 5_000;
  private boolean wakeRequested;
  /** Failed delivery attempts are logged at WARN at most this often (each one is in the retries metric). */
  static final long RETRY_WARN_INTERVAL_MS = 60_000;
  private final io.walmesh.node.internal.LogThrottle retryWarnings = new io.walmesh.node.internal.LogThrottle(RETRY_WARN_INTERVAL_MS);
  private boolean stopping;
  private long timerId = -1;
  private Promise<Void> drained;
  /** The leases delivered in this turn of the event loop, acked together at its end ({@link #ack}). */
  private List<Lease> acks;
  private Promise<Void> acksSettled;

  public ConsumerVerticle(NamespaceConfig config, Backend backend, Map<String, Target> targets, Metrics metrics) {
    this.config = config;
    this.backend = backend;
    this.targets = targets;
    this.metrics = metrics;
  }

  @Override
  public void start() {
    pump();
  }

  /** Called (on any thread) when the backend may have new due entries: polls soon. */
  public void wakeUp() {
    if (context != null) {
      context.runOnContext(v -> wake());
    }
  }

  private void wake() {
    if (polling) {
      wakeRequested = true;
    } else {
      pump();
    }
  }

  private void pump() {
    if (stopping || polling) {
      return;
    }
    int room = config.consumerMaxInFlight() - inFlight;
    if (room <= 0) {
      return; // a settling delivery pumps again
    }
    cancelTimer();
    polling = true;
    wakeRequested = false;
    backend.poll(Math.min(room, config.maxMessagesPerPoll())).onComplete(ar -> {
      polling = false;
      if (ar.failed()) {
        // back off while the backend keeps failing (a broken log, a broker down): no busy loop, no log flood
        pollFailures++;
        long delay = Math.min(MAX_POLL_BACKOFF_MS, config.pollIntervalMs() << Math.min(pollFailures, 20));
        if (pollFailures == 1 || pollFailures % 20 == 0) {
          log.warn("Namespace {}: polling the backend failed ({} in a row), retrying in {} ms: {}", config.name(),
              pollFailures, delay, ar.cause().getMessage());
        }
        scheduleTimer(delay);
        return;
      }
      if (pollFailures > 0) {
        log.info("Namespace {}: polling the backend works again after {} failures", config.name(), pollFailures);
        pollFailures = 0;
      }
      List<Lease> leases = ar.result();
      for (Lease lease : leases) {
        inFlight++;
        deliver(lease).onComplete(done -> {
          inFlight--;
          if (done.failed()) {
            log.atWarn().addKeyValue("namespace", config.name()).addKeyValue("entry", lease.entry().getEntryId())
                .log("Namespace {}: settling entry {} failed; it will be redelivered: {}", config.name(),
                    lease.entry().getEntryId(), done.cause().getMessage());
          }
          if (stopping) {
            checkDrained();
          } else {
            pump();
          }
        });
      }
      if (stopping) {
        checkDrained();
      } else if (!leases.isEmpty() || wakeRequested) {
        pump();
      } else {
        scheduleTimer();
      }
    });
  }

  private void scheduleTimer() {
    scheduleTimer(config.pollIntervalMs());
  }

  private void scheduleTimer(long delayMs) {
    if (!stopping && timerId < 0) {
      timerId = vertx.setTimer(Math.max(1, delayMs), id -> {
        timerId = -1;
        pump();
      });
    }
  }

  private void cancelTimer() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  /** Delivers an entry to each target it still owes and settles it with the backend. */
  private Future<Void> deliver(Lease lease) {
    EntryRecord entry = lease.entry();
    int attempt = entry.getAttempts() + 1;
    Set<String> delivered = new LinkedHashSet<>(entry.getDeliveredTargetsList());
    List<TargetConfig> owed = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    if (!entry.getTarget().isEmpty() && config.target(entry.getTarget()).isEmpty()) {
      missing.add(entry.getTarget());
    }
    for (TargetConfig target : config.targetsFor(entry.getTarget())) {
      if (!delivered.contains(target.name())) {
        owed.add(target);
      }
    }
    // the payload copied once, straight from the entry (toByteArray then Buffer.buffer(byte[]) copied it twice), into a
    // buffer of Vert.x's own that a target (an in-process event-bus consumer) may still append to
    Delivery delivery = new Delivery(config.name(), entry.getEntryId(), entry.getKey(), payload(entry.getPayload()),
        entry.getHeadersMap(), entry.getTargetAttributesMap(),
        entry.getWriteTimeMs(), attempt);
    List<Future<Void>> attempts = new ArrayList<>();
    for (TargetConfig target : owed) {
      attempts.add(traced(target.name(), delivery, entry).onSuccess(v -> delivered.add(target.name())));
    }
    return Future.join(attempts).transform(ignored -> {
      StringBuilder errors = new StringBuilder();
      boolean permanent = false;
      for (String name : missing) {
        errors.append("target \"").append(name).append("\" is not configured on namespace ").append(config.name());
        permanent = true;
      }
      for (int i = 0; i < attempts.size(); i++) {
        Throwable cause = attempts.get(i).cause();
        if (cause != null) {
          if (errors.length() > 0) {
            errors.append("; ");
          }
          errors.append(owed.get(i).name()).append(": ").append(cause.getMessage());
          permanent |= cause instanceof DeliveryException de && de.kind() == DeliveryException.Kind.PERMANENT;
        }
      }
      if (errors.length() == 0) {
        return ack(lease);
      }
      EntryRecord.Builder updated = entry.toBuilder().setAttempts(attempt).setLastError(errors.toString())
          .clearDeliveredTargets().addAllDeliveredTargets(delivered);
      if (permanent || attempt >= config.retry().maxAttempts()) {
        metrics.deadLettered(config.name()).increment();
        log.atWarn().addKeyValue("namespace", config.name()).addKeyValue("entry", entry.getEntryId())
            .log("Namespace {}: entry {} goes to the DLQ after {} attempt(s): {}", config.name(), entry.getEntryId(),
                attempt, errors);
        return backend.deadLetter(lease, updated.setDeadAtMs(System.currentTimeMillis()).build());
      }
      long backoff = config.retry().backoffMs(attempt);
      metrics.retries(config.name()).increment();
      long now = System.currentTimeMillis();
      long failedSinceWarn = retryWarnings.occurred(now);
      if (failedSinceWarn > 0) {
        // a target that is down is loud once, then once a minute: how many attempts failed, and the last cause
        log.atWarn().addKeyValue("namespace", config.name()).addKeyValue("entry", entry.getEntryId())
            .log("Namespace {}: delivery failing: {} attempt(s) failed since the last such line; entry {} attempt {},"
                + " retry in {} ms: {}", config.name(), failedSinceWarn, entry.getEntryId(), attempt, backoff, errors);
      } else {
        log.debug("Namespace {}: entry {} attempt {} failed, retry in {} ms: {}", config.name(), entry.getEntryId(),
            attempt, backoff, errors);
      }
      return backend.retry(lease, updated.setDueAtMs(now + backoff).build());
    });
  }

  /**
   * Acks a delivered entry together with the others delivered in the same turn of this event loop:
   * one {@link Backend#ackAll} call at the end of the turn (one log write on the local backend
   * instead of one per entry). An entry is acked only after every target applied it, so batching
   * changes when it is removed, never whether it was delivered.
   */
  private Future<Void> ack(Lease lease) {
    if (acks == null) {
      List<Lease> batch = new ArrayList<>();
      Promise<Void> settled = Promise.promise();
      acks = batch;
      acksSettled = settled;
      context.runOnContext(v -> {
        acks = null;
        acksSettled = null;
        Future<Void> written;
        try {
          written = backend.ackAll(batch);
        } catch (Throwable t) { // a plugin that throws instead of failing its future
          written = Future.failedFuture(t);
        }
        written.onComplete(settled);
      });
    }
    acks.add(lease);
    return acksSettled.future();
  }

  /** A delivery's payload: one copy of the entry's bytes, in a buffer of Vert.x's own that a target may append to. */
  private static Buffer payload(com.google.protobuf.ByteString payload) {
    return Buffer.buffer(payload.size()).setBytes(0, payload.asReadOnlyByteBuffer());
  }

  /**
   * One attempt to one target in a {@code walmesh.deliver} span (a child of the entry's write) when tracing is on;
   * the target then sees this attempt's {@code traceparent} among the headers.
   */
  private Future<Void> traced(String targetName, Delivery delivery, EntryRecord entry) {
    Tracing tracing = metrics.tracing();
    if (!tracing.enabled()) {
      return deliverTo(targetName, delivery);
    }
    Span span = tracing.deliver(config.name(), entry.getEntryId(), targetName, delivery.attempt(),
        entry.getHeadersMap().get(Tracing.TRACEPARENT));
    String traceparent = Tracing.traceparent(span);
    Delivery attempt = delivery;
    if (traceparent != null) {
      java.util.Map<String, String> headers = new java.util.HashMap<>(delivery.headers());
      headers.put(Tracing.TRACEPARENT, traceparent);
      attempt = new Delivery(delivery.namespace(), delivery.entryId(), delivery.key(), delivery.payload(),
          java.util.Collections.unmodifiableMap(headers), delivery.attributes(), delivery.writeTimeMs(), delivery.attempt());
    }
    return deliverTo(targetName, attempt).andThen(done -> Tracing.end(span, done.succeeded(),
        done.succeeded() ? "delivered" : "failed", done.succeeded() ? null : String.valueOf(done.cause().getMessage())));
  }

  private Future<Void> deliverTo(String targetName, Delivery delivery) {
    Target target = targets.get(targetName);
    Future<Void> result;
    if (target == null) {
      result = Future.failedFuture(DeliveryException.retryable("target " + targetName + " is not running"));
    } else {
      try {
        result = target.deliver(delivery);
      } catch (Throwable t) { // a plugin that throws instead of failing its future
        result = Future.failedFuture(DeliveryException.retryable("target " + targetName + " threw " + t));
      }
    }
    return onThisLoop(result).onComplete(ar -> {
      metrics.deliveries(config.name(), targetName, ar.succeeded() ? "success"
          : ar.cause() instanceof DeliveryException de && de.kind() == DeliveryException.Kind.PERMANENT
          ? "permanent" : "retryable").increment();
      if (ar.succeeded()) {
        metrics.deliveredAge(config.name(), targetName).record(
            Math.max(0, System.currentTimeMillis() - delivery.writeTimeMs()), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    });
  }

  /**
   * The target's outcome on this consumer's event loop, whichever thread the plugin completed it
   * on (a client with threads of its own): this verticle's state is touched from its loop only.
   */
  private Future<Void> onThisLoop(Future<Void> result) {
    io.vertx.core.Promise<Void> here = io.vertx.core.Promise.promise();
    result.onComplete(ar -> {
      if (io.vertx.core.Vertx.currentContext() == context) {
        here.handle(ar);
      } else {
        context.runOnContext(v -> here.handle(ar));
      }
    });
    return here.future();
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    stopping = true;
    cancelTimer();
    drained = stopPromise;
    vertx.setTimer(DRAIN_TIMEOUT_MS, id -> {
      if (drained != null) {
        log.warn("Namespace {}: {} deliveries still in flight after {} ms; they will be redelivered", config.name(),
            inFlight, DRAIN_TIMEOUT_MS);
        completeDrain();
      }
    });
    checkDrained();
  }

  private void checkDrained() {
    if (drained != null && inFlight == 0 && !polling) {
      completeDrain();
    }
  }

  private void completeDrain() {
    Promise<Void> promise = drained;
    drained = null;
    promise.tryComplete();
  }
}

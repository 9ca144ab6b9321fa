package io.walmesh.node.producer;

import io.opentelemetry.api.trace.Span;
import io.walmesh.node.tracing.Tracing;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one namespace's writes on {@link Addresses#write}: decodes the protobuf request, validates
 * it, bounds in-flight appends ({@code max-in-flight-writes}, beyond which writes are shed with
 * {@link WriteFailure#RESOURCE_EXHAUSTED}), appends durably and answers a protobuf response.
 * Registers its address only once started, and on stop waits for the appends it accepted. The
 * node's own gateway skips the event bus: it calls {@link #submitAll} (see {@link LocalProducers}),
 * which runs the same steps on this verticle's context, or on the gateway's own event loop when the
 * backend takes appends from any context ({@link Backend#appendsFromAnyContext}). So the steps of a
 * write may run on several threads at once: what they share is thread-safe (the in-flight count,
 * the metrics, the failure log's throttle).
 */
public final class ProducerVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ProducerVerticle.class);

  private final NamespaceConfig config;
  private final Backend backend;
  private final Metrics metrics;
  private final Timer latency;
  /** The success and duplicate counters, looked up on first use (a namespace shows only the outcomes it had). */
  private volatile io.micrometer.core.instrument.Counter successes;
  private volatile io.micrometer.core.instrument.Counter duplicates;
  private final LocalProducers local;
  /** Whether the gateway's writes run on the gateway's event loop ({@link #submitAll}). */
  private final boolean anyContext;
  private volatile boolean stopping;
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> batchConsumer;
  /**
   * Writes accepted and not yet answered. A write counts itself before it looks at {@link #stopping}, and a stop sets
   * {@code stopping} before it looks at this count: either the write sees the stop and is refused, or the stop sees
   * the write and waits for it.
   */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  private volatile Promise<Void> drained;

  /** One write's answer: the response, or the refusal's {@link WriteFailure} and why. */
  public record Answer(WriteToLogResponse response, WriteFailure failure, String message) {
    /** Not taken: the producer is stopping (the write goes nowhere, as when no node owns the namespace). */
    public static final Answer STOPPING = new Answer(null, WriteFailure.UNAVAILABLE, "the producer is stopping");

    static Answer refused(WriteFailure failure, String message) {
      return new Answer(null, failure, message);
    }
  }

  public ProducerVerticle(NamespaceConfig config, Backend backend, Metrics metrics, LocalProducers local) {
    this.local = local;
    this.config = config;
    this.backend = backend;
    this.metrics = metrics;
    this.latency = metrics.writeLatency(config.name());
    this.anyContext = backend.appendsFromAnyContext();
  }

  @Override
  public void start(Promise<Void> startPromise) {
    consumer = vertx.eventBus().<Object>consumer(Addresses.write(config.name()), this::handle);
    batchConsumer = vertx.eventBus().<Object>consumer(Addresses.writeBatch(config.name()), this::handleBatch);
    answerDiscarded(consumer);
    answerDiscarded(batchConsumer);
    Future.all(consumer.completion(), batchConsumer.completion()).<Void>mapEmpty()
        .onSuccess(v -> local.add(config.name(), this)).onComplete(startPromise);
  }

  /**
   * A message Vert.x hands to a consumer that can no longer take it (it unregistered after the message was sent: this
   * producer stopped meanwhile) is answered as a refusal the sender can act on: not stored, retry. Vert.x's own answer
   * to such a message is a failure of type TIMEOUT, which a gateway must read as "may be stored" ({@code durable:
   * UNKNOWN}) for a write that certainly is not. The hook is Vert.x's, on its consumer implementation (not on the
   * {@code MessageConsumer} interface); {@code WriteToLogTest} fails if it is gone.
   */
  private void answerDiscarded(MessageConsumer<Object> registered) {
    if (registered instanceof io.vertx.core.eventbus.impl.MessageConsumerImpl<Object> impl) {
      impl.discardHandler(message -> {
        metrics.writes(config.name(), "rejected").increment(message.body() instanceof WriteToLogBatchRequest batch
            ? batch.getRequestsCount() : 1);
        if (stopping) {
          message.fail(WriteFailure.UNAVAILABLE.code(), "namespace " + config.name() + ": the producer on this node"
              + " stopped before taking the write (the namespace is restarting or moving); it is not stored: retry");
        } else {
          message.fail(WriteFailure.RESOURCE_EXHAUSTED.code(), "namespace " + config.name() + ": the producer on this"
              + " node has too many messages queued to take the write; it is not stored: back off and retry");
        }
      });
    } else {
      log.warn("Namespace {}: this Vert.x's event-bus consumer has no discard hook; a write sent while the producer"
          + " stops is answered as a timeout (durable: UNKNOWN) rather than refused", config.name());
    }
  }

  /**
   * Several writes in one message, from the gateway of another member ({@code RemoteWrites}): each validated, bounded
   * and stored as if it came alone, in the order given; one reply holds every answer, in order, once all are known.
   */
  private void handleBatch(Message<Object> message) {
    if (!(message.body() instanceof WriteToLogBatchRequest batch)) {
      message.fail(WriteFailure.INVALID_ARGUMENT.code(), "the message body must be a WriteToLogBatchRequest (sent with"
          + " walmesh's codec by the gateway of a mesh member)");
      return;
    }
    if (batch.getRequestsCount() > Addresses.MAX_BATCH_WRITES) {
      message.fail(WriteFailure.INVALID_ARGUMENT.code(), "the batch holds " + batch.getRequestsCount()
          + " writes, over the limit of " + Addresses.MAX_BATCH_WRITES + " per message");
      return;
    }
    // answers collected in place (not a future per write joined with Future.join); every answer comes on this context
    int count = batch.getRequestsCount();
    Answer[] answers = new Answer[count];
    int[] unanswered = {count};
    Runnable reply = () -> {
      WriteToLogBatchResponse.Builder response = WriteToLogBatchResponse.newBuilder();
      for (Answer answer : answers) {
        WriteToLogBatchResult.Builder result = WriteToLogBatchResult.newBuilder();
        if (answer.failure() == null) {
          result.setResponse(answer.response());
        } else {
          result.setStatusCode(answer.failure().code()).setStatusMessage(answer.message());
        }
        response.addResults(result);
      }
      message.reply(response.build());
      drainedWhenIdle();
    };
    if (count == 0) {
      reply.run();
      return;
    }
    List<Submission> submissions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int slot = i;
      submissions.add(new Submission(batch.getRequests(i), message.headers().get(Addresses.batchTraceparent(i)), answer -> {
        answers[slot] = answer;
        if (--unanswered[0] == 0) {
          reply.run();
        }
      }));
    }
    writeAll(submissions);
  }

  private void handle(Message<Object> message) {
    // From the gateway of another node (the cluster codec) or this JVM: the message itself. From other clients: its bytes.
    boolean asObject = message.body() instanceof WriteToLogRequest;
    Future<Answer> answered;
    String traceparent = message.headers().get(Tracing.TRACEPARENT);
    if (asObject) {
      answered = write((WriteToLogRequest) message.body(), traceparent);
    } else if (message.body() instanceof Buffer body) {
      answered = writeBytes(body, traceparent);
    } else {
      answered = refused(WriteFailure.INVALID_ARGUMENT, "the message body must be a Buffer holding a protobuf WriteToLogRequest");
    }
    answered.onSuccess(answer -> {
      if (answer.failure() != null) {
        message.fail(answer.failure().code(), answer.message());
      } else {
        message.reply(asObject ? answer.response() : Buffer.buffer(answer.response().toByteArray()));
      }
      drainedWhenIdle(); // after the answer: a stop waiting on it completes once it is sent
    });
  }

  private Future<Answer> writeBytes(Buffer body, String traceparent) {
    WriteToLogRequest request;
    try {
      request = WriteToLogRequest.parseFrom(body.getBytes());
    } catch (Exception e) {
      return refused(WriteFailure.INVALID_ARGUMENT, "the message body is not a protobuf WriteToLogRequest: " + e.getMessage());
    }
    return write(request, traceparent);
  }

  private void drainedWhenIdle() {
    Promise<Void> stopped = drained;
    if (stopped != null && inFlight.get() == 0) {
      stopped.tryComplete();
    }
  }

  /**
   * A write from this node's gateway: the request, the gateway's {@code walmesh.write} span (null when tracing is
   * off), and where its answer goes: called on this verticle's context, or on the gateway's when the producer runs
   * its writes there ({@link #submitAll}).
   */
  public record Submission(WriteToLogRequest request, String traceparent, io.vertx.core.Handler<Answer> answered) {
  }

  /**
   * Writes requests from this node's gateway, without the event bus: one hop onto this verticle's context for all of
   * them (a gateway hands over the writes it decoded in one turn of its event loop together), then the same steps as
   * a message on the namespace's address, each answered on its own as soon as it is known. Answers
   * {@link Answer#STOPPING} once the producer is stopping. With a backend that takes appends from any context, the
   * steps run here, on the caller's event loop, and the answers come on it.
   */
  public void submitAll(List<Submission> submissions) {
    if (anyContext) {
      // the backend takes appends from any context: validate and append on the gateway's event loop, whose context
      // then gets the outcomes, without a hop onto this verticle's context and back (the log's thread is the one hop)
      writeAll(submissions);
    } else {
      context.runOnContext(v -> writeAll(submissions));
    }
  }

  /**
   * Validates and bounds each write on its own, refusing those that fail at once, then hands the accepted ones to the
   * backend in one {@link Backend#appendAll}, in the order they came: one log task, one completion for a batch of
   * them rather than one per write. Each is answered exactly once, as soon as its outcome is known; a write that throws
   * before its append (a bug) is answered INTERNAL, not stored, and the others go on.
   */
  private void writeAll(List<Submission> submissions) {
    List<EntryRecord> entries = new ArrayList<>(submissions.size());
    List<Accepted> accepted = new ArrayList<>(submissions.size());
    for (Submission submission : submissions) {
      if (stopping) {
        submission.answered().handle(Answer.STOPPING);
        continue;
      }
      Accepted write;
      try {
        write = accept(submission);
      } catch (RuntimeException bug) {
        log.error("Namespace {}: a write failed before its append", config.name(), bug);
        submission.answered().handle(Answer.refused(WriteFailure.INTERNAL, "the node failed before storing the write ("
            + bug + "); it is not stored"));
        continue;
      }
      if (write != null) {
        entries.add(write.entry);
        accepted.add(write);
      }
    }
    if (entries.isEmpty()) {
      return;
    }
    try {
      backend.appendAll(entries, (index, outcome) -> accepted.get(index).answer(outcome));
    } catch (Throwable t) { // the backend may have taken some of them: those not yet answered may be stored
      Future<AppendResult> maybe = Future.failedFuture(new AppendException(AppendException.Kind.MAYBE_STORED,
          "backend threw " + t, t));
      for (Accepted write : accepted) {
        write.answer(maybe);
      }
    }
  }

  /** {@link #writeAll} of one write, for the event-bus address: a future that never fails. */
  private Future<Answer> write(WriteToLogRequest request, String traceparent) {
    Promise<Answer> answered = Promise.promise();
    writeAll(List.of(new Submission(request, traceparent, answered::complete)));
    return answered.future();
  }

  /**
   * Validates and bounds one write: its entry, counted in flight, or null once its refusal has been handed to the
   * submission. The submission's {@code traceparent} is the gateway's {@code walmesh.write} span (null when tracing is
   * off): the append is its child, and the entry keeps it so that each delivery attempt is one too.
   */
  private Accepted accept(Submission submission) {
    long started = System.nanoTime();
    WriteToLogRequest request = submission.request();
    io.vertx.core.Handler<Answer> answered = submission.answered();
    if (!request.getNamespace().equals(config.name())) {
      answered.handle(refusal(WriteFailure.INVALID_ARGUMENT, "namespace "
          + io.walmesh.node.internal.Text.quote(request.getNamespace()) + " was sent to the address of namespace " + config.name()));
      return null;
    }
    // each map asked for once: a map the request did not carry is a new empty MapField at every call of its getter
    java.util.Map<String, String> headers = request.getHeadersMap();
    java.util.Map<String, String> attributes = WriteValidator.attributes(request);
    long now = System.currentTimeMillis(); // one instant for the checks of the delay and for the entry's times
    try {
      WriteValidator.validate(config, request, headers, attributes, now);
    } catch (WriteValidator.Refusal refusal) {
      answered.handle(refusal(refusal.failure, refusal.getMessage()));
      return null;
    }
    java.util.Optional<String> storage = backend.unavailable();
    if (storage.isPresent()) {
      answered.handle(refusal(WriteFailure.UNAVAILABLE, "namespace " + config.name() + " cannot store writes durably right now ("
          + storage.get() + "); the node is recovering: retry later or write through another node"));
      return null;
    }
    String traceparent = submission.traceparent();
    EntryRecord.Builder builder = EntryRecord.newBuilder()
        .setNamespace(config.name())
        .setKey(request.getKey())
        .setPayload(request.getPayload())
        .setTarget(request.getTarget().getName())
        .setWriteTimeMs(request.getLifecycle().getWriteTimeMs() > 0 ? request.getLifecycle().getWriteTimeMs() : now)
        .setDueAtMs(WriteValidator.dueAt(request.getLifecycle(), now))
        .setIdempotencyKey(request.getIdempotencyKey());
    // maps only when there is something in them: copying an empty protobuf map still costs an iterator each
    if (!headers.isEmpty()) {
      builder.putAllHeaders(headers);
    }
    if (!attributes.isEmpty()) {
      builder.putAllTargetAttributes(attributes);
    }
    if (traceparent != null) {
      builder.putHeaders(Tracing.TRACEPARENT, traceparent);
    }
    EntryRecord entry = builder.build();
    int counted = inFlight.incrementAndGet();
    if (counted > config.maxInFlightWrites()) {
      inFlight.decrementAndGet();
      answered.handle(refusal(WriteFailure.RESOURCE_EXHAUSTED, "namespace " + config.name() + " has "
          + (counted - 1) + " writes in flight, its max-in-flight-writes; back off and retry"));
      drainedWhenIdle();
      return null;
    }
    if (stopping) { // counted first, then this: a stop that this write did not see waits for it
      inFlight.decrementAndGet();
      answered.handle(Answer.STOPPING);
      drainedWhenIdle();
      return null;
    }
    Span span = metrics.tracing().append(config.name(), traceparent);
    return new Accepted(entry, started, span, answered);
  }

  /**
   * A write that passed its checks and went to the backend, until answered. A callback rather than a future per
   * write: this runs for every entry of every call, and a promise and its listener per entry showed in the flame
   * graph of batched writes.
   */
  private final class Accepted {
    final EntryRecord entry;
    private final long started;
    private final Span span;
    private final io.vertx.core.Handler<Answer> answered;
    private boolean done;

    Accepted(EntryRecord entry, long started, Span span, io.vertx.core.Handler<Answer> answered) {
      this.entry = entry;
      this.started = started;
      this.span = span;
      this.answered = answered;
    }

    /** Answers the write from its append's outcome, once: a second outcome (after a backend threw) is dropped. */
    void answer(io.vertx.core.AsyncResult<AppendResult> done) {
      if (this.done) {
        return;
      }
      this.done = true;
      WriteToLogResponse response;
      try {
        response = done.succeeded() ? stored(done.result()) : notStored(done.cause());
        span.setAttribute(Tracing.ENTRY, response.getEntryId());
        Tracing.end(span, response.getDurable() == Trilean.SUCCESS, response.getDurable().name(), response.getMessage());
      } catch (RuntimeException bug) { // the write is answered whatever happens here: UNKNOWN, since it may be stored
        log.error("Namespace {}: answering an append failed", config.name(), bug);
        response = WriteToLogResponse.newBuilder().setDurable(Trilean.UNKNOWN)
            .setMessage("the node failed while answering the write (" + bug + "); it may be stored").build();
      }
      inFlight.decrementAndGet();
      latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      answered.handle(new Answer(response, null, null));
      drainedWhenIdle(); // after the answer: a stop waiting on it completes once it is sent
    }
  }

  private WriteToLogResponse stored(AppendResult result) {
    if (result.duplicate()) {
      if (duplicates == null) {
        duplicates = metrics.writes(config.name(), "duplicate");
      }
      duplicates.increment();
    } else {
      if (successes == null) {
        successes = metrics.writes(config.name(), "success");
      }
      successes.increment();
    }
    return WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS).setEntryId(result.entryId()).build();
  }

  private WriteToLogResponse notStored(Throwable failure) {
    boolean notStored = failure instanceof AppendException ae && ae.kind() == AppendException.Kind.NOT_STORED;
    metrics.writes(config.name(), notStored ? "failed" : "unknown").increment();
    long failedSinceLog;
    synchronized (failureLog) { // answers may come on several event loops
      failedSinceLog = failureLog.occurred(System.currentTimeMillis());
    }
    if (failedSinceLog > 0) { // a failing backend must not flood the log
      log.atWarn().addKeyValue("namespace", config.name()).log("Namespace {}: append failed ({}): {}{}", config.name(),
          notStored ? "not stored" : "may be stored", failure.getMessage(), failedSinceLog == 1 ? ""
              : " (" + failedSinceLog + " failed appends since the last such message)");
    }
    return WriteToLogResponse.newBuilder()
        .setDurable(notStored ? Trilean.FAILED : Trilean.UNKNOWN)
        .setMessage(failure.getMessage() == null ? failure.toString() : failure.getMessage())
        .build();
  }

  /** Append failures are logged at most once per this interval, with the count since the last message. */
  static final long FAILURE_LOG_INTERVAL_MS = 10_000;
  private final io.walmesh.node.internal.LogThrottle failureLog = new io.walmesh.node.internal.LogThrottle(FAILURE_LOG_INTERVAL_MS);

  private Future<Answer> refused(WriteFailure failure, String text) {
    return Future.succeededFuture(refusal(failure, text));
  }

  /** A refused write's answer, counted. */
  private Answer refusal(WriteFailure failure, String text) {
    metrics.writes(config.name(), "rejected").increment();
    return Answer.refused(failure, text);
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    stopping = true;
    local.remove(config.name(), this);
    Future<Void> unregistered = consumer == null ? Future.succeededFuture()
        : Future.all(consumer.unregister(), batchConsumer.unregister()).mapEmpty();
    unregistered.onComplete(ar -> {
      // set before the count is read: a write answered on another event loop meanwhile completes it if this does not
      drained = stopPromise;
      drainedWhenIdle();
    });
  }
}

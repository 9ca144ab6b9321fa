package io.walmesh.node.producer;

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
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.Backend;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one namespace's writes on {@link Addresses#write}: decodes the protobuf request, validates
 * it, bounds in-flight appends ({@code max-in-flight-writes}, beyond which writes are shed with
 * {@link WriteFailure#RESOURCE_EXHAUSTED}), appends durably and answers a protobuf response.
 * Registers its address only once started, and on stop waits for the appends it accepted.
 */
public final class ProducerVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(ProducerVerticle.class);

  private final NamespaceConfig config;
  private final Backend backend;
  private final Metrics metrics;
  private final Timer latency;
  private MessageConsumer<Object> consumer;
  private int inFlight;
  private Promise<Void> drained;

  public ProducerVerticle(NamespaceConfig config, Backend backend, Metrics metrics) {
    this.config = config;
    this.backend = backend;
    this.metrics = metrics;
    this.latency = metrics.writeLatency(config.name());
  }

  @Override
  public void start(Promise<Void> startPromise) {
    consumer = vertx.eventBus().<Object>consumer(Addresses.write(config.name()), this::handle);
    consumer.completion().onComplete(startPromise);
  }

  private void handle(Message<Object> message) {
    long started = System.nanoTime();
    // From the gateway (same JVM or the cluster codec): the message itself. From other clients: its bytes.
    boolean asObject = message.body() instanceof WriteToLogRequest;
    WriteToLogRequest request;
    if (asObject) {
      request = (WriteToLogRequest) message.body();
    } else if (message.body() instanceof Buffer body) {
      try {
        request = WriteToLogRequest.parseFrom(body.getBytes());
      } catch (Exception e) {
        refuse(message, WriteFailure.INVALID_ARGUMENT, "the message body is not a protobuf WriteToLogRequest: " + e.getMessage());
        return;
      }
    } else {
      refuse(message, WriteFailure.INVALID_ARGUMENT, "the message body must be a Buffer holding a protobuf WriteToLogRequest");
      return;
    }
    if (!request.getNamespace().equals(config.name())) {
      refuse(message, WriteFailure.INVALID_ARGUMENT, "namespace " + io.walmesh.node.internal.Text.quote(request.getNamespace())
          + " was sent to the address of namespace " + config.name());
      return;
    }
    try {
      WriteValidator.validate(config, request);
    } catch (WriteValidator.Refusal refusal) {
      refuse(message, refusal.failure, refusal.getMessage());
      return;
    }
    java.util.Optional<String> storage = backend.unavailable();
    if (storage.isPresent()) {
      refuse(message, WriteFailure.UNAVAILABLE, "namespace " + config.name() + " cannot store writes durably right now ("
          + storage.get() + "); the node is recovering: retry later or write through another node");
      return;
    }
    if (inFlight >= config.maxInFlightWrites()) {
      refuse(message, WriteFailure.RESOURCE_EXHAUSTED, "namespace " + config.name() + " has "
          + inFlight + " writes in flight, its max-in-flight-writes; back off and retry");
      return;
    }
    long now = System.currentTimeMillis();
    EntryRecord entry = EntryRecord.newBuilder()
        .setNamespace(config.name())
        .setKey(request.getKey())
        .setPayload(request.getPayload())
        .putAllHeaders(request.getHeadersMap())
        .setTarget(request.getTarget().getName())
        .putAllTargetAttributes(request.getTarget().getAttributesMap())
        .setWriteTimeMs(request.getLifecycle().getWriteTimeMs() > 0 ? request.getLifecycle().getWriteTimeMs() : now)
        .setDueAtMs(WriteValidator.dueAt(request.getLifecycle(), now))
        .setIdempotencyKey(request.getIdempotencyKey())
        .build();
    inFlight++;
    Future<WriteToLogResponse> answer;
    try {
      answer = backend.append(entry).map(result -> {
        metrics.writes(config.name(), result.duplicate() ? "duplicate" : "success").increment();
        return WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS).setEntryId(result.entryId()).build();
      });
    } catch (Throwable t) {
      answer = Future.failedFuture(new AppendException(AppendException.Kind.MAYBE_STORED, "backend threw " + t, t));
    }
    answer.recover(failure -> {
      boolean notStored = failure instanceof AppendException ae && ae.kind() == AppendException.Kind.NOT_STORED;
      metrics.writes(config.name(), notStored ? "failed" : "unknown").increment();
      log.atWarn().addKeyValue("namespace", config.name()).log("Namespace {}: append failed ({}): {}", config.name(),
          notStored ? "not stored" : "may be stored", failure.getMessage());
      return Future.succeededFuture(WriteToLogResponse.newBuilder()
          .setDurable(notStored ? Trilean.FAILED : Trilean.UNKNOWN)
          .setMessage(failure.getMessage() == null ? failure.toString() : failure.getMessage())
          .build());
    }).onSuccess(response -> {
      inFlight--;
      latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      message.reply(asObject ? response : Buffer.buffer(response.toByteArray()));
      if (drained != null && inFlight == 0) {
        drained.tryComplete();
      }
    });
  }

  private void refuse(Message<Object> message, WriteFailure failure, String text) {
    metrics.writes(config.name(), "rejected").increment();
    message.fail(failure.code(), text);
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    unregistered.onComplete(ar -> {
      if (inFlight == 0) {
        stopPromise.complete();
      } else {
        drained = stopPromise;
      }
    });
  }
}

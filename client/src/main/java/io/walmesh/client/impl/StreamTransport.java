package io.walmesh.client.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.v1.WriteAheadLogGrpcClient;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code WriteToLog} sent as requests of one long-lived {@code WriteToLogStream} call: each write
 * gets its own request id, answer, deadline and retries (the caller's {@link RetryingCall}), at the
 * cost of one HTTP/2 stream for all of them. The stream opens at the first write and again after
 * it broke; when it breaks, every write waiting on it ends {@link Attempt#unreachable} with
 * {@code maybeStored}, so the writes with an idempotency key are retried on the next stream and
 * stored once. Batches go as {@code WriteToLogBatch} calls on the same connection.
 *
 * <p>All stream state is touched on one context: the context of the first write (an application
 * that writes from one verticle pays no context switch). Each write's answer is handed back to the
 * context that made the write.
 */
public final class StreamTransport implements Transport {
  private final Vertx vertx;
  private final GrpcTransport unary;
  private volatile Context home;
  private GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> stream;
  private Future<GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse>> opening;
  private long lastId;
  private final Map<Long, Waiting> waiting = new HashMap<>();
  private boolean closed;

  private record Waiting(Promise<Attempt> promise, Context caller, long timer) {
    void complete(Attempt attempt) {
      if (io.vertx.core.Vertx.currentContext() == caller) {
        promise.tryComplete(attempt);
      } else {
        caller.runOnContext(v -> promise.tryComplete(attempt));
      }
    }
  }

  public StreamTransport(Vertx vertx, GrpcTransport unary) {
    this.vertx = vertx;
    this.unary = unary;
  }

  @Override
  public Future<Attempt> write(WriteToLogRequest request, long timeoutMs) {
    Promise<Attempt> promise = Promise.promise();
    Context caller = vertx.getOrCreateContext();
    Context stateContext = home(caller);
    if (caller == stateContext) {
      send(request, timeoutMs, promise, caller);
    } else {
      stateContext.runOnContext(v -> send(request, timeoutMs, promise, caller));
    }
    return promise.future();
  }

  /** The context that owns the stream's state: the first writer's. */
  private synchronized Context home(Context caller) {
    if (home == null) {
      home = caller;
    }
    return home;
  }

  private void send(WriteToLogRequest request, long timeoutMs, Promise<Attempt> promise, Context caller) {
    if (closed) {
      new Waiting(promise, caller, -1).complete(Attempt.closed(false));
      return;
    }
    long id = ++lastId;
    long timer = vertx.setTimer(Math.max(1, timeoutMs), t -> {
      Waiting late = waiting.remove(id);
      if (late != null) {
        late.complete(Attempt.deadline(timeoutMs, true));
      }
    });
    Waiting write = new Waiting(promise, caller, timer);
    waiting.put(id, write);
    open().onComplete(opened -> {
      if (!waiting.containsKey(id)) {
        return; // its deadline passed while the stream opened
      }
      if (opened.failed()) {
        settle(id, Attempt.unreachable("cannot open a WriteToLogStream to the walmesh gateway at " + unary.server() + ": "
            + opened.cause().getMessage(), opened.cause(), false));
        return;
      }
      try {
        opened.result().write(WriteToLogStreamRequest.newBuilder().setRequestId(id).setRequest(request).build());
      } catch (IllegalStateException e) { // the stream ended meanwhile
        settle(id, Attempt.unreachable("the WriteToLogStream to " + unary.server() + " ended: " + e.getMessage(), e, false));
      }
    });
  }

  private void settle(long id, Attempt attempt) {
    Waiting write = waiting.remove(id);
    if (write != null) {
      vertx.cancelTimer(write.timer());
      write.complete(attempt);
    }
  }

  /** The open stream, or a new one (on the home context). */
  private Future<GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse>> open() {
    if (stream != null) {
      return Future.succeededFuture(stream);
    }
    if (opening != null) {
      return opening;
    }
    opening = unary.client().request(unary.server(), WriteAheadLogGrpcClient.WriteToLogStream).map(request -> {
      if (unary.authorization() != null) {
        request.headers().set("authorization", unary.authorization());
      }
      stream = request;
      request.response().onComplete(responded -> {
        if (responded.failed()) {
          broken(request, "broke: " + responded.cause().getMessage(), responded.cause());
          return;
        }
        responded.result().handler(this::answered);
        responded.result().end().onComplete(ended -> broken(request, ended.failed() ? "broke: " + ended.cause().getMessage()
            : "was ended by the gateway with " + responded.result().status() + " " + responded.result().statusMessage(),
            ended.cause()));
      });
      return request;
    }).andThen(done -> opening = null);
    return opening;
  }

  private void answered(WriteToLogStreamResponse answer) {
    settle(answer.getRequestId(), answer.getStatusCode() == GrpcStatus.OK.code ? Attempt.answered(answer.getResponse())
        : Attempt.ofStatus(GrpcTransport.statusOf(answer.getStatusCode()), answer.getStatusMessage()));
  }

  /** The stream ended: every write still waiting on it may be stored; the next write opens a new stream. */
  private void broken(GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> ended, String how, Throwable cause) {
    if (stream != ended) {
      return;
    }
    stream = null;
    for (Long id : List.copyOf(waiting.keySet())) {
      settle(id, Attempt.unreachable("the WriteToLogStream to the walmesh gateway at " + unary.server() + " " + how,
          cause, true));
    }
  }

  @Override
  public boolean batches() {
    return true;
  }

  @Override
  public Future<List<Attempt>> writeBatch(List<WriteToLogRequest> requests, long timeoutMs) {
    return unary.writeBatch(requests, timeoutMs);
  }

  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    home(vertx.getOrCreateContext()).runOnContext(v -> {
      closed = true;
      for (Long id : List.copyOf(waiting.keySet())) {
        settle(id, Attempt.closed(true));
      }
      if (stream != null) {
        try {
          stream.end();
        } catch (IllegalStateException ignored) {
          // already ended
        }
        stream = null;
      }
      unary.close().onComplete(done);
    });
    return done.future();
  }

  @Override
  public String toString() {
    return "gRPC stream " + unary.server();
  }
}

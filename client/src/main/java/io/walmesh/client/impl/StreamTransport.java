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
 * <p>Bounded: at most {@link #MAX_UNANSWERED} requests are sent and unanswered (the node's own bound, so it never
 * has to stop reading the stream), and no request is sent while the stream's send queue is full (HTTP/2 flow
 * control). The writes held back meanwhile wait here, each under its own deadline, at most {@link #MAX_HELD}; a write
 * past that is refused at once with {@code RESOURCE_EXHAUSTED} (certainly not sent, so the retry policy may try it
 * again after a backoff). An application that writes faster than the node answers sees its writes wait, then be
 * refused, instead of the client buffering without limit.
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
  /** Ids sent on the open stream and not answered yet (a write past its deadline stays until its answer comes). */
  private final java.util.Set<Long> unanswered = new java.util.HashSet<>();
  /** Writes not sent yet: the stream is opening, at its bound of unanswered requests, or its send queue is full. */
  private final java.util.ArrayDeque<Held> held = new java.util.ArrayDeque<>();
  private boolean closed;

  /** The most requests of the stream sent and unanswered: the node's own bound per stream, so it never stops reading. */
  public static final int MAX_UNANSWERED = 1024;
  /** The most writes waiting to be sent; past it a write is refused at once ({@code RESOURCE_EXHAUSTED}, not sent). */
  public static final int MAX_HELD = 8192;

  private record Held(long id, WriteToLogRequest request) {
  }

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
    if (held.size() >= MAX_HELD) {
      new Waiting(promise, caller, -1).complete(Attempt.ofStatus(GrpcStatus.RESOURCE_EXHAUSTED, "this client's"
          + " WriteToLogStream to the walmesh gateway at " + unary.server() + " has " + unanswered.size() + " writes"
          + " unanswered (at most " + MAX_UNANSWERED + ", the node's bound per stream) and " + held.size() + " waiting"
          + " to be sent (at most " + MAX_HELD + "); the write was not sent. The node is not keeping up with this"
          + " client: write more slowly, or spread the writes over more clients or nodes"));
      return;
    }
    long id = ++lastId;
    long timer = vertx.setTimer(Math.max(1, timeoutMs), t -> {
      Waiting late = waiting.remove(id);
      if (late != null) {
        boolean sent = unanswered.contains(id);
        if (!sent) {
          unhold(id);
        }
        late.complete(Attempt.deadline(timeoutMs, sent));
      }
    });
    waiting.put(id, new Waiting(promise, caller, timer));
    held.add(new Held(id, request));
    if (stream != null) {
      pump();
      return;
    }
    open().onComplete(opened -> {
      if (opened.failed()) {
        // nothing was sent: each held write is certainly not stored
        Attempt refused = Attempt.unreachable("cannot open a WriteToLogStream to the walmesh gateway at "
            + unary.server() + ": " + opened.cause().getMessage(), opened.cause(), false);
        for (Held write = held.poll(); write != null; write = held.poll()) {
          settle(write.id(), refused);
        }
        return;
      }
      pump();
    });
  }

  /**
   * Sends held writes, oldest first, while the stream is open, under its bound of unanswered requests, and able to
   * take more (HTTP/2 flow control: a full send queue resumes this when it drains).
   */
  private void pump() {
    GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> open = stream;
    while (open != null && stream == open && !held.isEmpty() && unanswered.size() < MAX_UNANSWERED) {
      if (open.writeQueueFull()) {
        open.drainHandler(v -> pump());
        return;
      }
      Held write = held.poll();
      if (!waiting.containsKey(write.id())) {
        continue; // already settled
      }
      unanswered.add(write.id());
      try {
        open.write(WriteToLogStreamRequest.newBuilder().setRequestId(write.id()).setRequest(write.request()).build());
      } catch (IllegalStateException e) { // the stream ended meanwhile
        unanswered.remove(write.id());
        settle(write.id(), Attempt.unreachable("the WriteToLogStream to " + unary.server() + " ended: " + e.getMessage(),
            e, false));
      }
    }
  }

  /** Forgets a held write (its deadline passed); held writes expire about in order, so it is found near the head. */
  private void unhold(long id) {
    for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      if (it.next().id() == id) {
        it.remove();
        return;
      }
    }
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
    unanswered.remove(answer.getRequestId());
    pump();
    settle(answer.getRequestId(), answer.getStatusCode() == GrpcStatus.OK.code ? Attempt.answered(answer.getResponse())
        : Attempt.ofStatus(GrpcTransport.statusOf(answer.getStatusCode()), answer.getStatusMessage()));
  }

  /** The stream ended: every write still waiting on it may be stored; the next write opens a new stream. */
  private void broken(GrpcClientRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> ended, String how, Throwable cause) {
    if (stream != ended) {
      return;
    }
    stream = null;
    // the writes sent on it may be stored; the held ones were never sent, so they certainly are not
    java.util.Set<Long> sent = new java.util.HashSet<>(unanswered);
    unanswered.clear();
    held.clear();
    for (Long id : List.copyOf(waiting.keySet())) {
      settle(id, Attempt.unreachable("the WriteToLogStream to the walmesh gateway at " + unary.server() + " " + how,
          cause, sent.contains(id)));
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
      held.clear();
      for (Long id : List.copyOf(waiting.keySet())) {
        settle(id, Attempt.closed(unanswered.contains(id)));
      }
      unanswered.clear();
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

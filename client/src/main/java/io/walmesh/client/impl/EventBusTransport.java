package io.walmesh.client.impl;

import com.google.protobuf.InvalidProtocolBufferException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.ProtobufCodec;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.List;

/**
 * {@code WriteToLog} over the Vert.x event bus, to the gateway address ({@code walmesh.v1.write})
 * of a node in this Vert.x instance or its cluster. The request and the reply travel as protobuf
 * objects with {@link ProtobufCodec}; a refusal is a {@link ReplyException} whose failure code is
 * the gRPC status code. The {@code timeout-ms} header tells the gateway how long it may wait for
 * the namespace's owner, a little less than the send timeout so its {@code UNKNOWN} arrives first.
 */
public final class EventBusTransport implements Transport {
  /** The header the gateway reads for its wait, in ms. */
  public static final String TIMEOUT_HEADER = "timeout-ms";

  private final Vertx vertx;
  private final String address;

  /** Writes to {@code address} on {@code vertx}'s event bus, registering the codecs first. */
  public EventBusTransport(Vertx vertx, String address) {
    this.vertx = vertx;
    this.address = address;
    ProtobufCodec.registerWriteCodecs(vertx.eventBus());
  }

  @Override
  public Future<Attempt> write(WriteToLogRequest request, long timeoutMs) {
    long sendTimeout = Math.max(1, timeoutMs);
    long gatewayWait = Math.max(1, sendTimeout - Math.min(250, sendTimeout / 10));
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeout)
        .addHeader(TIMEOUT_HEADER, Long.toString(gatewayWait));
    return vertx.eventBus().<Object>request(address, request, options)
        .map(this::answered)
        .otherwise(cause -> failed(cause, sendTimeout));
  }

  private Attempt answered(Message<Object> reply) {
    Object body = reply.body();
    if (body instanceof WriteToLogResponse response) {
      return Attempt.answered(response);
    }
    if (body instanceof Buffer buffer) {
      try {
        return Attempt.answered(WriteToLogResponse.parseFrom(buffer.getBytes()));
      } catch (InvalidProtocolBufferException e) {
        return Attempt.ofStatus(GrpcStatus.UNKNOWN, "the gateway at " + address
            + " answered bytes that are not a WriteToLogResponse: " + e.getMessage());
      }
    }
    return Attempt.ofStatus(GrpcStatus.UNKNOWN, "the gateway at " + address + " answered "
        + (body == null ? "nothing" : body.getClass().getName()) + " instead of a WriteToLogResponse");
  }

  private Attempt failed(Throwable cause, long timeoutMs) {
    if (!(cause instanceof ReplyException reply)) {
      return Attempt.unreachable("sending to " + address + " failed: " + cause.getMessage(), cause, true);
    }
    return switch (reply.failureType()) {
      case NO_HANDLERS -> Attempt.unreachable("no walmesh gateway is registered at event-bus address " + address
          + " (no node in this Vert.x instance or its cluster, or it is not started yet)", reply, false);
      case TIMEOUT -> Attempt.deadline(timeoutMs, true);
      case RECIPIENT_FAILURE -> {
        int code = reply.failureCode();
        GrpcStatus status = code > 0 && code <= 16 ? GrpcStatus.valueOf(code) : GrpcStatus.UNKNOWN;
        yield Attempt.ofStatus(status, reply.getMessage());
      }
      default -> Attempt.unreachable("sending to " + address + " failed: " + reply.getMessage(), reply, true);
    };
  }

  @Override
  public boolean batches() {
    return false;
  }

  @Override
  public Future<List<Attempt>> writeBatch(List<WriteToLogRequest> requests, long timeoutMs) {
    throw new UnsupportedOperationException("the event bus has no batch call; send the writes one by one");
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return "event bus " + address;
  }
}

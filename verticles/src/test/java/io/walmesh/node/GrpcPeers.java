package io.walmesh.node;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * gRPC peers that are not walmesh's own client: grpc-java (the reference implementation, with its
 * own HTTP/2 stack) and a raw HTTP/2 client that sends whatever bytes and headers a test wants,
 * the way a broken or hostile client would.
 */
public final class GrpcPeers implements AutoCloseable {
  static final String WRITE_PATH = "/walmesh.v1.WriteAheadLog/WriteToLog";
  static final String STREAM_PATH = "/walmesh.v1.WriteAheadLog/WriteToLogStream";
  public static final MethodDescriptor<WriteToLogRequest, WriteToLogResponse> WRITE =
      MethodDescriptor.<WriteToLogRequest, WriteToLogResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("walmesh.v1.WriteAheadLog/WriteToLog")
          .setRequestMarshaller(ProtoUtils.marshaller(WriteToLogRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(WriteToLogResponse.getDefaultInstance()))
          .build();
  static final MethodDescriptor<io.walmesh.protocol.v1.WriteToLogBatchRequest, io.walmesh.protocol.v1.WriteToLogBatchResponse>
      BATCH = MethodDescriptor.<io.walmesh.protocol.v1.WriteToLogBatchRequest,
              io.walmesh.protocol.v1.WriteToLogBatchResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("walmesh.v1.WriteAheadLog/WriteToLogBatch")
          .setRequestMarshaller(ProtoUtils.marshaller(io.walmesh.protocol.v1.WriteToLogBatchRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(io.walmesh.protocol.v1.WriteToLogBatchResponse.getDefaultInstance()))
          .build();

  /** What grpc-java made of a call: its status (OK with the response, or the error). */
  record JavaAnswer(Status.Code code, String description, WriteToLogResponse response) {
  }

  /**
   * What came back on the wire for a raw call: HTTP status, grpc-status, and grpc-message exactly as sent, and the
   * response body (gRPC-framed messages).
   */
  record RawAnswer(int httpStatus, String grpcStatus, String grpcMessage, Buffer body) {
    /** The body's one response message. */
    WriteToLogResponse response() throws com.google.protobuf.InvalidProtocolBufferException {
      return WriteToLogResponse.parseFrom(body.getBytes(5, 5 + body.getInt(1)));
    }

    /** The body's messages, as a stream's answers. */
    java.util.List<io.walmesh.protocol.v1.WriteToLogStreamResponse> streamAnswers()
        throws com.google.protobuf.InvalidProtocolBufferException {
      java.util.List<io.walmesh.protocol.v1.WriteToLogStreamResponse> answers = new java.util.ArrayList<>();
      for (int at = 0; at < body.length(); at += 5 + body.getInt(at + 1)) {
        answers.add(io.walmesh.protocol.v1.WriteToLogStreamResponse.parseFrom(body.getBytes(at + 5, at + 5 + body.getInt(at + 1))));
      }
      return answers;
    }
  }

  private final int port;
  private final ManagedChannel channel;
  private final HttpClient h2;

  GrpcPeers(Vertx vertx, int port) {
    this.port = port;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    this.h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
  }

  /** A unary WriteToLog with grpc-java; {@code gzip} compresses the request message. */
  JavaAnswer write(WriteToLogRequest request, boolean gzip) {
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (gzip) {
      options = options.withCompression("gzip");
    }
    try {
      return new JavaAnswer(Status.Code.OK, null, ClientCalls.blockingUnaryCall(channel, WRITE, options, request));
    } catch (StatusRuntimeException e) {
      return new JavaAnswer(e.getStatus().getCode(), e.getStatus().getDescription(), null);
    }
  }

  /** One gRPC length-prefixed message frame. */
  static Buffer frame(boolean compressed, byte[] message) {
    return Buffer.buffer().appendByte((byte) (compressed ? 1 : 0)).appendInt(message.length).appendBytes(message);
  }

  /**
   * Sends raw bytes as the body of a WriteToLog call with extra headers; {@code end} false leaves the
   * stream open (the server must answer without waiting for the rest). Fails when no answer comes
   * within {@code timeoutMs}.
   */
  RawAnswer raw(Map<String, String> headers, Buffer body, boolean end, long timeoutMs) {
    return raw(headers, java.util.List.of(body), end, timeoutMs);
  }

  /** {@link #raw(Map, Buffer, boolean, long)} with the body sent in {@code pieces}, one HTTP/2 DATA frame each. */
  RawAnswer raw(Map<String, String> headers, java.util.List<Buffer> pieces, boolean end, long timeoutMs) {
    return raw(WRITE_PATH, headers, pieces, end, timeoutMs);
  }

  /** {@link #raw(Map, java.util.List, boolean, long)} of the method at {@code path}. */
  RawAnswer raw(String path, Map<String, String> headers, java.util.List<Buffer> pieces, boolean end, long timeoutMs) {
    Future<RawAnswer> answer = h2.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI(path))
        .compose(request -> {
          request.setChunked(true).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
          headers.forEach(request::putHeader);
          Future<HttpClientResponse> response = request.response();
          pieces.forEach(request::write);
          if (end) {
            request.end();
          }
          return response.compose(r -> r.body().map(b -> read(r, b)).onComplete(done -> reset(request)));
        });
    try {
      return answer.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer to a raw call of " + path + " within " + timeoutMs + " ms: " + e, e);
    }
  }

  private static void reset(HttpClientRequest request) {
    try {
      request.reset();
    } catch (RuntimeException ignored) {
      // the stream is already closed
    }
  }

  private static RawAnswer read(HttpClientResponse response, Buffer body) {
    String status = response.getHeader("grpc-status");
    String message = response.getHeader("grpc-message");
    if (status == null) {
      status = response.getTrailer("grpc-status");
      message = response.getTrailer("grpc-message");
    }
    return new RawAnswer(response.statusCode(), status, message, body);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    h2.close();
  }
}

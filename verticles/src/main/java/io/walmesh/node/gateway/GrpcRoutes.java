package io.walmesh.node.gateway;

import com.google.protobuf.MessageLite;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The gateway's request handler. Its write methods and health {@code Check} are each registered once with the handler
 * that serves them, and read by {@link DirectUnary} or {@link DirectStream} when the call is in gRPC's standard HTTP/2
 * form (the calls grpc-java, grpc-go, grpcurl and the walmesh client make), by vertx-grpc ({@link UnaryCall},
 * {@link StreamCall#serve}) otherwise (gRPC-Web, JSON). Every other call (reflection, health {@code Watch}, unknown
 * methods, requests that are not gRPC) goes to vertx-grpc unchanged.
 */
final class GrpcRoutes implements Handler<HttpServerRequest> {
  private final GrpcServer grpc;
  private final long maxMessageBytes;
  /** By the request's path, {@code /package.Service/Method}. */
  private final Map<String, Handler<HttpServerRequest>> direct = new HashMap<>();

  GrpcRoutes(GrpcServer grpc, long maxMessageBytes) {
    this.grpc = grpc;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Serves unary {@code method} with {@code handler}, however its calls come. */
  <Req, Resp extends MessageLite> GrpcRoutes unary(ServiceMethod<Req, Resp> method, GrpcMessageDecoder<Req> decoder,
                                                      BiConsumer<Unary<Resp>, Req> handler) {
    grpc.callHandler(method, call -> UnaryCall.read(call, decoder, maxMessageBytes, handler));
    String fullMethodName = fullMethodName(method);
    direct.put("/" + fullMethodName,
        request -> DirectUnary.<Req, Resp>read(request, fullMethodName, decoder, maxMessageBytes, handler));
    return this;
  }

  /** Serves {@code WriteToLogStream}, however its calls come: each stream is opened by {@code opener}. */
  GrpcRoutes stream(int maxUnanswered, StreamCall.Opener opener) {
    ServiceMethod<WriteToLogStreamRequest, WriteToLogStreamResponse> method = WriteAheadLogGrpcService.WriteToLogStream;
    grpc.callHandler(method, call -> StreamCall.serve(call, maxMessageBytes, maxUnanswered, opener));
    String fullMethodName = fullMethodName(method);
    direct.put("/" + fullMethodName,
        request -> DirectStream.serve(request, fullMethodName, maxMessageBytes, maxUnanswered, opener));
    return this;
  }

  /** {@code package.Service/Method}; a call's path is it after a slash. */
  private static String fullMethodName(ServiceMethod<?, ?> method) {
    return method.serviceName().fullyQualifiedName() + "/" + method.methodName();
  }

  @Override
  public void handle(HttpServerRequest request) {
    Handler<HttpServerRequest> reader = direct.get(request.path());
    if (reader != null && DirectCall.standard(request)) {
      reader.handle(request);
      return;
    }
    // Lets the call reader tell a compressed message without grpc-encoding from an identity one
    if (request.getHeader("grpc-encoding") == null) {
      request.headers().set("grpc-encoding", UnaryCall.NO_ENCODING);
    }
    grpc.handle(request);
  }
}

package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's answers are flushed once per burst, on Vert.x's real HTTP/2 server with the gateway's own call code
 * ({@link GrpcRoutes}: grpc-java's calls read by {@link DirectUnary}, gRPC-Web's by {@link UnaryCall}) and a
 * grpc-java client. The server's calls are answered by the test instead of a producer, so
 * that one task answers a known number of calls; how many flushes Vert.x's handler issues for them is counted by a
 * handler in the connection's pipeline. This is the check that a Vert.x upgrade did not silently undo the batching,
 * which rests on Vert.x internals.
 */
class FlushBatchingTest {
  static final MethodDescriptor<WriteToLogRequest, WriteToLogResponse> WRITE = io.walmesh.node.GrpcPeers.WRITE;
  static final int CALLS = 50;

  Vertx vertx;
  HttpServer server;
  ManagedChannel channel;
  /** Flushes Vert.x's HTTP/2 handler issued on the server's connection. */
  final AtomicInteger flushes = new AtomicInteger();
  /** Calls read and not answered yet, answered together by {@link #answerAll}. */
  final List<Runnable> held = new ArrayList<>();
  Context serverContext;
  /** Whether a call is refused at once, while its request is being read, instead of held. */
  volatile boolean refuseWhileReading;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    serverContext = vertx.getOrCreateContext();
    GrpcServer grpc = GrpcServer.server(vertx);
    GrpcRoutes calls = new GrpcRoutes(grpc, 1 << 20).unary(WriteAheadLogGrpcService.WriteToLog,
        WriteAheadLogGrpcService.WriteToLog.decoder(), (unary, request) -> {
          if (refuseWhileReading) {
            unary.refuse(GrpcStatus.INVALID_ARGUMENT, "refused at once: " + request.getNamespace());
          } else {
            held.add(() -> unary.answer(WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS)
                .setEntryId(request.getNamespace()).build()));
          }
        });
    java.util.concurrent.CompletableFuture<HttpServer> listening = new java.util.concurrent.CompletableFuture<>();
    serverContext.runOnContext(v -> vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .connectionHandler(connection -> {
          assertThat(FlushBatching.install(connection)).isTrue();
          ChannelHandlerContext vertxHandler = ((io.vertx.core.net.impl.ConnectionBase) connection).channelHandlerContext();
          vertxHandler.pipeline().addBefore(vertxHandler.name(), "test-flush-counter", new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) throws Exception {
              flushes.incrementAndGet();
              super.flush(ctx);
            }
          });
        })
        .requestHandler(calls)
        .listen()
        .onComplete(done -> {
          if (done.succeeded()) {
            listening.complete(done.result());
          } else {
            listening.completeExceptionally(done.cause());
          }
        }));
    server = listening.get(10, TimeUnit.SECONDS);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.actualPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    vertx.close().await();
  }

  private int heldCount() throws Exception {
    java.util.concurrent.CompletableFuture<Integer> size = new java.util.concurrent.CompletableFuture<>();
    serverContext.runOnContext(v -> size.complete(held.size()));
    return size.get(5, TimeUnit.SECONDS);
  }

  /** Waits until the server has read {@code calls} calls and holds them unanswered. */
  private void awaitHeld(int calls) {
    org.awaitility.Awaitility.await("calls read by the server").atMost(java.time.Duration.ofSeconds(10))
        .until(this::heldCount, held -> held >= calls);
  }

  /** Answers every held call in one task of the server's event loop, as the gateway's mailbox does. */
  private void answerAll() {
    serverContext.runOnContext(v -> {
      flushes.set(0);
      held.forEach(Runnable::run);
      held.clear();
    });
  }

  private List<com.google.common.util.concurrent.ListenableFuture<WriteToLogResponse>> send(int calls) {
    List<com.google.common.util.concurrent.ListenableFuture<WriteToLogResponse>> answers = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      answers.add(ClientCalls.futureUnaryCall(channel.newCall(WRITE, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
          WriteToLogRequest.newBuilder().setNamespace("call-" + i).build()));
    }
    return answers;
  }

  @Test
  void theAnswersOfOneTaskReachTheClientWithOneFlushNotThreeEach() throws Exception {
    var answers = send(CALLS);
    awaitHeld(CALLS);
    answerAll();
    for (int i = 0; i < CALLS; i++) {
      WriteToLogResponse answer = answers.get(i).get(10, TimeUnit.SECONDS);
      assertThat(answer.getDurable()).isEqualTo(Trilean.SUCCESS);
      assertThat(answer.getEntryId()).as("each call gets its own answer").isEqualTo("call-" + i);
    }
    // headers, message and trailers of 50 calls: 150 flushes without the burst; one for the burst itself, and a few
    // more if the client's window updates or pings are read while the answers go out (a real read ends in a flush)
    assertThat(flushes.get()).as("flushes for %s answers written in one task", CALLS).isBetween(1, 10);
  }

  @Test
  void answersWrittenWhileTheConnectionIsReadArriveToo() throws Exception {
    refuseWhileReading = true;
    var answers = send(CALLS);
    for (int i = 0; i < CALLS; i++) {
      int call = i;
      assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> answers.get(call).get(10, TimeUnit.SECONDS),
          java.util.concurrent.ExecutionException.class).getCause())
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("refused at once: call-" + call);
          });
    }
    // and the connection goes on: calls answered later, in a task of their own, still arrive
    refuseWhileReading = false;
    var later = send(3);
    awaitHeld(3);
    answerAll();
    for (int i = 0; i < 3; i++) {
      assertThat(later.get(i).get(10, TimeUnit.SECONDS).getEntryId()).isEqualTo("call-" + i);
    }
  }

  /** gRPC-Web over HTTP/1.1 reaches the same calls; its connections get no empty reads, and their answers arrive. */
  @Test
  void aGrpcWebCallOverHttp11IsAnsweredToo() throws Exception {
    io.vertx.core.http.HttpClient http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_1_1));
    byte[] message = WriteToLogRequest.newBuilder().setNamespace("web-call").build().toByteArray();
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 0).appendInt(message.length)
        .appendBytes(message);
    java.util.concurrent.CompletableFuture<io.vertx.core.buffer.Buffer> answer = new java.util.concurrent.CompletableFuture<>();
    http.request(io.vertx.core.http.HttpMethod.POST, server.actualPort(), "127.0.0.1", "/walmesh.v1.WriteAheadLog/WriteToLog")
        .compose(request -> request.putHeader("content-type", "application/grpc-web+proto").send(body))
        .compose(response -> response.body())
        .onComplete(done -> {
          if (done.succeeded()) {
            answer.complete(done.result());
          } else {
            answer.completeExceptionally(done.cause());
          }
        });
    awaitHeld(1);
    answerAll();
    io.vertx.core.buffer.Buffer received = answer.get(10, TimeUnit.SECONDS);
    // a data frame (flag 0) with the response, then a trailer frame (flag 0x80) with grpc-status: 0
    assertThat(received.getByte(0)).isEqualTo((byte) 0);
    int length = received.getInt(1);
    assertThat(WriteToLogResponse.parseFrom(received.getBytes(5, 5 + length)).getEntryId()).isEqualTo("web-call");
    assertThat(received.getByte(5 + length)).isEqualTo((byte) 0x80);
    assertThat(received.getString(5 + length + 5, received.length())).containsPattern("(?i)grpc-status: ?0");
    http.close();
  }
}

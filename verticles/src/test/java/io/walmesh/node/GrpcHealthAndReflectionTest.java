package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.walmesh.protocol.grpc.health.v1.HealthCheckRequest;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionRequest;
import io.walmesh.protocol.grpc.reflection.v1.ServerReflectionResponse;
import io.walmesh.protocol.grpc.reflection.v1.ServiceResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The standard gRPC health and reflection services, asked by grpc-java the way grpcurl, Kubernetes
 * gRPC probes and load balancers ask: by the standard method names and messages.
 */
class GrpcHealthAndReflectionTest extends SingleNodeTest {
  static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> CHECK = method(MethodDescriptor.MethodType.UNARY,
      "grpc.health.v1.Health/Check", HealthCheckRequest.getDefaultInstance(), HealthCheckResponse.getDefaultInstance());
  static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> WATCH = method(
      MethodDescriptor.MethodType.SERVER_STREAMING, "grpc.health.v1.Health/Watch", HealthCheckRequest.getDefaultInstance(),
      HealthCheckResponse.getDefaultInstance());
  static final MethodDescriptor<ServerReflectionRequest, ServerReflectionResponse> REFLECT = method(
      MethodDescriptor.MethodType.BIDI_STREAMING, "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      ServerReflectionRequest.getDefaultInstance(), ServerReflectionResponse.getDefaultInstance());

  ManagedChannel channel;

  static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> method(
      MethodDescriptor.MethodType type, String name, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder().setType(type).setFullMethodName(name)
        .setRequestMarshaller(ProtoUtils.marshaller(request)).setResponseMarshaller(ProtoUtils.marshaller(response)).build();
  }

  @BeforeEach
  void connect() {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private Status.Code checkCode(String service) {
    try {
      check(service);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private ServingStatus check(String service) {
    return ClientCalls.blockingUnaryCall(channel, CHECK, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
        HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void healthAnswersForTheNodeTheApiAndEachNamespaceAndAWatchSeesANamespaceComeUp() {
    assertThat(check("")).isEqualTo(ServingStatus.SERVING);
    assertThat(check("walmesh.v1.WriteAheadLog")).isEqualTo(ServingStatus.SERVING);
    assertThat(checkCode("no-such-namespace")).isEqualTo(Status.Code.NOT_FOUND);

    List<ServingStatus> watched = new CopyOnWriteArrayList<>();
    ClientCall<HealthCheckRequest, HealthCheckResponse> watch = channel.newCall(WATCH, CallOptions.DEFAULT);
    watch.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(HealthCheckResponse message) {
        watched.add(message.getStatus());
        watch.request(1);
      }
    }, new Metadata());
    watch.sendMessage(HealthCheckRequest.newBuilder().setService("watched").build());
    watch.halfClose();
    watch.request(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> watched.contains(ServingStatus.SERVICE_UNKNOWN));

    create(admin, TestNodes.namespace("watched", sink.url("/w")));
    await().atMost(Duration.ofSeconds(5)).until(() -> watched.contains(ServingStatus.SERVING));
    // a check that falls while the namespace is starting sees NOT_SERVING in between; nothing else may come
    assertThat(watched.get(0)).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    assertThat(watched.get(watched.size() - 1)).isEqualTo(ServingStatus.SERVING);
    assertThat(watched.subList(1, watched.size() - 1)).allMatch(status -> status == ServingStatus.NOT_SERVING);
    assertThat(check("watched")).isEqualTo(ServingStatus.SERVING);
    watch.cancel("done", null);
  }

  private List<ServerReflectionResponse> reflect(ServerReflectionRequest... requests) throws Exception {
    List<ServerReflectionResponse> answers = new CopyOnWriteArrayList<>();
    java.util.concurrent.CompletableFuture<Status> closed = new java.util.concurrent.CompletableFuture<>();
    ClientCall<ServerReflectionRequest, ServerReflectionResponse> call = channel.newCall(REFLECT,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(ServerReflectionResponse message) {
        answers.add(message);
        call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    for (ServerReflectionRequest request : requests) {
      call.sendMessage(request);
    }
    call.halfClose();
    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
    return answers;
  }

  @Test
  void reflectionListsTheServicesAndDescribesTheApiAsGrpcurlAsks() throws Exception {
    List<ServerReflectionResponse> answers = reflect(
        ServerReflectionRequest.newBuilder().setListServices("").build(),
        ServerReflectionRequest.newBuilder().setFileContainingSymbol("walmesh.v1.WriteAheadLog").build(),
        ServerReflectionRequest.newBuilder().setFileContainingSymbol("walmesh.v1.WriteToLogStreamRequest").build(),
        ServerReflectionRequest.newBuilder().setFileContainingSymbol("walmesh.v1.NoSuchThing").build());
    assertThat(answers).hasSize(4);
    assertThat(answers.get(0).getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
        .containsExactlyInAnyOrder("walmesh.v1.WriteAheadLog", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");

    FileDescriptorProto api = FileDescriptorProto.parseFrom(answers.get(1).getFileDescriptorResponse().getFileDescriptorProto(0));
    assertThat(api.getPackage()).isEqualTo("walmesh.v1");
    assertThat(api.getServiceList()).singleElement().satisfies(service -> {
      assertThat(service.getName()).isEqualTo("WriteAheadLog");
      assertThat(service.getMethodList()).extracting(m -> m.getName())
          .containsExactlyInAnyOrder("WriteToLog", "WriteToLogBatch", "WriteToLogStream");
    });
    assertThat(api.getMessageTypeList()).extracting(m -> m.getName()).contains("WriteToLogRequest", "WriteToLogStreamResponse");
    assertThat(FileDescriptorProto.parseFrom(answers.get(2).getFileDescriptorResponse().getFileDescriptorProto(0)).getName())
        .isEqualTo(api.getName());
    assertThat(answers.get(3).getErrorResponse().getErrorCode()).isEqualTo(Status.Code.NOT_FOUND.value());
  }
}

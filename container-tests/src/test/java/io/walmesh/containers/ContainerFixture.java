package io.walmesh.containers;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.client.WalmeshClient;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import io.walmesh.testcontainers.WalmeshContainer;

/** One client Vert.x and one HTTP receiver per test class; helpers to call a node from outside its container. */
abstract class ContainerFixture {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static Vertx vertx;
  static Receiver receiver;

  @BeforeAll
  static void startClientSide() throws Exception {
    vertx = Vertx.vertx();
    receiver = new Receiver();
  }

  @AfterAll
  static void stopClientSide() throws Exception {
    receiver.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T result(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static WalmeshClient client(String host, int grpcPort) {
    return WalmeshClient.grpc(vertx, host, grpcPort).build();
  }

  static WriteToLogRequest write(String namespace, String key, String payload) {
    return WriteToLogRequest.newBuilder().setNamespace(namespace).setKey(key)
        .setPayload(ByteString.copyFromUtf8(payload)).build();
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String url, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The node's health document, or an empty object while it does not answer. */
  static JsonObject health(String adminUrl) {
    try {
      HttpResponse<String> response = get(adminUrl + "/v1/health");
      return new JsonObject(response.body()).put("http-status", response.statusCode());
    } catch (Exception e) {
      return new JsonObject();
    }
  }

  /** A node whose log lines go to this test's log (target/surefire-reports/*-output.txt), prefixed with its name. */
  static WalmeshContainer logged(WalmeshContainer node, String name) {
    return node.withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container." + name)).withSeparateOutputStreams());
  }

  /** Everything a container printed, as {@code docker logs} shows it. */
  static String logs(String containerId) throws InterruptedException {
    StringBuilder out = new StringBuilder();
    Docker.client().logContainerCmd(containerId).withStdOut(true).withStdErr(true)
        .exec(new ResultCallback.Adapter<Frame>() {
          @Override
          public void onNext(Frame frame) {
            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
          }
        }).awaitCompletion(30, TimeUnit.SECONDS);
    return out.toString();
  }
}

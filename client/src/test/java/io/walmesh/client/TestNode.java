package io.walmesh.client;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.Node;
import io.walmesh.node.NodeOptions;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers for the client tests: a real node in this JVM, namespace documents, requests. */
final class TestNode {
  private TestNode() {
  }

  /** Starts a node; {@code grpcPort} 0 picks a free port. */
  static Node start(Path dataDir, String nodeId, int grpcPort) {
    return await(new Node(new NodeOptions().nodeId(nodeId).dataDir(dataDir).grpc("127.0.0.1", grpcPort)
        .admin("127.0.0.1", 0)).start());
  }

  /**
   * A namespace with one http target, idempotency keys remembered for an hour, fast consumer polls
   * and deliveries retried quickly.
   */
  static JsonObject namespace(String name, String url) {
    return new JsonObject()
        .put("name", name)
        .put("targets", new JsonArray().add(new JsonObject().put("name", "web").put("type", "http")
            .put("config", new JsonObject().put("url", url))))
        .put("dedupe-window-ms", 3_600_000)
        .put("retry", new JsonObject().put("max-attempts", 5).put("initial-backoff-ms", 100))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static WriteToLogRequest request(String namespace, String payload) {
    return WriteToLogRequest.newBuilder().setNamespace(namespace).setPayload(ByteString.copyFromUtf8(payload)).build();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The exception {@code future} failed with; fails the test if it succeeded. */
  static Throwable failure(Future<?> future) {
    try {
      Object result = future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + result);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  static void close(Vertx vertx) {
    if (vertx != null) {
      await(vertx.close());
    }
  }
}

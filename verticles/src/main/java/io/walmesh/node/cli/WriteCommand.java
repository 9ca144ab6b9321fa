package io.walmesh.node.cli;

import com.google.protobuf.ByteString;
import io.vertx.core.Vertx;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walmesh write}: one WriteToLog call over gRPC, for trying things out. */
@Command(name = "write", mixinStandardHelpOptions = true, description = "Writes one entry with WriteToLog over gRPC.")
final class WriteCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAMESPACE")
  String namespace;
  @Option(names = "--payload", required = true, description = "The payload, as UTF-8 text.")
  String payload;
  @Option(names = "--key", defaultValue = "", description = "Ordering key.")
  String key;
  @Option(names = "--delay-ms", defaultValue = "0", description = "Deliver no earlier than the write time + this many ms "
      + "(lifecycle.delay_ms). Not with --deliver-at-ms.")
  long delayMs;
  @Option(names = "--deliver-at-ms", defaultValue = "0", description = "Deliver no earlier than this instant, in epoch ms "
      + "(lifecycle.deliver_at_ms); a past instant is due at once. Not with --delay-ms.")
  long deliverAtMs;
  @Option(names = "--write-time-ms", defaultValue = "0", description = "The original write time, in epoch ms "
      + "(lifecycle.write_time_ms): targets version by it, e.g. to replay a mutation with its own clock. "
      + "At most 5 minutes ahead of the node's clock; 0 (the default): the node's clock.")
  long writeTimeMs;
  @Option(names = "--idempotency-key", defaultValue = "", description = "A retried write with the same key is stored once.")
  String idempotencyKey;
  @Option(names = "--target", defaultValue = "", description = "One of the namespace's targets (default: its default targets).")
  String target;
  @Option(names = "--header", description = "A header NAME=VALUE; repeatable.")
  Map<String, String> headers;
  @Option(names = "--grpc", defaultValue = "${env:WALMESH_GRPC:-127.0.0.1:9090}",
      description = "gRPC host:port (default: $WALMESH_GRPC or 127.0.0.1:9090).")
  String grpc;

  @picocli.CommandLine.Mixin
  ClientCredentials tls = new ClientCredentials();

  /**
   * What the node would refuse in the time options (as WriteValidator does), named by the CLI's
   * options; null when they are fine. How far ahead a time may be is left to the node's clock.
   */
  String lifecycleProblem() {
    if (delayMs < 0) {
      return "--delay-ms must not be negative, got " + delayMs;
    }
    if (deliverAtMs < 0) {
      return "--deliver-at-ms must not be negative, got " + deliverAtMs;
    }
    if (writeTimeMs < 0) {
      return "--write-time-ms must not be negative, got " + writeTimeMs;
    }
    if (delayMs > 0 && deliverAtMs > 0) {
      return "set --delay-ms or --deliver-at-ms, not both";
    }
    return null;
  }

  @Override
  public Integer call() throws Exception {
    int colon = grpc.lastIndexOf(':');
    if (colon < 0) {
      System.err.println("error: --grpc must be host:port, got " + grpc);
      return 2;
    }
    String badLifecycle = lifecycleProblem();
    if (badLifecycle != null) {
      System.err.println("error: " + badLifecycle);
      return 2;
    }
    WriteToLogRequest.Builder request = WriteToLogRequest.newBuilder()
        .setNamespace(namespace)
        .setPayload(ByteString.copyFromUtf8(payload))
        .setKey(key)
        .setIdempotencyKey(idempotencyKey)
        .setLifecycle(Lifecycle.newBuilder().setDelayMs(delayMs).setDeliverAtMs(deliverAtMs).setWriteTimeMs(writeTimeMs));
    if (!target.isEmpty()) {
      request.setTarget(Target.newBuilder().setName(target));
    }
    if (headers != null) {
      request.putAllHeaders(headers);
    }
    Vertx vertx = Vertx.vertx();
    try (GrpcWriteClient client = new GrpcWriteClient(vertx, grpc.substring(0, colon), Integer.parseInt(grpc.substring(colon + 1)),
        tls.clientTls()).bearerToken(tls.token)) {
      GrpcWriteClient.Result result = client.write(request.build(), 15_000)
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      if (!result.ok()) {
        System.err.println("error (" + result.status().name() + "): " + result.statusMessage());
        return 1;
      }
      System.out.println("durable: " + result.response().getDurable()
          + (result.response().getEntryId().isEmpty() ? "" : "  entry_id: " + result.response().getEntryId())
          + (result.response().getMessage().isEmpty() ? "" : "  message: " + result.response().getMessage()));
      return result.response().getDurable() == io.walmesh.protocol.v1.Trilean.SUCCESS ? 0 : 1;
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("error: no walmesh gateway answers at " + grpc + ": " + e.getCause().getMessage());
      return 3;
    } finally {
      vertx.close();
    }
  }
}

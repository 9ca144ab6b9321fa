package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.BackendStats;

/**
 * Fresh counts made by the nodes that deliver a namespace, for a delete or a move decided on the node that takes its
 * writes while other nodes deliver it. A backend's fresh count can depend on what its own node did: SQS's counts lag a
 * send by up to a minute, and only the node that sent knows it did (the delivering node's dead-letter moves and
 * re-enqueued retries among them); so the delivering nodes count too, each with what it knows.
 *
 * <p>Served on the event bus at {@code walmesh.namespace-count.<node id>}. Who may ask: members of the mesh, the nodes
 * that take writes among them; a process that joins the mesh's Hazelcast cluster without the event bus's client
 * certificate reaches no node's address ({@code MeshSecurityTest.theRogueReadsNoCountsFromTheNodes}). It answers
 * counts, nothing else, and changes nothing.
 */
final class DeliveringNodeCounts {
  static final String ADDRESS_PREFIX = "walmesh.namespace-count.";
  /** A count reads the backend's queues or topics (Kafka reads its DLQ topic to its end, for up to 30 s). */
  private static final long TIMEOUT_MS = 45_000;

  private final Vertx vertx;

  DeliveringNodeCounts(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Answers this node's fresh counts of the namespaces it delivers. */
  MessageConsumer<Object> serve(String nodeId, Reconciler runtimes) {
    return vertx.eventBus().<Object>consumer(ADDRESS_PREFIX + nodeId, message -> {
      String name = message.body() instanceof JsonObject body && body.getValue("namespace") instanceof String ns ? ns
          : null;
      if (name == null) {
        message.fail(400, "a count request is {\"namespace\": NAME}");
        return;
      }
      NamespaceRuntime runtime = runtimes.runtime(name);
      if (runtime == null || !runtime.consumer) {
        message.fail(404, "node " + nodeId + " does not deliver namespace " + name + " now");
        return;
      }
      runtime.countNow().onComplete(counted -> {
        if (counted.failed()) {
          message.fail(500, String.valueOf(counted.cause().getMessage()));
        } else if (counted.result().isEmpty()) {
          message.fail(501, "its " + runtime.config.backendType() + " backend cannot count its entries");
        } else {
          BackendStats stats = counted.result().get();
          message.reply(new JsonObject().put("pending", stats.pending()).put("leased", stats.leased())
              .put("dead-letters", stats.deadLetters()));
        }
      });
    });
  }

  /** A fresh count made by {@code node}, which delivers {@code namespace}; fails with why it could not count. */
  Future<BackendStats> count(String node, String namespace) {
    return vertx.eventBus().<JsonObject>request(ADDRESS_PREFIX + node, new JsonObject().put("namespace", namespace),
            new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
        .recover(e -> Future.failedFuture(new IllegalStateException("node " + node + ", which delivers it, could not"
            + " count it: " + (e instanceof ReplyException reply ? reply.getMessage() : e.toString()))))
        .map(reply -> new BackendStats(reply.body().getLong("pending", 0L), reply.body().getLong("leased", 0L),
            reply.body().getLong("dead-letters", 0L), 0));
  }
}

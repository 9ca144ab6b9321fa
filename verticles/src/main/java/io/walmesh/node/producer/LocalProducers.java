package io.walmesh.node.producer;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The producers running on this node, by namespace, so that the node's own gateway writes to them
 * directly instead of over the event bus (which still carries writes between nodes and from
 * event-bus clients). A producer is here exactly while it is deployed and not stopping.
 */
public final class LocalProducers {
  private final Map<String, ProducerVerticle> producers = new ConcurrentHashMap<>();

  void add(String namespace, ProducerVerticle producer) {
    producers.put(namespace, producer);
  }

  void remove(String namespace, ProducerVerticle producer) {
    producers.remove(namespace, producer);
  }

  /** The producer of a namespace on this node, if it runs here. */
  public Optional<ProducerVerticle> of(String namespace) {
    return Optional.ofNullable(producers.get(namespace));
  }
}

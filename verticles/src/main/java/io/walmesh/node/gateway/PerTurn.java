package io.walmesh.node.gateway;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Items gathered per key during one turn of a context's event loop and handed over together once the turn's other
 * tasks have run: the writes a gateway decodes in one turn go to their producer ({@link LocalWrites}) or to their
 * owner on another member ({@link RemoteWrites}) as one hand-off, in the order they came. Confined to the context.
 */
final class PerTurn<K, T> {
  private final Context context;
  private final BiConsumer<K, List<T>> handOver;
  private final Map<K, List<T>> gathered = new HashMap<>();

  PerTurn(Context context, BiConsumer<K, List<T>> handOver) {
    this.context = context;
    this.handOver = handOver;
  }

  void add(K key, T item) {
    items(key).add(item);
  }

  /**
   * Several items for one key, in order: one lookup for all of them (a batch call's writes for one producer). The
   * caller hands {@code items} over: when they are the key's first in this turn the list itself is kept and added to.
   */
  void addAll(K key, ArrayList<T> items) {
    List<T> gathering = gathered.get(key);
    if (gathering == null) {
      start(key, items);
    } else {
      gathering.addAll(items);
    }
  }

  private List<T> items(K key) {
    List<T> items = gathered.get(key);
    return items != null ? items : start(key, new ArrayList<>());
  }

  /** The first items for this key in this turn: the hand-off runs once the turn's reads are done. */
  private List<T> start(K key, List<T> items) {
    gathered.put(key, items);
    context.runOnContext(v -> handOver.accept(key, gathered.remove(key)));
    return items;
  }
}

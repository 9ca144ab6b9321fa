package io.walmesh.node;

import io.vertx.core.Future;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.entry.EntryRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in for a third-party backend that implements the core {@link Backend} and none of the
 * optional capabilities (no browsable DLQ, no counts, no replay), so that tests can check what the
 * node answers for such a namespace. It has no real form: its entries live in this JVM's memory
 * and are not durable, which is why it exists only on the test class path (type {@code minimal}).
 */
public final class MinimalBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return "minimal";
  }

  @Override
  public void validate(BackendSpec spec) {
    if (spec.orderedByKey()) {
      throw new ConfigException("ordering", "the minimal backend cannot keep per-key order; use \"ordering\": \"none\"");
    }
  }

  @Override
  public Future<Backend> open(BackendSpec spec) {
    return Future.succeededFuture(new Minimal());
  }

  private static final class Minimal implements Backend {
    private final Map<String, EntryRecord> queued = new LinkedHashMap<>();
    private final Map<String, EntryRecord> leased = new LinkedHashMap<>();
    private final List<EntryRecord> parked = new ArrayList<>();
    private volatile Runnable available = () -> { };

    @Override
    public synchronized Future<AppendResult> append(EntryRecord entry) {
      queued.put(entry.getEntryId(), entry);
      available.run();
      return Future.succeededFuture(new AppendResult(entry.getEntryId(), false));
    }

    @Override
    public synchronized Future<List<Lease>> poll(int max) {
      List<Lease> out = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (EntryRecord entry : List.copyOf(queued.values())) {
        if (out.size() < max && entry.getDueAtMs() <= now) {
          queued.remove(entry.getEntryId());
          leased.put(entry.getEntryId(), entry);
          out.add(new Lease(entry, entry.getEntryId()));
        }
      }
      return Future.succeededFuture(out);
    }

    @Override
    public synchronized Future<Void> ack(Lease lease) {
      leased.remove(lease.entry().getEntryId());
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> retry(Lease lease, EntryRecord updated) {
      leased.remove(lease.entry().getEntryId());
      queued.put(updated.getEntryId(), updated);
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> deadLetter(Lease lease, EntryRecord updated) {
      leased.remove(lease.entry().getEntryId());
      parked.add(updated);
      return Future.succeededFuture();
    }

    @Override
    public void onAvailable(Runnable listener) {
      available = listener;
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> destroy() {
      queued.clear();
      leased.clear();
      parked.clear();
      return Future.succeededFuture();
    }
  }
}

package io.walmesh.spi.backend;

import io.walmesh.spi.entry.EntryRecord;
import java.util.Objects;

/**
 * An entry handed to a consumer by {@link Backend#poll}; settle it exactly once.
 *
 * @param entry the stored entry
 * @param token the backend's own handle for settling it (a sequence, an offset, a receipt handle)
 */
public record Lease(EntryRecord entry, Object token) {
  public Lease {
    Objects.requireNonNull(entry, "entry");
  }
}

package io.walmesh.spi.backend;

import java.util.Objects;
import java.util.Set;

/**
 * A request to deliver again the retained entries of a namespace written in a time range: the
 * recovery after a target's data was corrupted or lost.
 *
 * @param fromMs the first write time replayed (epoch ms, inclusive)
 * @param toMs the end of the range (epoch ms, exclusive); {@code Long.MAX_VALUE} for "until now"
 * @param target the one target to deliver to, or empty for each entry's original targets
 * @param excludedEntryIds entries not to replay (e.g. the bad mutation that caused the corruption)
 */
public record ReplayRequest(long fromMs, long toMs, String target, Set<String> excludedEntryIds) {
  public ReplayRequest {
    target = target == null ? "" : target;
    excludedEntryIds = Set.copyOf(Objects.requireNonNull(excludedEntryIds, "excludedEntryIds"));
    if (toMs <= fromMs) {
      throw new IllegalArgumentException("the replay range is empty: to (" + toMs + ") must be after from (" + fromMs + ")");
    }
  }
}

package io.walmesh.spi.backend;

import io.walmesh.spi.entry.EntryRecord;
import java.util.Objects;
import java.util.Set;

/**
 * A request to deliver again the retained entries of a namespace written in a time range: the
 * recovery after a target's data was corrupted or lost.
 *
 * @param fromMs the first write time replayed (epoch ms, inclusive)
 * @param toMs the end of the range (epoch ms, exclusive); {@code Long.MAX_VALUE} for "until now"
 * @param target the one target to deliver to, or empty for each entry's original targets; with a
 *     target, only entries written for it are replayed: those that named it, and those that named
 *     none when {@code targetIsDefault}
 * @param targetIsDefault whether {@code target} is one of the namespace's default targets
 * @param excludedEntryIds entries not to replay (e.g. the bad mutation that caused the corruption)
 */
public record ReplayRequest(long fromMs, long toMs, String target, boolean targetIsDefault, Set<String> excludedEntryIds) {
  /** The header a replayed entry carries: the id of the replay that queued it. */
  public static final String REPLAY_HEADER = "walmesh-replay-id";

  public ReplayRequest {
    target = target == null ? "" : target;
    excludedEntryIds = Set.copyOf(Objects.requireNonNull(excludedEntryIds, "excludedEntryIds"));
    if (toMs <= fromMs) {
      throw new IllegalArgumentException("the replay range is empty: to (" + toMs + ") must be after from (" + fromMs + ")");
    }
  }

  /**
   * Whether a retained entry belongs to this replay, exclusions aside: written in the range, for the
   * replay's target, and not itself a copy an earlier replay queued.
   */
  public boolean covers(EntryRecord entry) {
    return entry.getWriteTimeMs() >= fromMs && entry.getWriteTimeMs() < toMs && selects(entry.getTarget())
        && !entry.getHeadersMap().containsKey(REPLAY_HEADER);
  }

  /** The entry as the replay puts it back: due now, attempts reset, marked with the replay's id, for its target. */
  public EntryRecord requeue(EntryRecord entry, String replayId, long nowMs) {
    EntryRecord.Builder again = entry.toBuilder().setAttempts(0).setDueAtMs(nowMs).setDeadAtMs(0)
        .clearDeliveredTargets().setLastError("").putHeaders(REPLAY_HEADER, replayId);
    if (!target.isEmpty()) {
      again.setTarget(target);
    }
    return again.build();
  }

  /**
   * A limit on what one replay may requeue (entries, bytes): the JVM system property {@code property} (a positive
   * whole number of {@code unit}), or {@code defaultValue} when it is not set. A backend refuses a replay that covers
   * more, whole.
   *
   * @throws IllegalArgumentException naming the property, when it is set to anything else
   */
  public static long limit(String property, long defaultValue, String unit) {
    String configured = System.getProperty(property);
    if (configured == null) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(configured.trim());
      if (value >= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new IllegalArgumentException("-D" + property + " must be a positive number of " + unit + ", not \""
        + configured + "\"");
  }

  /** Whether an entry written for {@code entryTarget} (empty: the default targets) belongs to this replay. */
  public boolean selects(String entryTarget) {
    if (target.isEmpty()) {
      return true;
    }
    return entryTarget.isEmpty() ? targetIsDefault : entryTarget.equals(target);
  }
}

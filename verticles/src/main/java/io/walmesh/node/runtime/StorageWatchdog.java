package io.walmesh.node.runtime;

import io.vertx.core.Vertx;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a node that can no longer store durably fail loudly instead of limping. While some
 * namespace's backend reports itself unavailable, health is {@code DOWN} and writes are refused
 * with {@code UNAVAILABLE}; when that lasts {@code exitAfterMs}, the watchdog exits the process
 * with {@link #EXIT_STATUS} so a supervisor (systemd, Kubernetes, Docker) restarts it on a fresh
 * log. Entries acknowledged before are on disk and are delivered after the restart.
 */
public final class StorageWatchdog {
  private static final Logger log = LoggerFactory.getLogger(StorageWatchdog.class);
  /** The exit status of a node that gave up on its storage (EX_TEMPFAIL: try again). */
  public static final int EXIT_STATUS = 75;
  static final long CHECK_EVERY_MS = 1_000;

  private final Vertx vertx;
  private final Supplier<Optional<String>> unavailable;
  private final long exitAfterMs;
  private final IntConsumer exit;
  private long since;
  private long timerId = -1;

  /**
   * @param unavailable why storage cannot write now, or empty
   * @param exitAfterMs how long unavailability may last before the process exits; 0 never exits
   * @param exit what exiting means (the node: {@code System.exit})
   */
  public StorageWatchdog(Vertx vertx, Supplier<Optional<String>> unavailable, long exitAfterMs, IntConsumer exit) {
    this.vertx = vertx;
    this.unavailable = unavailable;
    this.exitAfterMs = exitAfterMs;
    this.exit = exit;
  }

  public StorageWatchdog start() {
    timerId = vertx.setPeriodic(CHECK_EVERY_MS, id -> check());
    return this;
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private void check() {
    Optional<String> reason = unavailable.get();
    long now = System.currentTimeMillis();
    if (reason.isEmpty()) {
      if (since > 0) {
        log.warn("Storage writes again after {} ms; health is UP again", now - since);
      }
      since = 0;
      return;
    }
    if (since == 0) {
      since = now;
      log.error("Storage cannot write: {}. Health is DOWN and writes are refused with UNAVAILABLE{}", reason.get(),
          exitAfterMs > 0 ? "; the node exits in " + exitAfterMs + " ms unless it recovers (storage-unavailable-exit-ms)" : "");
    } else if (exitAfterMs > 0 && now - since >= exitAfterMs) {
      log.error("Storage has not written for {} ms ({}); exiting with status {} so a supervisor restarts the node."
          + " Acknowledged entries are on disk and are delivered after the restart.", now - since, reason.get(), EXIT_STATUS);
      stop();
      exit.accept(EXIT_STATUS);
    }
  }
}

package io.walmesh.node.runtime;

import java.util.Locale;

/** A namespace's state on this node, as the admin API, health and the mesh's state map name it. */
public enum NamespaceState {
  /** Its runtime here takes writes and delivers. */
  RUNNING,
  /** Its runtime here takes writes, but deliveries wait (a target type is missing or being replaced). */
  PAUSED,
  /** It failed to start here; the error says why, and it is tried again. */
  FAILED,
  /** Another node of the mesh runs it; calls about it are forwarded there. */
  ELSEWHERE,
  /** This node should run it and is starting it. */
  STARTING,
  /** Its backend cannot store writes durably now: writes are refused and health is DOWN. */
  UNAVAILABLE;

  /** The name in answers: {@code running}, {@code paused}, ... */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the namespace is served (here or elsewhere) as it should be: health stays UP. */
  public boolean healthy() {
    return this == RUNNING || this == ELSEWHERE;
  }
}

package io.walmesh.spi.backend;

/**
 * A {@link Backend} that can count its entries cheaply. The counts feed the namespace's metrics
 * ({@code walmesh_entries_pending}, {@code walmesh_dlq_entries}, ...), the {@code stats} of the
 * admin API, and the check that deleting a namespace would not drop entries. A namespace whose
 * backend cannot count shows no {@code stats}, and deleting it needs {@code force=true}.
 *
 * <ol>
 *   <li>{@link #stats} MUST NOT block and MUST be cheap: it is read on every metrics scrape.</li>
 *   <li>{@link BackendStats#pending()} MUST count every stored entry not yet delivered (leased and
 *       delayed ones too), so that zero means a delete drops nothing but dead letters.</li>
 * </ol>
 */
public interface CountingBackend extends Backend {

  /** The counts now, as last read: a backend that reads them from its server may be seconds behind. */
  BackendStats stats();

  /**
   * The counts as of this call: every append answered before it is in them (a count may run over, never under). A
   * delete without {@code force} checks these once the namespace has stopped taking writes, so that a write
   * acknowledged a moment before is never destroyed with it. The default is {@link #stats}, right for a backend whose
   * counts are always current; one that reads them from its server every few seconds reads them again here.
   */
  default io.vertx.core.Future<BackendStats> countNow() {
    return io.vertx.core.Future.succeededFuture(stats());
  }
}

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

  /** The counts now. */
  BackendStats stats();
}

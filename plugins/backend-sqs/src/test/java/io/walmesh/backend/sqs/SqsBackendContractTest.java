package io.walmesh.backend.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.Lease;
import io.walmesh.testkit.BackendContract;
import io.walmesh.testkit.BackendProbe.Polled;
import io.walmesh.testkit.ElasticMq;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backend contract on a real SQS server (ElasticMQ in this JVM): one queue per test, a 3 s
 * visibility timeout so that an entry leased before a restart comes back within the test; then
 * what is SQS's own: batched sends and batched deletes.
 */
class SqsBackendContractTest extends BackendContract {
  static ElasticMq sqs;

  @BeforeAll
  static void startSqs() {
    sqs = ElasticMq.start();
  }

  @AfterAll
  static void stopSqs() {
    sqs.close();
  }

  @Override
  protected BackendFactory newFactory() {
    return new SqsBackendFactory();
  }

  @Override
  protected JsonObject config(String namespace) {
    return new JsonObject().put("wal-queue", namespace).put("endpoint", sqs.endpoint()).put("access-key-id", "x")
        .put("secret-access-key", "x").put("wait-time-secs", 0).put("visibility-timeout-secs", 3);
  }

  /** SQS standard queues do not order messages: the sqs backend refuses ordered namespaces. */
  @Override
  protected boolean keepsPerKeyOrder() {
    return false;
  }

  /**
   * Entries are deleted in batches of 10; one whose delete SQS refuses (here a receipt handle SQS never issued) fails
   * the call with a message that says how many, and only that entry is delivered again.
   */
  @Test
  void aBatchedDeleteThatSqsPartlyRefusesFailsAndOnlyTheRefusedEntryComesBack() {
    Backend backend = open(spec(false));
    String[] payloads = new String[12];
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = "batched-" + i;
      append(backend, entry("", payloads[i], 0));
    }
    List<Polled> polled = probe.pollUntilPayloads(backend, Duration.ofSeconds(10), payloads);
    List<Lease> leases = new ArrayList<>();
    polled.forEach(p -> leases.add(p.lease()));
    Lease kept = leases.get(4);
    leases.set(4, new Lease(kept.entry(), "not-a-receipt-handle-sqs-issued"));
    assertThatThrownBy(() -> probe.call(() -> backend.ackAll(leases)))
        .hasMessageContaining("SQS did not delete 1 of 10 delivered messages").hasMessageContaining("delivered again");
    // after the 3 s visibility timeout, only the entry whose delete was refused is polled again
    List<Polled> again = probe.pollUntilPayloads(backend, Duration.ofSeconds(10), kept.entry().getPayload().toStringUtf8());
    again.addAll(probe.assertNonePolled(backend, Duration.ofSeconds(4), "deleted entries stay deleted",
        p -> !p.lease().entry().getEntryId().equals(kept.entry().getEntryId())));
    assertThat(again).extracting(p -> p.lease().entry().getEntryId()).containsOnly(kept.entry().getEntryId());
  }

  /** Writes that arrive together go out in SendMessageBatch calls; each is answered with its own id and delivered. */
  @Test
  void concurrentWritesShareCallsAndEachGetsItsOwnIdAndIsDelivered() {
    BackendSpec spec = spec(false);
    Backend backend = open(new BackendSpec(spec.namespace(), spec.config().copy().put("max-sends-in-flight", 2),
        spec.configPath(), false, spec.dedupeWindow()));
    int writes = 200;
    String[] payloads = new String[writes];
    List<Future<AppendResult>> appends = new ArrayList<>();
    probe.call(() -> {
      for (int i = 0; i < writes; i++) {
        payloads[i] = "shared-" + i;
        appends.add(backend.append(entry("", payloads[i], 0)));
      }
      return Future.all(appends);
    });
    Set<String> ids = new HashSet<>();
    appends.forEach(a -> ids.add(a.result().entryId()));
    assertThat(ids).as("each write has its own entry id").hasSize(writes);
    long[] callsAndMessages = ((SqsBackend) backend).sendCallsAndMessages();
    assertThat(callsAndMessages[1]).as("messages sent").isEqualTo(writes);
    // two calls in flight: the 198 writes that queued behind them went ten to a call
    assertThat(callsAndMessages[0]).as("SendMessageBatch calls for " + writes + " writes").isBetween(20L, 40L);
    List<Polled> polled = probe.pollUntilPayloads(backend, Duration.ofSeconds(20), payloads);
    Set<String> polledIds = new HashSet<>();
    polled.forEach(p -> polledIds.add(p.lease().entry().getEntryId()));
    assertThat(polledIds).as("every acknowledged write is delivered with the id its write answered").containsAll(ids);
  }
}

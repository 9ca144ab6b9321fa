package io.walmesh.containers;

import com.google.protobuf.ByteString;
import io.vertx.core.Vertx;
import io.walmesh.client.WalmeshClient;
import io.walmesh.client.WriteException;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Application writers: {@code concurrency} loops that each write the next unique payload once the last is answered,
 * through whichever client is current (a test swaps it when a node's ports change). Records every payload answered
 * {@code SUCCESS} and counts what the others got, so a test can say what the writers saw.
 */
final class Writers implements AutoCloseable {
  private final AtomicReference<WalmeshClient> client = new AtomicReference<>();
  private final String namespace;
  private final String prefix;
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong inFlight = new AtomicLong();

  Writers(Vertx vertx, WalmeshClient first, String namespace, String prefix, int concurrency) {
    this.client.set(first);
    this.namespace = namespace;
    this.prefix = prefix;
    for (int i = 0; i < concurrency; i++) {
      vertx.runOnContext(v -> next());
    }
  }

  void use(WalmeshClient replacement) {
    client.set(replacement);
  }

  private void next() {
    if (!running.get()) {
      return;
    }
    long n = sequence.incrementAndGet();
    String payload = prefix + "-" + n;
    WriteToLogRequest request = WriteToLogRequest.newBuilder().setNamespace(namespace).setKey("k" + (n % 16))
        .setPayload(ByteString.copyFromUtf8(payload)).build();
    inFlight.incrementAndGet();
    client.get().write(request, Duration.ofSeconds(4)).onComplete(ar -> {
      inFlight.decrementAndGet();
      if (ar.succeeded()) {
        acknowledged.add(payload);
        count("SUCCESS");
      } else if (ar.cause() instanceof WriteException e) {
        count(e.durable() + " " + e.status());
      } else {
        count("error " + ar.cause().getClass().getSimpleName());
      }
      next();
    });
  }

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
  }

  Set<String> acknowledged() {
    return acknowledged;
  }

  long acknowledgedCount() {
    return acknowledged.size();
  }

  /** Outcomes so far, e.g. {@code {SUCCESS=1200, UNKNOWN UNAVAILABLE=8}}. */
  Map<String, Long> outcomes() {
    Map<String, Long> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Stops starting writes and waits for those in flight to be answered (each has a 4 s deadline). */
  @Override
  public void close() {
    running.set(false);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> inFlight.get() == 0);
  }

  /** Writes answered with anything but SUCCESS so far. */
  long notAcknowledgedCount() {
    return outcomes.entrySet().stream().filter(e -> !e.getKey().equals("SUCCESS")).mapToLong(e -> e.getValue().get())
        .sum();
  }
}

package io.walmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;

/**
 * Drives a {@link Backend} the way a consumer does: every call runs on one Vert.x event-loop
 * context (as the node's consumer verticle makes them), and polls are repeated until what the test
 * waits for arrives, each lease recorded with the instant its poll answered.
 */
public final class BackendProbe {

  /** A lease and the wall-clock instant the poll that returned it completed. */
  public record Polled(Lease lease, long atMs) {

    /** The entry's payload as text. */
    public String payload() {
      return lease.entry().getPayload().toStringUtf8();
    }
  }

  private static final Duration POLL_INTERVAL = Duration.ofMillis(25);
  private final Context context;

  public BackendProbe(Context context) {
    this.context = context;
  }

  /** Runs {@code call} on the probe's context and waits (30 s at most) for its result. */
  public <T> T call(Supplier<Future<T>> call) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        call.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return await(promise.future());
  }

  /** Waits (30 s at most) for a future; a failure is rethrown as it is. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer within 30 s", e);
    }
  }

  /** One poll of up to {@code max} entries; each lease carries the instant the poll answered. */
  public List<Polled> pollOnce(Backend backend, int max) {
    List<Lease> leases = call(() -> backend.poll(max));
    long at = System.currentTimeMillis();
    return leases.stream().map(l -> new Polled(l, at)).toList();
  }

  /**
   * Polls until the leases collected so far satisfy {@code enough}, failing after {@code atMost};
   * answers every lease collected, in poll order.
   */
  public List<Polled> pollUntil(Backend backend, Duration atMost, String what, Predicate<List<Polled>> enough) {
    List<Polled> collected = new ArrayList<>();
    Awaitility.await(what).atMost(atMost).pollDelay(Duration.ZERO).pollInterval(POLL_INTERVAL).until(() -> {
      collected.addAll(pollOnce(backend, 100));
      return enough.test(collected);
    });
    return collected;
  }

  /** Polls until entries with all of {@code payloads} were leased; answers every lease collected. */
  public List<Polled> pollUntilPayloads(Backend backend, Duration atMost, String... payloads) {
    return pollUntil(backend, atMost, "entries " + List.of(payloads) + " are polled",
        got -> got.stream().map(Polled::payload).toList().containsAll(List.of(payloads)));
  }

  /** Polls for {@code during} and asserts that nothing at all is leased. */
  public void assertNothingPolled(Backend backend, Duration during, String why) {
    assertNonePolled(backend, during, why, p -> true);
  }

  /** Polls for {@code during} and asserts that no lease matching {@code forbidden} is returned. */
  public List<Polled> assertNonePolled(Backend backend, Duration during, String why, Predicate<Polled> forbidden) {
    List<Polled> collected = new java.util.concurrent.CopyOnWriteArrayList<>();
    Awaitility.await(why).during(during).atMost(during.plusSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(POLL_INTERVAL)
        .failFast(why, () -> assertThat(collected).as(why).noneMatch(forbidden))
        .until(() -> {
          collected.addAll(pollOnce(backend, 100));
          return true;
        });
    assertThat(collected).as(why).noneMatch(forbidden);
    return collected;
  }

  /** The first lease of an entry with {@code payload}; fails when there is none. */
  public static Polled find(List<Polled> polled, String payload) {
    return polled.stream().filter(p -> p.payload().equals(payload)).findFirst()
        .orElseThrow(() -> new AssertionError("no lease of " + payload + " in " + polled.stream().map(Polled::payload).toList()));
  }
}

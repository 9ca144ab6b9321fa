package io.walmesh.backend.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.entry.EntryRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order in which {@link IdempotentAppends} hands one event loop's appends to the queue, on the node's real
 * idempotency store. The queue is a function that records what it is handed (the backends' contract suites check the
 * same with real queues).
 */
class IdempotentAppendsTest {
  @TempDir
  Path dir;
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static EntryRecord entry(int i, String idempotencyKey) {
    return EntryRecord.newBuilder().setNamespace("ns").setKey("k").setPayload(ByteString.copyFromUtf8("e" + i))
        .setIdempotencyKey(idempotencyKey).setWriteTimeMs(System.currentTimeMillis()).build();
  }

  /**
   * Thousands of writes behind one keyed write whose lookup is held back: when it answers, they are all handed over, in
   * order, and every caller is answered (handed over one by one through a chain of futures, such a lane overflowed the
   * stack and stopped for good).
   */
  @Test
  void thousandsOfWritesBehindAHeldBackLookupAreHandedOverInOrderAndAllAnswered() throws Exception {
    int behind = 20_000;
    try (IdempotencyStore store = new IdempotencyStore(dir)) {
      IdempotentAppends appends = new IdempotentAppends(vertx, store, new BackendSpec("ns", new JsonObject(),
          "backend.config", true, Duration.ofHours(1)));
      List<String> handedOver = new ArrayList<>();
      Function<EntryRecord, Future<AppendResult>> queue = e -> {
        handedOver.add(e.getPayload().toStringUtf8());
        return Future.succeededFuture(new AppendResult("id-" + e.getPayload().toStringUtf8(), false));
      };
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<List<Future<AppendResult>>> made = new CompletableFuture<>();
      Context loop = vertx.getOrCreateContext();
      loop.runOnContext(v -> {
        // the loop's lookups run in its ordered worker queue: this task holds the first one back
        vertx.executeBlocking(() -> release.await(30, TimeUnit.SECONDS));
        List<Future<AppendResult>> answers = new ArrayList<>();
        answers.add(appends.append(entry(0, "first"), queue));
        for (int i = 1; i <= behind; i++) {
          answers.add(appends.append(entry(i, i % 1_000 == 0 ? "key-" + i : ""), queue));
        }
        made.complete(answers);
      });
      List<Future<AppendResult>> answers = made.get(30, TimeUnit.SECONDS);
      assertThat(handedOver).as("nothing overtakes the held-back keyed write").isEmpty();
      release.countDown();
      Future.all(answers).await(60, TimeUnit.SECONDS);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i <= behind; i++) {
        expected.add("e" + i);
      }
      CompletableFuture<List<String>> seen = new CompletableFuture<>();
      loop.runOnContext(v -> seen.complete(List.copyOf(handedOver)));
      assertThat(seen.get(10, TimeUnit.SECONDS)).as("handed over in the order appended").isEqualTo(expected);
      assertThat(answers).allMatch(Future::succeeded);
      appends.close();
    }
  }
}

package io.walmesh.target.memcached.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.walmesh.testkit.Memcached;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client's commands against the test JVM's memcached, one at a time and pipelined. */
class MemcachedClientTest {
  private static Vertx vertx;
  private static Memcached memcached;
  private static MemcachedClient client;
  private static MemcachedNode node;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    memcached = Memcached.shared();
    memcached.start();
    client = new MemcachedClient(vertx, List.of(ServerAddress.parse(memcached.server())), 2_000, 2);
    node = client.nodeFor("any");
  }

  @AfterAll
  static void stop() {
    await(client.close());
    await(vertx.close());
  }

  @Test
  void storageCommandsAnswerAsTheProtocolSays() {
    String key = "client:" + System.nanoTime();
    assertThat(await(node.gets(key))).isNull();
    assertThat(await(node.add(key, 7, 0, Buffer.buffer("one")))).isEqualTo(StoreResult.STORED);
    assertThat(await(node.add(key, 7, 0, Buffer.buffer("two")))).isEqualTo(StoreResult.NOT_STORED);

    Item item = await(node.gets(key));
    assertThat(item.data().toString()).isEqualTo("one");
    assertThat(item.flags()).isEqualTo(7);
    assertThat(await(node.cas(key, 7, 0, Buffer.buffer("three"), item.cas()))).isEqualTo(StoreResult.STORED);
    assertThat(await(node.cas(key, 7, 0, Buffer.buffer("stale"), item.cas()))).isEqualTo(StoreResult.EXISTS);
    assertThat(await(node.set(key, 0, 0, Buffer.buffer("four\r\nwith a line break")))).isEqualTo(StoreResult.STORED);
    assertThat(await(node.gets(key)).data().toString()).isEqualTo("four\r\nwith a line break");

    assertThat(await(node.delete(key))).isTrue();
    assertThat(await(node.delete(key))).isFalse();
    assertThat(await(node.cas(key, 0, 0, Buffer.buffer("gone"), item.cas()))).isEqualTo(StoreResult.NOT_FOUND);
  }

  @Test
  void touchChangesTheExpiry() {
    assumeTrue(memcached.kind() == Memcached.Kind.BINARY, "jmemcached has no touch command");
    String key = "touch:" + System.nanoTime();
    assertThat(await(node.touch(key, 60))).isFalse();
    await(node.set(key, 0, 60, Buffer.buffer("v")));
    assertThat(await(node.touch(key, 120))).isTrue();
  }

  @Test
  void pipelinedCommandsEachGetTheirOwnAnswer() {
    List<Future<StoreResult>> sets = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      sets.add(node.set("pipe:" + i, i, 0, Buffer.buffer("value-" + i + "-" + "x".repeat(i * 10))));
    }
    await(Future.all(sets));
    List<Future<Item>> gets = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      gets.add(node.gets("pipe:" + i));
    }
    await(Future.all(gets));
    for (int i = 0; i < 500; i++) {
      Item item = gets.get(i).result();
      assertThat(item.key()).isEqualTo("pipe:" + i);
      assertThat(item.flags()).isEqualTo(i);
      assertThat(item.data().toString()).isEqualTo("value-" + i + "-" + "x".repeat(i * 10));
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A server that answers with an endless line (broken, or hostile) is not buffered without bound: past the limit the
   * command fails naming it and the connection is closed.
   */
  @Test
  void aServerThatNeverCompletesAnAnswerIsCutOffAtTheLimit() throws Exception {
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    io.vertx.core.net.NetServer endless = await(vertx.createNetServer().connectHandler(socket -> socket.handler(command -> {
      Buffer noLineEnd = Buffer.buffer("S".repeat(64 * 1024));
      Runnable[] pump = new Runnable[1];
      pump[0] = () -> {
        while (!socket.writeQueueFull() && sent.get() < (256L << 20)) {
          socket.write(noLineEnd).onFailure(e -> sent.set(Long.MAX_VALUE));
          sent.addAndGet(noLineEnd.length());
        }
        if (sent.get() < (256L << 20)) {
          socket.drainHandler(v -> pump[0].run());
        }
      };
      pump[0].run();
    })).listen(0, "127.0.0.1"));
    MemcachedClient hostile = new MemcachedClient(vertx, List.of(ServerAddress.parse("127.0.0.1:" + endless.actualPort())),
        30_000, 1);
    try {
      Throwable failure = null;
      try {
        hostile.nodeFor("k").set("k", 0, 0, Buffer.buffer("v")).toCompletionStage().toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failure = e.getCause();
      }
      assertThat(failure).isInstanceOf(MemcachedException.class);
      assertThat(failure.getMessage()).contains("without completing an answer", "over the limit of "
          + MemcachedConnection.MAX_BUFFERED_BYTES + " bytes");
    } finally {
      await(hostile.close());
      await(endless.close());
    }
  }
}

package io.walmesh.node.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Operations run one at a time, on the owner's context whoever submits them; answers go back to the submitter's. */
class SerialQueueTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void operationsRunOnTheOwnersContextOneAtATimeAndAnswerOnTheSubmitters() throws Exception {
    Context owner = vertx.getOrCreateContext();
    Context admin = vertx.getOrCreateContext();
    assertThat(admin).isNotSameAs(owner);
    SerialQueue queue = new SerialQueue(owner);
    List<String> seen = new CopyOnWriteArrayList<>();
    Promise<Context> answeredOn = Promise.promise();
    Promise<Void> slowFirst = Promise.promise();
    admin.runOnContext(v -> {
      queue.submit(() -> {
        seen.add("first on owner: " + (Vertx.currentContext() == owner));
        return vertx.timer(200).<Void>mapEmpty().onComplete(slowFirst);
      });
      queue.submit(() -> {
        seen.add("second on owner: " + (Vertx.currentContext() == owner) + ", after first: " + slowFirst.future().isComplete());
        return Future.succeededFuture("done");
      }).onComplete(ar -> answeredOn.complete(Vertx.currentContext()));
    });
    Context context = answeredOn.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(seen).containsExactly("first on owner: true", "second on owner: true, after first: true");
    assertThat(context).as("the submitter's callbacks run on its own context").isSameAs(admin);

    Future<Object> thrown = queue.submit(() -> {
      throw new IllegalStateException("boom");
    });
    assertThat(thrown.toCompletionStage().toCompletableFuture().handle((r, e) -> e).get(10, TimeUnit.SECONDS))
        .hasMessageContaining("boom");
    assertThat(queue.submit(() -> Future.succeededFuture("after a throw")).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS)).isEqualTo("after a throw");
  }
}

package io.walmesh.backend.kafka;

import static io.walmesh.backend.support.IdempotentBackendFactory.rootMessage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a destroyed namespace's Kafka store: its consumer groups first, then its topics. The groups first: once they
 * have no members, no consumer on another node still moves entries into a tier or DLQ topic (which a broker that creates
 * topics on demand would bring back after their delete). A group that keeps members past {@link #GROUP_DELETE_WAIT_MS}
 * is a node still delivering the namespace, or a namespace created again with the same name (and so the same group and
 * topics): the topics are kept then, never deleted under a namespace's writes. Never fails: what it could not delete is
 * logged, named, for deleting by hand.
 */
final class KafkaStoreDeletion {
  private static final Logger log = LoggerFactory.getLogger(KafkaStoreDeletion.class);
  /**
   * How long a destroy waits for the namespace's consumers on other nodes to leave its consumer groups (they stop once
   * the namespace's document is gone): Kafka refuses to delete a group that has members.
   */
  static final long GROUP_DELETE_WAIT_MS = 30_000;

  private final Vertx vertx;
  private final Context context;
  private final Admin admin;
  private final String namespace;

  KafkaStoreDeletion(Vertx vertx, Context context, Admin admin, String namespace) {
    this.vertx = vertx;
    this.context = context;
    this.admin = admin;
    this.namespace = namespace;
  }

  Future<Void> delete(List<String> groups, List<String> topics) {
    return deleteGroups(groups, System.currentTimeMillis() + GROUP_DELETE_WAIT_MS)
        .compose(v -> Future.fromCompletionStage(admin.deleteTopics(topics).all().toCompletionStage(), context)
            .recover(e -> {
              log.warn("Namespace {}: deleting its Kafka topics {} failed; delete them by hand: {}", namespace, topics,
                  rootMessage(e));
              return Future.succeededFuture();
            }), e -> {
          log.warn("Namespace {}: deleting its Kafka consumer groups {} failed ({}); its topics {} are kept, since a node"
              + " may still use them (a namespace created again with the same name does): delete both by hand once"
              + " nothing does", namespace, groups, rootMessage(e), topics);
          return Future.succeededFuture();
        });
  }

  /** Deletes the consumer groups; one that does not exist is done, one with members is tried again every second. */
  private Future<Void> deleteGroups(List<String> groups, long deadline) {
    Map<String, KafkaFuture<Void>> each = admin.deleteConsumerGroups(groups).deletedGroups();
    List<Future<String>> outcomes = new ArrayList<>();
    each.forEach((group, deleted) -> outcomes.add(Future.fromCompletionStage(deleted.toCompletionStage(), context)
        .map((String) null)
        .recover(e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof GroupIdNotFoundException) {
            return Future.succeededFuture(null);
          }
          if (cause instanceof GroupNotEmptyException && System.currentTimeMillis() < deadline) {
            return Future.succeededFuture(group); // members left: tried again
          }
          return Future.failedFuture(e);
        })));
    return Future.all(outcomes).compose(done -> {
      List<String> again = outcomes.stream().map(Future::result).filter(Objects::nonNull).toList();
      if (again.isEmpty()) {
        return Future.succeededFuture();
      }
      Promise<Void> retried = Promise.promise();
      vertx.setTimer(1_000, t -> deleteGroups(again, deadline).onComplete(retried));
      return retried.future();
    });
  }
}

package io.walmesh.target.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Applies each delivery's {@link RedisCommand} with one {@code EVALSHA} of the {@link ApplyScript},
 * which versions the key by the entry's write time: redelivery rewrites the same value, an older
 * entry never overwrites a newer one and a late set cannot resurrect a deleted key (within the
 * tombstone retention). A bad payload or a command on a key of the wrong type goes to the DLQ;
 * connection errors, timeouts and every other Redis error are retried.
 */
final class RedisTarget implements Target {
  /** Redis error codes that no retry can fix: the entry is dead-lettered. */
  private static final Set<String> PERMANENT_ERRORS = Set.of("WRONGTYPE");

  private final RedisTargetOptions options;
  private final String name;
  private final Redis client;

  RedisTarget(PluginContext context, String name, RedisTargetOptions options) {
    this.options = options;
    this.name = name;
    // lazy: no connection is opened until the first delivery
    this.client = Redis.createClient(context.vertx(), options.toRedisOptions());
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    RedisCommand command;
    try {
      command = RedisCommand.parse(delivery.payload(), delivery.key());
    } catch (DeliveryException e) {
      return Future.failedFuture(e);
    }
    String key = options.keyPrefix + command.key();
    List<String> args = command.scriptArgs();
    Future<Response> applied = client.send(script(Command.EVALSHA, ApplyScript.SHA1, key, command, delivery, args))
        .recover(e -> isError(e, "NOSCRIPT")
            ? client.send(script(Command.EVAL, ApplyScript.BODY, key, command, delivery, args))
            : Future.failedFuture(e));
    return applied
        .timeout(options.timeoutMs, TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(failure(e, command, key)));
  }

  private Request script(Command eval, String script, String key, RedisCommand command, Delivery delivery,
                         List<String> args) {
    Request request = Request.cmd(eval)
        .arg(script)
        .arg(2)
        .arg(key)
        .arg(key + RedisCommand.VERSION_SUFFIX)
        .arg(command.op().wireName())
        .arg(delivery.writeTimeMs())
        .arg(options.tombstoneRetentionMs);
    for (String arg : args) {
      request.arg(arg);
    }
    return request;
  }

  private DeliveryException failure(Throwable e, RedisCommand command, String key) {
    if (e instanceof DeliveryException known) {
      return known;
    }
    String where = "redis target " + name + " (" + options.displayEndpoint + ") " + command.op().wireName()
        + " of key \"" + key + "\"";
    if (e instanceof TimeoutException) {
      return DeliveryException.retryable(where + ": no answer within " + options.timeoutMs + " ms");
    }
    if (e instanceof Response reply && reply.type() == ResponseType.ERROR) {
      String message = String.valueOf(e.getMessage());
      String code = message.split(" ", 2)[0];
      return PERMANENT_ERRORS.contains(code)
          ? DeliveryException.permanent(where + " refused: " + message)
          : DeliveryException.retryable(where + " failed: " + message);
    }
    return DeliveryException.retryable(where + " failed: " + e);
  }

  private static boolean isError(Throwable e, String code) {
    return e instanceof Response reply && reply.type() == ResponseType.ERROR
        && e.getMessage() != null && e.getMessage().startsWith(code);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}

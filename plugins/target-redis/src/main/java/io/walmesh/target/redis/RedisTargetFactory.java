package io.walmesh.target.redis;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code redis} target type; see {@link RedisTargetOptions} for its config, {@link RedisCommand} for payloads. */
public final class RedisTargetFactory implements TargetFactory {
  public static final String TYPE = "redis";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "applies set / delete / expire / hset / hdel commands to Redis, versioned by write time";
  }

  private volatile DestinationPolicy policy = DestinationPolicy.defaults();

  @Override
  public Future<Void> init(PluginContext context) {
    policy = context.destinations();
    return Future.succeededFuture();
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    new RedisTargetOptions(config, configPath);
    // the Redis client resolves names itself: a literal address is checked here, a name is not
    String host = java.net.URI.create(config.getString("endpoint")).getHost();
    if (host != null) {
      policy.checkLiteral(host, configPath + ".endpoint");
    }
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new RedisTarget(context, name, new RedisTargetOptions(config, "config"));
  }
}

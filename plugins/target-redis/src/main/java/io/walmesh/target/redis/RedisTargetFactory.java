package io.walmesh.target.redis;

import io.vertx.core.json.JsonObject;
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

  @Override
  public void validate(JsonObject config, String configPath) {
    new RedisTargetOptions(config, configPath);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new RedisTarget(context, name, new RedisTargetOptions(config, "config"));
  }
}

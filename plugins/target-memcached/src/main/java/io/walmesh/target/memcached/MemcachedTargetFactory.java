package io.walmesh.target.memcached;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code memcached} target type; see {@link MemcachedTargetOptions} for its config. */
public final class MemcachedTargetFactory implements TargetFactory {
  public static final String TYPE = "memcached";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "applies set / delete / touch (with TTL) to memcached, EVCache-style; older entries never overwrite newer ones";
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    new MemcachedTargetOptions(config, configPath);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new MemcachedTarget(context, name, new MemcachedTargetOptions(config, "config"));
  }
}

package io.walmesh.target.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code http} target type; see {@link HttpTargetOptions} for its config. */
public final class HttpTargetFactory implements TargetFactory {
  public static final String TYPE = "http";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "POSTs each entry's payload to an HTTP endpoint; 2xx is delivered";
  }

  private volatile DestinationPolicy policy = DestinationPolicy.defaults();

  @Override
  public Future<Void> init(PluginContext context) {
    policy = context.destinations();
    return Future.succeededFuture();
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    new HttpTargetOptions(config, configPath, policy);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new HttpTarget(context.vertx(), name, new HttpTargetOptions(config, "config", context.destinations()),
        context.destinations());
  }
}

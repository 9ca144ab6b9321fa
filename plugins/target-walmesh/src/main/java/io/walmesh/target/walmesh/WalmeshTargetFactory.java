package io.walmesh.target.walmesh;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code walmesh} target type; see {@link WalmeshTargetOptions} for its config. */
public final class WalmeshTargetFactory implements TargetFactory {
  public static final String TYPE = "walmesh";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "writes each entry to a namespace of another walmesh (another region) over gRPC";
  }

  private volatile DestinationPolicy policy = DestinationPolicy.defaults();

  @Override
  public Future<Void> init(PluginContext context) {
    policy = context.destinations();
    return Future.succeededFuture();
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    new WalmeshTargetOptions(config, configPath, policy);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new WalmeshTarget(context.vertx(), name, new WalmeshTargetOptions(config, "config", context.destinations()),
        context.destinations());
  }

  @Override
  public java.util.Set<String> secretFields() {
    return java.util.Set.of("token", "tls.private-key");
  }
}

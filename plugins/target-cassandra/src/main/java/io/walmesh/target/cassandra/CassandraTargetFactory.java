package io.walmesh.target.cassandra;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code cassandra} target type; see {@link CassandraTargetOptions} for its config, {@link CassandraMutation} for payloads. */
public final class CassandraTargetFactory implements TargetFactory {
  public static final String TYPE = "cassandra";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "applies put / delete / CQL mutations to Cassandra, USING TIMESTAMP of the entry's write time";
  }

  private volatile DestinationPolicy policy = DestinationPolicy.defaults();

  @Override
  public Future<Void> init(PluginContext context) {
    policy = context.destinations();
    return Future.succeededFuture();
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    CassandraTargetOptions options = new CassandraTargetOptions(config, configPath);
    // the driver resolves names itself: literal addresses are checked here, names are not
    for (int i = 0; i < options.contactPoints.size(); i++) {
      policy.checkLiteral(options.contactPoints.get(i).getHostString(), configPath + ".contact-points[" + i + "]");
    }
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new CassandraTarget(context, name, new CassandraTargetOptions(config, "config"));
  }
}

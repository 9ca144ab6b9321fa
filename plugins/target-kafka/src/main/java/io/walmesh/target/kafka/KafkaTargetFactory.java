package io.walmesh.target.kafka;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;

/** The {@code kafka} target type; see {@link KafkaTargetOptions} for its config. */
public final class KafkaTargetFactory implements TargetFactory {
  public static final String TYPE = "kafka";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "produces each entry's payload to a Kafka topic (acks=all), with its key and headers";
  }

  private volatile DestinationPolicy policy = DestinationPolicy.defaults();

  @Override
  public Future<Void> init(PluginContext context) {
    policy = context.destinations();
    return Future.succeededFuture();
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    KafkaTargetOptions options = new KafkaTargetOptions(config, configPath);
    // the Kafka client resolves names itself: literal addresses are checked here, names are not
    String[] servers = options.bootstrapServers.split(",");
    for (String server : servers) {
      String host = server.strip();
      if (host.startsWith("[") && host.indexOf(']') > 0) {
        host = host.substring(1, host.indexOf(']'));
      } else if (host.indexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
        host = host.substring(0, host.indexOf(':'));
      }
      policy.checkLiteral(host, configPath + ".bootstrap-servers");
    }
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new KafkaTarget(context, name, new KafkaTargetOptions(config, "config"));
  }
}

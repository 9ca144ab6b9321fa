package io.walmesh.target.kafka;

import io.vertx.core.json.JsonObject;
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

  @Override
  public void validate(JsonObject config, String configPath) {
    new KafkaTargetOptions(config, configPath);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    return new KafkaTarget(context, name, new KafkaTargetOptions(config, "config"));
  }
}

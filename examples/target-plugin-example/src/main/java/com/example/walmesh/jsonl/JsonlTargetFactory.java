package com.example.walmesh.jsonl;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigReader;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code jsonl} target type. Config: {@code file} (required), the file to append to; a relative
 * path is resolved against the plugin's data directory.
 */
public final class JsonlTargetFactory implements TargetFactory {

  @Override
  public String type() {
    return "jsonl";
  }

  @Override
  public String description() {
    return "appends each entry as one JSON line to a file";
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    ConfigReader reader = new ConfigReader(config, configPath);
    reader.rejectUnknown(Set.of("file"));
    reader.requireString("file");
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    Path file = context.dataDir().resolve(config.getString("file"));
    return new JsonlTarget(context.vertx(), file);
  }
}

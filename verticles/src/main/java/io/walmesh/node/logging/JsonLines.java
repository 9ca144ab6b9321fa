package io.walmesh.node.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.slf4j.event.KeyValuePair;

/**
 * The opt-in JSON log format ({@code WALMESH_LOG_FORMAT=json}): one JSON object per line, for a
 * log pipeline. Fields: {@code time} (ISO-8601, UTC), {@code level}, {@code logger},
 * {@code thread}, {@code node} (this node's id), {@code message}; {@code namespace} and
 * {@code entry} when the line is about one; any other key-value pair the line carries; and
 * {@code error} with the stack trace when there is one.
 */
public final class JsonLines extends EncoderBase<ILoggingEvent> {
  /** The logger-context property that holds the node id ({@link #node(String)}). */
  public static final String NODE_PROPERTY = "walmesh.node";

  /** Names this process's node in every line from now on. */
  public static void node(String nodeId) {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.putProperty(NODE_PROPERTY, nodeId);
    }
  }

  /** The variable (environment, or {@code -D} system property) that picks the format: {@code text} or {@code json}. */
  public static final String FORMAT_VARIABLE = "WALMESH_LOG_FORMAT";

  /**
   * Applies {@value #FORMAT_VARIABLE}: with {@code json}, every console appender of the root logger
   * writes JSON lines from now on; with {@code text} or nothing, the pattern layout stays.
   *
   * @throws IllegalArgumentException naming the variable and the values it takes, for any other value
   */
  public static void applyFormat() {
    String format = System.getProperty(FORMAT_VARIABLE, System.getenv(FORMAT_VARIABLE));
    if (format == null || format.isEmpty() || format.equals("text")) {
      return;
    }
    if (!format.equals("json")) {
      throw new IllegalArgumentException(FORMAT_VARIABLE + " is \"" + format + "\"; use text (the default) or json");
    }
    if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
      return; // another SLF4J binding: its own configuration decides
    }
    var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (var appenders = root.iteratorForAppenders(); appenders.hasNext(); ) {
      if (appenders.next() instanceof ch.qos.logback.core.OutputStreamAppender<ILoggingEvent> console) {
        JsonLines json = new JsonLines();
        json.setContext(context);
        json.start();
        console.setEncoder(json);
      }
    }
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    JsonObject line = new JsonObject()
        .put("time", Instant.ofEpochMilli(event.getTimeStamp()).toString())
        .put("level", event.getLevel().toString())
        .put("logger", event.getLoggerName())
        .put("thread", event.getThreadName());
    String node = event.getLoggerContextVO() == null ? null : event.getLoggerContextVO().getPropertyMap().get(NODE_PROPERTY);
    if (node != null) {
      line.put("node", node);
    }
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair pair : event.getKeyValuePairs()) {
        line.put(pair.key, pair.value == null ? null : String.valueOf(pair.value));
      }
    }
    line.put("message", event.getFormattedMessage());
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      line.put("error", ThrowableProxyUtil.asString(error));
    }
    return (line.encode() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}

package io.walmesh.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker (KRaft, combined broker and controller, one node) in this JVM on 127.0.0.1.
 * {@link #stop()} and {@link #start()} again reuse the same log directory and ports, which is how
 * tests take the broker down for an outage and bring it back with its data. One per test JVM. The
 * module using it must depend on {@code org.apache.kafka:kafka_2.13} (test scope).
 */
public final class KafkaBroker implements AutoCloseable {
  private final Path logDir;
  private final int port;
  private final int controllerPort;
  private final KafkaConfig config;
  private KafkaRaftServer server;

  private KafkaBroker(Path logDir) {
    this.logDir = logDir;
    this.port = FreePorts.next();
    this.controllerPort = FreePorts.next();
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.put("num.partitions", "1");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.flush.interval.messages", "1");
    this.config = new KafkaConfig(props);
  }

  /** Formats a new log directory under {@code dir} and starts the broker. */
  public static KafkaBroker start(Path dir) {
    try {
      Path logDir = Files.createDirectories(dir.resolve("kafka-logs"));
      KafkaBroker broker = new KafkaBroker(logDir);
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setClusterId(Uuid.randomUuid().toString())
          .setNodeId(1)
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .setDirectories(List.of(logDir.toString()))
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .run();
      broker.startServer();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Kafka broker: " + e.getMessage(), e);
    }
  }

  /** Starts the broker again on the same log directory and ports (after {@link #stop()}). */
  public synchronized void restart() {
    if (server == null) {
      startServer();
    }
  }

  private synchronized void startServer() {
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
  }

  /** Stops the broker, keeping its data: clients see an outage until {@link #restart()}. */
  public synchronized void stop() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public Path logDir() {
    return logDir;
  }

  @Override
  public void close() {
    stop();
  }
}

package io.walmesh.bench;

import io.walmesh.testkit.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A single-node KRaft Kafka broker in a process of its own for {@code bench/run --processes}, so that neither
 * walmesh nor the raw producer shares a JVM with it: {@code BrokerMain DIR} prints {@code serving Kafka at HOST:PORT}
 * when it serves, and stops when its standard input closes.
 */
public final class BrokerMain {
  private BrokerMain() {
  }

  public static void main(String[] args) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(Files.createDirectories(Path.of(args[0])))) {
      JavaChild.serveUntilStdinCloses("Kafka at " + broker.bootstrapServers());
    }
  }
}

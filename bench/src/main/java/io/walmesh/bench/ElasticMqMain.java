package io.walmesh.bench;

import io.walmesh.testkit.ElasticMq;

/**
 * An SQS server (ElasticMQ) in a process of its own for {@code bench/run --processes --backend sqs}, so that neither
 * walmesh nor the raw SQS client shares a JVM with it: prints {@code serving SQS at ENDPOINT} when it serves, and
 * stops when its standard input closes.
 */
public final class ElasticMqMain {
  private ElasticMqMain() {
  }

  public static void main(String[] args) throws Exception {
    try (ElasticMq sqs = ElasticMq.start()) {
      JavaChild.serveUntilStdinCloses("SQS at " + sqs.endpoint());
    }
  }
}

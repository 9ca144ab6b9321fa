package io.walmesh.testkit;

import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

/**
 * A real SQS-compatible server (ElasticMQ) in this JVM on 127.0.0.1 and a free port. Start one per
 * test JVM; it honours {@code DelaySeconds}, visibility timeouts and message attributes. The module
 * using it must depend on {@code org.elasticmq:elasticmq-rest-sqs_2.13} (test scope).
 */
public final class ElasticMq implements AutoCloseable {
  private final SQSRestServer server;
  private final int port;

  private ElasticMq(SQSRestServer server, int port) {
    this.server = server;
    this.port = port;
  }

  public static ElasticMq start() {
    int port = FreePorts.next();
    SQSRestServer server = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port).start();
    server.waitUntilStarted();
    return new ElasticMq(server, port);
  }

  /** The endpoint to give an SQS client or a namespace's {@code endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    server.stopAndWait();
  }
}

package io.walmesh.target.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.HttpSink;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import io.walmesh.testkit.TcpProxy;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The target contract against a real HTTP server (the testkit's sink) reached through a TCP proxy
 * that the kit stops for outages. The sink holds, per key, the body of the last request it
 * accepted; it answers 422 to the body {@code refuse me}.
 */
class HttpTargetContractTest extends TargetContract {
  static HttpSink sink;
  static TcpProxy proxy;

  @BeforeAll
  static void startSink() {
    sink = new HttpSink(vertx()).start().respond(r -> r.body().equals("refuse me") ? 422 : 200);
    java.net.URI url = java.net.URI.create(sink.url("/"));
    proxy = TcpProxy.start(vertx(), url.getHost(), url.getPort());
  }

  @AfterAll
  static void stopSink() {
    proxy.close();
    sink.close();
  }

  @Override
  protected String type() {
    return "http";
  }

  /**
   * A timeout with room for a loaded CI machine. (A 2 s one used to expire now and then: not load,
   * but a delivery that could hang until its timeout, fixed in HttpTarget; HttpTargetUnderLoadTest.)
   * The outage clause does not wait for it: a stopped proxy resets and refuses connections at once.
   */
  @Override
  protected JsonObject config() {
    return new JsonObject().put("url", "http://" + proxy.address() + "/entries").put("timeout-ms", 10_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return Buffer.buffer(value);
  }

  @Override
  protected Optional<String> applied(String key) {
    return sink.lastDeliveredBody(key);
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery(key("refused"), System.currentTimeMillis(), Buffer.buffer("refuse me"));
  }

  @Override
  protected void stopServer() {
    proxy.stop();
  }

  @Override
  protected void startServer() {
    proxy.start();
  }

  /** An HTTP endpoint receives every delivery; versioning is the receiver's business (Walmesh-Write-Time). */
  @Override
  protected boolean versionsByWriteTime() {
    return false;
  }
}

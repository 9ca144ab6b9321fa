package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.auth.AuthOptions;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.node.tls.ClientTls;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.testkit.BackendProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same target contract as {@link WalmeshTargetContractTest}, with the remote region as it
 * runs exposed: TLS on its listeners (a CA made here) and callers identified by token. The target
 * trusts that CA, verifies the remote's certificate against the endpoint's name, and sends its
 * bearer token; a target without the token, or trusting another CA, delivers nothing and says why.
 */
class WalmeshTargetTlsContractTest extends WalmeshTargetContractTest {
  static CertificateAuthority.Files certs;
  static String caPem;

  @BeforeAll
  static void startRemote() throws Exception {
    certs = CertificateAuthority.createAll(remoteDir.resolve("certs"), List.of(), "unused");
    caPem = Files.readString(certs.caCert());
    Path tokens = remoteDir.resolve("tokens.json");
    Files.writeString(tokens, new JsonObject().put("tokens", new JsonArray()
        .add(new JsonObject().put("principal", "region-eu").put("sha256", AuthOptions.hash("t-region")))
        .add(new JsonObject().put("principal", "root").put("sha256", AuthOptions.hash("t-root")))).encode());
    NodeOptions options = NodeOptions.fromJson(new JsonObject().put("node-id", "remote-tls")
        .put("data-dir", remoteDir.resolve("data").toString())
        .put("grpc", new JsonObject().put("port", 0)).put("admin", new JsonObject().put("port", 0))
        .put("auth", new JsonObject().put("tokens-file", tokens.toString()).put("principals", new JsonObject()
            .put("region-eu", new JsonObject().put("write", new JsonArray().add("replica")))
            .put("root", new JsonObject().put("admin", "admin")))).encode())
        .tls(new TlsOptions(certs.nodeCert(), certs.nodeKey(), certs.caCert(), ClientAuth.REQUEST, 0));
    startRemote(options, port -> new AdminHttp("https://localhost:" + port, new ClientTls(certs.caCert(), null, null), "t-root"));
  }

  @Override
  protected JsonObject config() {
    // "localhost": the name in the remote's certificate; the proxy listens on 127.0.0.1
    return super.config().put("endpoints", new JsonArray().add("localhost:" + proxy.port()))
        .put("tls", new JsonObject().put("ca", caPem)).put("token", "t-region");
  }

  private DeliveryException refusedWith(JsonObject config) {
    io.walmesh.spi.target.TargetFactory factory = io.walmesh.testkit.TargetTests.factory("walmesh");
    Target target = factory.create(context(), "misconfigured", config);
    try {
      return failure(target.deliver(delivery(key("misconfigured"), "never", System.currentTimeMillis())));
    } finally {
      BackendProbe.await(target.close());
    }
  }

  @Test
  void withoutTheTokenOrTrustingAnotherCaNothingIsDelivered() throws Exception {
    DeliveryException noToken = refusedWith(config().copy().put("token", (String) null));
    assertThat(noToken.getMessage()).contains("UNAUTHENTICATED");
    assertThat(noToken.kind()).as("fixing the config lets the entries through: retry, no DLQ")
        .isEqualTo(DeliveryException.Kind.RETRYABLE);
    CertificateAuthority.Files other = CertificateAuthority.createAll(remoteDir.resolve("other-ca"), List.of(), "x");
    DeliveryException strangerCa = refusedWith(config().copy().put("tls", new JsonObject().put("ca",
        Files.readString(other.caCert()))));
    assertThat(strangerCa.getMessage()).as(strangerCa.getMessage()).containsAnyOf("certificate", "PKIX", "SSL", "handshake");
    assertThat(sink.delivered().stream().filter(r -> r.key().equals(key("misconfigured")))).isEmpty();
  }
}

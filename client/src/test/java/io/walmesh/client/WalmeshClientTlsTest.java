package io.walmesh.client;

import static io.walmesh.client.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.Node;
import io.walmesh.node.NodeOptions;
import io.walmesh.node.auth.AuthOptions;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.spi.config.ConfigReader;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a node as it runs exposed: TLS (a CA made here) and callers identified by a
 * token or a client certificate. The client trusts that CA and names itself either way; without
 * an identity, or trusting no such CA, its writes are refused and say why.
 */
class WalmeshClientTlsTest {
  @TempDir
  static Path dir;
  static Node node;
  static Vertx vertx;
  static HttpSink sink;
  static CertificateAuthority.Files certs;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    sink = new HttpSink(vertx).start();
    certs = CertificateAuthority.createAll(dir.resolve("certs"), List.of(), "cert-app");
    Path tokens = dir.resolve("tokens.json");
    Files.writeString(tokens, new JsonObject().put("tokens", new JsonArray()
        .add(new JsonObject().put("principal", "app").put("sha256", AuthOptions.hash("t-app")))).encode());
    AuthOptions auth = AuthOptions.read(new ConfigReader(new JsonObject().put("tokens-file", tokens.toString())
        .put("principals", new JsonObject()
            .put("app", new JsonObject().put("write", new JsonArray().add("orders")))
            .put("cert-app", new JsonObject().put("write", new JsonArray().add("orders")))), "auth"), Path.of(""));
    node = await(new Node(new NodeOptions().nodeId("client-tls").dataDir(dir.resolve("data")).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).tls(new TlsOptions(certs.nodeCert(), certs.nodeKey(), certs.caCert(), ClientAuth.REQUEST, 0))
        .auth(auth)).start());
    await(node.namespaces().create(TestNode.namespace("orders", sink.url("/orders"))));
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    sink.close();
    TestNode.close(vertx);
  }

  private static ClientSSLOptions trustingTheCa() {
    return new ClientSSLOptions().setTrustOptions(new PemTrustOptions().addCertPath(certs.caCert().toString()));
  }

  private static WriteResult write(WalmeshClient.Builder builder, String payload) {
    WalmeshClient client = builder.deadline(Duration.ofSeconds(10)).retryPolicy(RetryPolicy.none()).build();
    try {
      return await(client.write(TestNode.request("orders", payload))
          .recover(e -> e instanceof WriteException w ? io.vertx.core.Future.succeededFuture(w.result())
              : io.vertx.core.Future.failedFuture(e)));
    } finally {
      await(client.close());
    }
  }

  @Test
  void aTokenOrAClientCertificateOverTlsWrites() {
    WriteResult byToken = write(WalmeshClient.grpc(vertx, "localhost", node.grpcPort()).tls(trustingTheCa()).bearerToken("t-app"),
        "by token");
    assertThat(byToken.isDurable()).as(byToken.toString()).isTrue();
    ClientSSLOptions withCertificate = trustingTheCa().setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(certs.clientCert().toString()).setKeyPath(certs.clientKey().toString()));
    WriteResult byCertificate = write(WalmeshClient.grpc(vertx, "localhost", node.grpcPort()).tls(withCertificate),
        "by certificate");
    assertThat(byCertificate.isDurable()).as(byCertificate.toString()).isTrue();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> sink.deliveredBodies().containsAll(List.of("by token", "by certificate")));
  }

  @Test
  void withoutAnIdentityOrTrustTheWriteIsRefusedAndSaysWhy() {
    WriteResult anonymous = write(WalmeshClient.grpc(vertx, "localhost", node.grpcPort()).tls(trustingTheCa()), "anonymous");
    assertThat(anonymous.isDurable()).isFalse();
    assertThat(anonymous.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);
    assertThat(anonymous.message()).contains("caller identity");

    WriteResult plaintext = write(WalmeshClient.grpc(vertx, "localhost", node.grpcPort()).bearerToken("t-app"), "plaintext");
    assertThat(plaintext.isDurable()).as("a plaintext client gets no answer from a TLS port: " + plaintext).isFalse();
    WriteResult strangerCa = write(WalmeshClient.grpc(vertx, "localhost", node.grpcPort())
        .tls(new ClientSSLOptions()).bearerToken("t-app"), "untrusted");
    assertThat(strangerCa.isDurable()).as("the JVM's CAs did not sign the node's certificate: " + strangerCa).isFalse();
    assertThat(sink.deliveredBodies()).doesNotContain("anonymous", "plaintext", "untrusted");
  }
}

package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.auth.AuthOptions;
import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.node.mesh.MeshSeal;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.node.tls.ClientTls;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.spi.config.ConfigReader;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caller identities across a secured mesh (TLS and auth on every node, a mesh secret): an admin
 * call about a namespace another node runs is forwarded there with the caller as the first node
 * identified it, client certificate included, vouched for with the mesh secret; a caller who
 * forges that vouching is refused.
 */
class MeshAuthTest {
  @TempDir
  static Path dir;
  static EmbeddedMesh mesh;
  static CertificateAuthority.Files certs;
  static HttpSink sink;
  static io.vertx.core.Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    vertx = io.vertx.core.Vertx.vertx();
    sink = new HttpSink(vertx).start();
    certs = CertificateAuthority.createAll(dir.resolve("certs"), List.of(), "cert-operator");
    Path tokens = dir.resolve("tokens.json");
    Files.writeString(tokens, new JsonObject().put("tokens", new JsonArray()
        .add(new JsonObject().put("principal", "root").put("sha256", AuthOptions.hash("t-root")))
        .add(new JsonObject().put("principal", "reader").put("sha256", AuthOptions.hash("t-reader")))).encode());
    AuthOptions auth = AuthOptions.read(new ConfigReader(new JsonObject().put("tokens-file", tokens.toString())
        .put("principals", new JsonObject()
            .put("root", new JsonObject().put("admin", "admin"))
            .put("reader", new JsonObject().put("admin", "read-only"))
            .put("cert-operator", new JsonObject().put("admin", "operator"))), "auth"), Path.of(""));
    TlsOptions tls = new TlsOptions(certs.nodeCert(), certs.nodeKey(), certs.caCert(), ClientAuth.REQUEST, 0);
    mesh = new EmbeddedMesh(dir, 2).secure(MeshSeal.readSecret(Files.writeString(dir.resolve("mesh.secret"),
        MeshSeal.newSecret())), new ClusterOptions.BusTls(certs.nodeCert(), certs.nodeKey(), certs.caCert()));
    for (int i = 1; i <= 2; i++) {
      mesh.start("n" + i, i - 1, Set.of(), 0, options -> options.tls(tls).auth(auth));
    }
    // a local-backend namespace runs on the node that created it: n2
    TestNodes.create(admin("n2", "t-root", false), TestNodes.namespace("pinned", sink.url("/pinned")));
    await().atMost(Duration.ofSeconds(20)).until(() -> admin("n1", "t-root", false).get("/v1/namespaces/pinned").status() == 200);
  }

  @AfterAll
  static void stop() {
    mesh.close();
    sink.close();
    TestNodes.await(vertx.close());
  }

  /** An HTTPS admin client of a node, with a token and/or the client certificate (CN cert-operator). */
  static AdminHttp admin(String node, String token, boolean certificate) {
    ClientTls tls = certificate ? new ClientTls(certs.caCert(), certs.clientCert(), certs.clientKey())
        : new ClientTls(certs.caCert(), null, null);
    return new AdminHttp("https://localhost:" + mesh.node(node).adminPort(), tls, token);
  }

  @Test
  void aCallerIdentifiedByCertificateKeepsItsIdentityWhenTheCallIsForwarded() {
    AdminHttp.Response status = admin("n1", null, true).get("/v1/namespaces/pinned");
    assertThat(status.status()).as(status.text()).isEqualTo(200);
    assertThat(status.body().getString("state")).as("answered by n2, which runs it").isEqualTo("running");
    AdminHttp.Response purge = admin("n1", null, true).post("/v1/namespaces/pinned/dlq/purge", new JsonObject());
    assertThat(purge.status()).as("an operator purges the DLQ through n1: " + purge.text()).isEqualTo(200);

    AdminHttp.Response reader = admin("n1", "t-reader", false).post("/v1/namespaces/pinned/dlq/purge", new JsonObject());
    assertThat(reader.status()).as("a read-only caller is refused before anything is forwarded").isEqualTo(403);
  }

  @Test
  void aForgedForwardedIdentityIsRefused() throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .sslContext(new ClientTls(certs.caCert(), null, null).sslContext()).build();
    java.net.http.HttpResponse<String> forged = client.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("https://localhost:" + mesh.node("n2").adminPort() + "/v1/namespaces/pinned/dlq/purge"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
        .header("Walmesh-Forwarded-By", "n1")
        .header("Walmesh-Forwarded-Principal", "root")
        .header("Walmesh-Forwarded-At", Long.toString(System.currentTimeMillis()))
        .header("Walmesh-Forwarded-Proof", "bm90LWEtcHJvb2Y").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(forged.statusCode()).as(forged.body()).isEqualTo(401);
  }
}

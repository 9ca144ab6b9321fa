package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import io.walmesh.protocol.v1.Trilean;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Secrets stay on the node, and web pages cannot drive the admin API (issue #15, the parts that
 * need no identities): a namespace's passwords and tokens are never in an API answer, a document
 * read and sent back keeps them, its file is readable by the node's user only, and requests a
 * browser sends on a page's behalf (cross-origin, or after DNS rebinding) are refused.
 */
class AdminSecurityTest extends SingleNodeTest {

  private static String raw(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void secretsAreRedactedInAnswersKeptOnUpdateAndStoredPrivately() throws Exception {
    JsonObject document = namespace("secrets", sink.url("/apply"));
    document.getJsonArray("targets").getJsonObject(0).getJsonObject("config")
        .put("headers", new JsonObject().put("Authorization", "Bearer s3cret-token").put("X-Team", "payments"));
    AdminHttp.Response created = admin.post("/v1/namespaces", document);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    assertThat(created.text()).doesNotContain("s3cret-token").contains("(redacted)").contains("payments");

    AdminHttp.Response one = admin.get("/v1/namespaces/secrets");
    assertThat(one.text()).doesNotContain("s3cret-token").contains("(redacted)");
    assertThat(admin.get("/v1/namespaces").text()).doesNotContain("s3cret-token");

    // get, edit, put back: the placeholder keeps the stored secret
    JsonObject edited = one.body().getJsonObject("config").copy();
    edited.getJsonObject("retry").put("max-attempts", 7);
    AdminHttp.Response updated = admin.call("PUT", "/v1/namespaces/secrets", edited);
    assertThat(updated.status()).as(updated.text()).isEqualTo(200);
    assertThat(updated.text()).doesNotContain("s3cret-token");
    assertThat(write(grpc, request("secrets", "x").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> !sink.delivered().isEmpty());
    assertThat(sink.delivered().get(0).headers()).containsEntry("authorization", "Bearer s3cret-token");

    // the document on disk has the secret (the node needs it after a restart) and only the node's user reads it
    Path file = dataDir.resolve("namespaces").resolve("secrets.json");
    assertThat(Files.readString(file)).contains("s3cret-token").contains("\"max-attempts\" : 7");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

    // a new document cannot carry the placeholder: there is nothing to keep
    JsonObject placeholder = namespace("placeholder", sink.url("/apply"));
    placeholder.getJsonArray("targets").getJsonObject(0).getJsonObject("config")
        .put("headers", new JsonObject().put("Authorization", "(redacted)"));
    AdminHttp.Response refused = admin.post("/v1/namespaces", placeholder);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.text()).contains("targets[0].config.headers.Authorization").contains("give the real value");
  }

  @Test
  void fieldsAPluginDeclaresSecretAreRedactedTooAndKeptOnUpdate() throws Exception {
    String factory = "com.example.dsn.DsnFactory";
    Path jar = io.walmesh.testkit.PluginJar.create().descriptor("dsn-target", "1.0.0", "dsn").targetFactories(factory)
        .source(factory, """
            package com.example.dsn;
            import io.vertx.core.json.JsonObject;
            import io.walmesh.spi.PluginContext;
            import io.walmesh.spi.target.Target;
            import io.walmesh.spi.target.TargetFactory;
            public final class DsnFactory implements TargetFactory {
              public String type() { return "dsn"; }
              public java.util.Set<String> secretFields() { return java.util.Set.of("dsn", "pool.conn.string"); }
              public void validate(JsonObject config, String path) { }
              public Target create(PluginContext context, String name, JsonObject config) {
                return d -> io.vertx.core.Future.succeededFuture();
              }
            }
            """).writeTo(Files.createTempDirectory("dsn").resolve("dsn.jar"));
    AdminHttp.Response installed = admin.postFile("/v1/plugins", jar);
    assertThat(installed.status()).as(installed.text()).isBetween(200, 201);
    JsonObject document = new JsonObject().put("name", "declared").put("targets", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("name", "db").put("type", "dsn").put("config", new JsonObject()
            .put("dsn", "db2://svc:hunter2@db.internal/orders")
            .put("pool", new JsonObject().put("conn.string", "Server=db;Pwd=hunter3").put("size", 4)))));
    AdminHttp.Response created = admin.post("/v1/namespaces", document);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    for (String text : java.util.List.of(created.text(), admin.get("/v1/namespaces/declared").text(),
        admin.get("/v1/namespaces").text())) {
      assertThat(text).doesNotContain("hunter2").doesNotContain("hunter3").doesNotContain("db.internal")
          .containsPattern("\"size\"\\s*:\\s*4");
    }
    assertThat(admin.get("/v1/namespaces/declared").body().getJsonObject("config").getJsonArray("targets").getJsonObject(0)
        .getJsonObject("config").getString("dsn")).isEqualTo("(redacted)");
    JsonObject shown = admin.get("/v1/namespaces/declared").body().getJsonObject("config");
    AdminHttp.Response putBack = admin.call("PUT", "/v1/namespaces/declared", shown);
    assertThat(putBack.status()).as(putBack.text()).isEqualTo(200);
    assertThat(Files.readString(dataDir.resolve("namespaces").resolve("declared.json")))
        .as("the placeholders kept the stored values").contains("hunter2").contains("hunter3");
  }

  @Test
  void secretReferencesResolveOnTheNodeOnlyFromItsSecretsDirectoryAndPrefixedVariables() throws Exception {
    Path secrets = Files.createDirectories(dataDir.resolve("secrets"));
    Files.writeString(secrets.resolve("sink-token"), "Bearer from-file\n");
    JsonObject document = namespace("refs", sink.url("/apply"));
    JsonObject config = document.getJsonArray("targets").getJsonObject(0).getJsonObject("config");
    // WALMESH_SECRET_TEST_TOKEN is set for the test JVM by the surefire configuration (verticles/pom.xml)
    config.put("headers", new JsonObject().put("Authorization", "${file:sink-token}").put("X-From-Env", "${env:WALMESH_SECRET_TEST_TOKEN}"));
    AdminHttp.Response created = admin.post("/v1/namespaces", document);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    assertThat(created.text()).contains("${env:WALMESH_SECRET_TEST_TOKEN}").doesNotContain("from-env").doesNotContain("from-file");
    assertThat(Files.readString(dataDir.resolve("namespaces").resolve("refs.json"))).contains("${file:sink-token}")
        .doesNotContain("from-file");

    assertThat(write(grpc, request("refs", "x").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> !sink.delivered().isEmpty());
    assertThat(sink.delivered().get(0).headers()).containsEntry("authorization", "Bearer from-file")
        .containsEntry("x-from-env", "from-env");

    // fenced: no file outside the secrets directory, no variable without the prefix, no variable that is not set
    for (String[] bad : new String[][] {{"${file:../namespaces/refs.json}", "must lie in"}, {"${env:HOME}", "must start with WALMESH_SECRET_"},
        {"${env:WALMESH_SECRET_NOT_SET}", "is not set on this node"}, {"${file:missing}", "cannot be read"}}) {
      JsonObject refused = namespace("refused", sink.url("/apply"));
      refused.getJsonArray("targets").getJsonObject(0).getJsonObject("config").put("headers", new JsonObject().put("X-A", bad[0]));
      AdminHttp.Response answer = admin.post("/v1/namespaces", refused);
      assertThat(answer.status()).as(answer.text()).isEqualTo(400);
      assertThat(answer.text()).contains("targets[0].config.headers.X-A").contains(bad[1]);
    }
  }

  @Test
  void requestsFromWebPagesAreRefused() throws Exception {
    int port = node.adminPort();
    String crossOrigin = raw(port, "POST /v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nOrigin: https://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    assertThat(crossOrigin).startsWith("HTTP/1.1 403").contains("does not take requests from web pages")
        .contains("https://evil.example");

    // the plugin upload above all: a page must not be able to run code in the node
    String upload = raw(port, "POST /v1/plugins HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nOrigin: null\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nPK..");
    assertThat(upload).startsWith("HTTP/1.1 403").contains("does not take requests from web pages");

    String fetched = raw(port, "DELETE /v1/namespaces/x?force=true HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nSec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n");
    assertThat(fetched).startsWith("HTTP/1.1 403");

    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 is "same origin" to the browser
    String rebound = raw(port, "GET /v1/namespaces HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
    assertThat(rebound).startsWith("HTTP/1.1 403").contains("answers only requests for localhost");

    // the CLI, curl and scripts are not affected
    String curl = raw(port, "GET /v1/health HTTP/1.1\r\nHost: localhost:" + port + "\r\nUser-Agent: curl/8\r\nConnection: close\r\n\r\n");
    assertThat(curl).startsWith("HTTP/1.1 200");
    assertThat(admin.get("/v1/health").status()).isEqualTo(200);
  }
}

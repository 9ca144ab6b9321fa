package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.httpTarget;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.testkit.RawHttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input must never reach a target's protocol (issue #13, items 4 and 10), through a real
 * node: writes over gRPC, namespaces over the admin API, an upstream that records the exact bytes it
 * receives. The node denies {@code 127.0.0.1} and {@code ::1} on top of link-local, so
 * {@code localhost} is a name that resolves to a denied address; the good upstream listens on
 * {@code 127.0.0.2}.
 */
class TargetSafetyTest {
  static final String NODE_CONFIG = """
      {"targets": {"deny-destinations": ["169.254.0.0/16", "fe80::/10", "127.0.0.1/32", "::1/128"]}}""";

  @TempDir
  static Path dataDir;
  static Node node;
  static Vertx clientVertx;
  static GrpcWriteClient grpc;
  static AdminHttp admin;
  RawHttpServer upstream;

  @BeforeAll
  static void startNode() {
    clientVertx = Vertx.vertx();
    node = TestNodes.await(new Node(NodeOptions.fromJson(NODE_CONFIG).nodeId("safety").dataDir(dataDir)
        .grpc("127.0.0.1", 0).admin("127.0.0.1", 0)).start());
    grpc = new GrpcWriteClient(clientVertx, "127.0.0.1", node.grpcPort());
    admin = new AdminHttp(node.adminPort());
  }

  @AfterAll
  static void stopNode() {
    grpc.close();
    TestNodes.await(node.stop());
    TestNodes.await(clientVertx.close());
  }

  @BeforeEach
  void startUpstream() {
    upstream = new RawHttpServer("127.0.0.2");
  }

  @AfterEach
  void stopUpstream() {
    upstream.close();
  }

  @Test
  void entryHeadersCannotSmuggleARequestNorReplaceHostAuthorizationOrTheConfiguredHeaders() {
    JsonObject ns = namespace("smuggle", upstream("/apply"));
    ns.getJsonArray("targets").getJsonObject(0).getJsonObject("config").put("headers", new JsonObject()
        .put("Authorization", "Bearer walmesh").put("X-Static", "s").put("Content-Type", "application/json"));
    create(admin, ns);
    String smuggled = "DELETE /users/all HTTP/1.1\r\nHost: 127.0.0.2\r\nContent-Length: 0\r\n\r\n";

    GrpcWriteClient.Result attack = write(grpc, request("smuggle", smuggled)
        .putHeaders("Content-Length", "0").putHeaders("Host", "evil.example").putHeaders("Authorization", "Bearer evil")
        .putHeaders("Content-Type", "text/plain").putHeaders("X-Static", "entry").putHeaders("x-trace", "t1").build());
    assertThat(attack.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().size() >= 1);
    GrpcWriteClient.Result good = write(grpc, request("smuggle", "{\"ok\":true}").build());
    assertThat(good.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().size() >= 2);
    // deleting the namespace closes its target's connections: then every byte sent has been parsed
    assertThat(admin.call("DELETE", "/v1/namespaces/smuggle", null).status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(upstream::allConnectionsEnded);

    List<RawHttpServer.Request> requests = upstream.requests();
    assertThat(requests).as(String.join("\n----\n", upstream.rawConnections())).hasSize(2);
    assertThat(requests).extracting(RawHttpServer.Request::method).containsOnly("POST");
    assertThat(requests).extracting(RawHttpServer.Request::body).containsExactly(smuggled, "{\"ok\":true}");
    RawHttpServer.Request first = requests.get(0);
    assertThat(first.header("Walmesh-Entry-Id")).isEqualTo(attack.response().getEntryId());
    assertThat(first.header("Host")).isEqualTo("127.0.0.2:" + upstream.port());
    assertThat(first.header("Authorization")).isEqualTo("Bearer walmesh");
    assertThat(first.header("X-Static")).isEqualTo("s");
    assertThat(first.header("Content-Type")).isEqualTo("application/json");
    assertThat(first.header("x-trace")).isEqualTo("t1");
    assertThat(requests.get(1).header("Walmesh-Entry-Id")).isEqualTo(good.response().getEntryId());
  }

  @Test
  void aTargetUrlInTheDenyListIsRefusedAtCreateNamingTheField() {
    AdminHttp.Response metadata = admin.post("/v1/namespaces", namespace("metadata", "http://169.254.169.254/latest/"));
    assertThat(metadata.status()).as(metadata.text()).isEqualTo(400);
    assertThat(metadata.body().getString("field")).isEqualTo("targets[0].config.url");
    assertThat(metadata.body().getString("error")).contains("169.254.0.0/16").contains("deny-destinations");

    AdminHttp.Response loopback = admin.post("/v1/namespaces", namespace("loopback", "http://127.0.0.1:1/"));
    assertThat(loopback.status()).as(loopback.text()).isEqualTo(400);
    assertThat(loopback.body().getString("field")).isEqualTo("targets[0].config.url");
    assertThat(admin.get("/v1/namespaces/metadata").status()).isEqualTo(404);
  }

  @Test
  void aNameResolvingToADeniedAddressDeadLettersTheEntryAndTheNextGoodWriteIsDelivered() {
    JsonObject ns = namespace("resolve", "http://localhost:" + upstream.port() + "/apply");
    ns.getJsonArray("targets").getJsonObject(0).put("name", "named");
    ns.getJsonArray("targets").add(httpTarget("good", upstream("/good")));
    create(admin, ns);

    String denied = write(grpc, request("resolve", "to localhost").setTarget(Target.newBuilder().setName("named"))
        .build()).response().getEntryId();
    await().atMost(Duration.ofSeconds(10)).until(() -> dlq("resolve").size() == 1);
    JsonObject dead = dlq("resolve").getJsonObject(0);
    assertThat(dead.getString("entry-id")).isEqualTo(denied);
    assertThat(dead.getInteger("attempts")).isEqualTo(1);
    assertThat(dead.getString("last-error")).contains("localhost resolves to 127.0.0.1").contains("deny-destinations");

    write(grpc, request("resolve", "fine").setTarget(Target.newBuilder().setName("good")).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().size() == 1);
    assertThat(upstream.requests().get(0).body()).isEqualTo("fine");
    assertThat(upstream.requests().get(0).target()).isEqualTo("/good");
  }

  @Test
  void aKafkaTopicAttributeOutsideTheAllowListDeadLettersTheEntryNamingTheList() {
    JsonObject ns = namespace("topics", upstream("/good"));
    ns.getJsonArray("targets").getJsonObject(0).put("name", "good");
    ns.getJsonArray("targets").add(new JsonObject().put("name", "pipeline").put("type", "kafka")
        .put("config", new JsonObject().put("bootstrap-servers", "127.0.0.2:1").put("topic", "orders")
            .put("allowed-topics", new JsonArray().add("orders").add("audit-*"))));
    create(admin, ns);

    write(grpc, request("topics", "steal").setTarget(Target.newBuilder().setName("pipeline")
        .putAttributes("topic", "__consumer_offsets")).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> dlq("topics").size() == 1);
    JsonObject dead = dlq("topics").getJsonObject(0);
    assertThat(dead.getInteger("attempts")).isEqualTo(1);
    assertThat(dead.getString("last-error")).contains("target attribute \"topic\"")
        .contains("allowed-topics [orders, audit-*]");

    write(grpc, request("topics", "fine").setTarget(Target.newBuilder().setName("good")).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().size() == 1);
    assertThat(upstream.requests().get(0).body()).isEqualTo("fine");
  }

  @Test
  void aDeadLetterErrorIsShortPrintableAndHasNoUrlCredentials() {
    upstream.respond(422, "\u001b[2J" + "stack trace line\r\n".repeat(500));
    create(admin, namespace("errors", "http://ops:hunter2@127.0.0.2:" + upstream.port() + "/apply?key=k"));

    write(grpc, request("errors", "x").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> dlq("errors").size() == 1);
    String error = dlq("errors").getJsonObject(0).getString("last-error");
    assertThat(error).contains("answered 422").contains("stack trace line")
        .doesNotContain("hunter2").doesNotContain("ops:").doesNotContain("key=k");
    assertThat(error.chars().filter(Character::isISOControl).count()).isZero();
    assertThat(error.length()).isLessThan(250);
    // a namespace's document does not hand the credentials back in errors either
    AdminHttp.Response refused = admin.post("/v1/namespaces", namespace("errors2", "http://ops:hunter2@169.254.1.1/"));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.text()).doesNotContain("hunter2");

    upstream.respond(200, "");
    write(grpc, request("errors", "fine").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().stream().anyMatch(r -> r.body().equals("fine")));
  }

  @Test
  void theNodeDenyListDefaultsToLinkLocalAndABadBlockIsRefusedNamingTheField() {
    assertThat(NodeOptions.fromJson("{}").destinations().denied()).containsExactly("169.254.0.0/16", "fe80::/10");
    assertThat(NodeOptions.fromJson(NODE_CONFIG).destinations().denied()).contains("127.0.0.1/32");
    assertThat(NodeOptions.fromJson("{\"targets\":{\"deny-destinations\":[]}}").destinations().denied()).isEmpty();
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"targets\":{\"deny-destinations\":[\"10.0.0.0/8\", \"10.0.0.0/33\"]}}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("[1]").hasMessageContaining("prefix length")
        .extracting(e -> ((ConfigException) e).field()).isEqualTo("targets.deny-destinations");
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"targets\":{\"deny-destinations\":[\"metadata.internal\"]}}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("CIDR");
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"targets\":{\"deny\":[]}}"))
        .isInstanceOf(ConfigException.class).extracting(e -> ((ConfigException) e).field()).isEqualTo("targets.deny");
  }

  private String upstream(String path) {
    return "http://127.0.0.2:" + upstream.port() + path;
  }

  private static JsonArray dlq(String namespace) {
    AdminHttp.Response response = admin.get("/v1/namespaces/" + namespace + "/dlq");
    assertThat(response.status()).as(response.text()).isEqualTo(200);
    return response.body().getJsonArray("entries");
  }
}

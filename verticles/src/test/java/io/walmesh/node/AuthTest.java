package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.auth.AuthOptions;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.node.tls.ClientTls;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.testkit.HttpSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Caller identities and permissions (issue #15): bearer tokens and TLS client certificates
 * identify callers; writers may write only their namespaces (PERMISSION_DENIED elsewhere, and
 * UNAUTHENTICATED without an identity); admin roles gate the admin API (an operator cannot install
 * a plugin); dead-letter grants open a namespace's DLQ and nothing else.
 */
class AuthTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static HttpSink sink;
  static Node node;
  static CertificateAuthority.Files certs;
  static HttpClient https;

  @BeforeAll
  static void start() throws Exception {
    certs = CertificateAuthority.createAll(dir.resolve("certs"), List.of(), "cert-writer");
    JsonArray tokens = new JsonArray();
    for (String principal : List.of("writer", "reader", "operator", "root", "dlq-reader")) {
      tokens.add(new JsonObject().put("principal", principal).put("sha256", AuthOptions.hash("t-" + principal)));
    }
    Path tokensFile = dir.resolve("tokens.json");
    Files.writeString(tokensFile, new JsonObject().put("tokens", tokens).encode());
    JsonObject auth = new JsonObject().put("tokens-file", tokensFile.toString()).put("principals", new JsonObject()
        .put("writer", new JsonObject().put("write", new JsonArray().add("orders").add("pay-*")))
        .put("cert-writer", new JsonObject().put("write", new JsonArray().add("orders")))
        .put("reader", new JsonObject().put("admin", "read-only"))
        .put("operator", new JsonObject().put("admin", "operator"))
        .put("root", new JsonObject().put("admin", "admin"))
        .put("dlq-reader", new JsonObject().put("dlq", new JsonArray().add("orders"))));
    NodeOptions options = NodeOptions.fromJson(new JsonObject().put("node-id", "auth").put("data-dir", dir.resolve("data").toString())
        .put("grpc", new JsonObject().put("port", 0)).put("admin", new JsonObject().put("port", 0)).put("auth", auth).encode())
        .tls(new TlsOptions(certs.nodeCert(), certs.nodeKey(), certs.caCert(), ClientAuth.REQUEST, 0));
    vertx = Vertx.vertx();
    sink = new HttpSink(vertx).start();
    node = await(new Node(options).start());
    https = HttpClient.newBuilder().sslContext(new ClientTls(certs.caCert(), null, null).sslContext()).build();
    for (String name : List.of("orders", "other")) {
      assertThat(admin("POST", "/v1/namespaces", "t-root", namespace(name, sink.url("/apply")).encode()).statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    sink.close();
    await(vertx.close());
  }

  private static HttpResponse<String> admin(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + node.adminPort() + path))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return https.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A grpc-java write over TLS, identified by a token, a client certificate, or neither. */
  private static Status write(String namespace, String token, boolean clientCertificate) throws Exception {
    ManagedChannel channel = channel(token, clientCertificate);
    try {
      ClientCalls.blockingUnaryCall(channel, GrpcPeers.WRITE, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          request(namespace, "x").build());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    } finally {
      channel.shutdownNow();
    }
  }

  /** A grpc-java channel over TLS that identifies its calls by a token, a client certificate, or neither. */
  private static ManagedChannel channel(String token, boolean clientCertificate) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(certs.caCert().toFile());
    if (clientCertificate) {
      ssl.keyManager(certs.clientCert().toFile(), certs.clientKey().toFile());
    }
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress("localhost", node.grpcPort()).sslContext(ssl.build());
    if (token != null) {
      Metadata metadata = new Metadata();
      metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      builder.intercept(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }
    return builder.build();
  }

  /** A grpc-java WriteToLogStream over TLS with a token (or none): the call's end and each request's answer. */
  private static WriteToLogStreamTest.JavaStream stream(String token, List<String> namespaces) throws Exception {
    ManagedChannel channel = channel(token, false);
    try {
      WriteToLogStreamTest.JavaStream stream = new WriteToLogStreamTest.JavaStream(channel, 16);
      long id = 0;
      for (String namespace : namespaces) {
        stream.call.sendMessage(io.walmesh.protocol.v1.WriteToLogStreamRequest.newBuilder().setRequestId(++id)
            .setRequest(request(namespace, "streamed")).build());
      }
      stream.call.halfClose();
      stream.closed.get(30, TimeUnit.SECONDS);
      return stream;
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aStreamIsIdentifiedOnceAndEachOfItsWritesCheckedAgainstTheWritersNamespaces() throws Exception {
    WriteToLogStreamTest.JavaStream writer = stream("t-writer", List.of("orders", "other", "orders"));
    assertThat(writer.closed.get().getCode()).isEqualTo(Status.Code.OK);
    assertThat(writer.answers.get(1L).getStatusCode()).isZero();
    assertThat(writer.answers.get(3L).getStatusCode()).isZero();
    assertThat(writer.answers.get(2L).getStatusCode()).as("refused, and the stream goes on")
        .isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(writer.answers.get(2L).getStatusMessage()).contains("principal \"writer\" may not write to namespace \"other\"");

    WriteToLogStreamTest.JavaStream anonymous = stream(null, List.of("orders"));
    assertThat(anonymous.closed.get().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(anonymous.answers).as("nothing written without an identity").isEmpty();
  }

  private static Status.Code health(String service, String token) throws Exception {
    ManagedChannel channel = channel(token, false);
    try {
      ClientCalls.blockingUnaryCall(channel, GrpcHealthAndReflectionTest.CHECK, CallOptions.DEFAULT.withDeadlineAfter(10,
          TimeUnit.SECONDS), io.walmesh.protocol.grpc.health.v1.HealthCheckRequest.newBuilder().setService(service).build());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void theNodesHealthIsOpenToProbesButANamespacesHealthNeedsAnIdentity() throws Exception {
    assertThat(health("", null)).as("a probe carries no identity").isEqualTo(Status.Code.OK);
    assertThat(health("walmesh.v1.WriteAheadLog", null)).isEqualTo(Status.Code.OK);
    assertThat(health("orders", null)).as("a namespace's health tells that the name exists")
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(health("no-such-namespace", null)).as("no way to probe names without an identity")
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(health("orders", "t-reader")).isEqualTo(Status.Code.OK);
    assertThat(health("no-such-namespace", "t-reader")).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void writersWriteOnlyTheirNamespaces() throws Exception {
    assertThat(write("orders", "t-writer", false).getCode()).isEqualTo(Status.Code.OK);
    Status denied = write("other", "t-writer", false);
    assertThat(denied.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(denied.getDescription()).contains("principal \"writer\" may not write to namespace \"other\"");
    // a pattern grant: allowed, then the namespace does not exist
    assertThat(write("pay-eu", "t-writer", false).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    // an admin role is not a write permission
    assertThat(write("orders", "t-root", false).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    Status anonymous = write("orders", null, false);
    assertThat(anonymous.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(anonymous.getDescription()).contains("requires a caller identity");
    assertThat(write("orders", "not-a-token", false).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    // a client certificate identifies its CN
    assertThat(write("orders", null, true).getCode()).isEqualTo(Status.Code.OK);
    assertThat(write("other", null, true).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void eachWriteOfABatchIsCheckedAgainstTheWritersNamespaces() throws Exception {
    ManagedChannel channel = channel("t-writer", false);
    try {
      io.walmesh.protocol.v1.WriteToLogBatchResponse answers = ClientCalls.blockingUnaryCall(channel, GrpcPeers.BATCH,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), io.walmesh.protocol.v1.WriteToLogBatchRequest
              .newBuilder().addRequests(request("orders", "b1")).addRequests(request("other", "b2"))
              .addRequests(request("orders", "b3")).build());
      assertThat(answers.getResultsList()).extracting(r -> r.getStatusCode())
          .containsExactly(0, Status.Code.PERMISSION_DENIED.value(), 0);
      assertThat(answers.getResults(0).getResponse().getDurable()).isEqualTo(io.walmesh.protocol.v1.Trilean.SUCCESS);
      assertThat(answers.getResults(1).getStatusMessage()).contains("principal \"writer\" may not write to namespace \"other\"");
      assertThat(answers.getResults(2).getResponse().getDurable()).isEqualTo(io.walmesh.protocol.v1.Trilean.SUCCESS);
    } finally {
      channel.shutdownNow();
    }
    ManagedChannel anonymous = channel(null, false);
    try {
      Status refused = Status.OK;
      try {
        ClientCalls.blockingUnaryCall(anonymous, GrpcPeers.BATCH, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder().addRequests(request("orders", "b4")).build());
      } catch (StatusRuntimeException e) {
        refused = e.getStatus();
      }
      assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      anonymous.shutdownNow();
    }
  }

  @Test
  void adminRolesGateTheAdminApi() throws Exception {
    assertThat(admin("GET", "/v1/health", null, null).statusCode()).as("probes need no identity").isEqualTo(200);
    HttpResponse<String> anonymous = admin("GET", "/v1/namespaces", null, null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(admin("GET", "/v1/namespaces", "wrong", null).statusCode()).isEqualTo(401);

    assertThat(admin("GET", "/v1/namespaces", "t-reader", null).statusCode()).isEqualTo(200);
    HttpResponse<String> readerChange = admin("DELETE", "/v1/namespaces/other?force=true", "t-reader", null);
    assertThat(readerChange.statusCode()).isEqualTo(403);
    assertThat(readerChange.body()).contains("admin role read-only").contains("needs the operator role");

    // an operator changes namespaces but cannot install a plugin; the refusal comes before any byte of the jar is read
    assertThat(admin("PUT", "/v1/namespaces/other", "t-operator", namespace("other", sink.url("/apply")).encode()).statusCode())
        .isEqualTo(200);
    HttpResponse<String> operatorPlugin = admin("POST", "/v1/plugins", "t-operator", "PK-not-a-jar");
    assertThat(operatorPlugin.statusCode()).isEqualTo(403);
    assertThat(operatorPlugin.body()).contains("needs the admin role");
    HttpResponse<String> rootPlugin = admin("POST", "/v1/plugins", "t-root", "PK-not-a-jar");
    assertThat(rootPlugin.statusCode()).as("an admin gets past authorization to the jar checks").isEqualTo(400);

    // a dlq grant opens that namespace's dead letters and nothing else
    assertThat(admin("GET", "/v1/namespaces/orders/dlq", "t-dlq-reader", null).statusCode()).isEqualTo(200);
    assertThat(admin("POST", "/v1/namespaces/orders/dlq/purge", "t-dlq-reader", "{\"entry-ids\": []}").statusCode())
        .isNotIn(401, 403);
    assertThat(admin("GET", "/v1/namespaces/other/dlq", "t-dlq-reader", null).statusCode()).isEqualTo(403);
    assertThat(admin("GET", "/v1/namespaces", "t-dlq-reader", null).statusCode()).isEqualTo(403);
  }

  @Test
  void theCliIdentifiesWithAToken() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true));
    System.setErr(new PrintStream(out, true));
    try {
      CommandLine cli = new CommandLine(new WalmeshCommand());
      assertThat(cli.execute("write", "orders", "--payload", "cli", "--grpc", "localhost:" + node.grpcPort(),
          "--tls-ca", certs.caCert().toString(), "--token", "t-writer")).as(out.toString()).isZero();
      assertThat(new CommandLine(new WalmeshCommand()).execute("namespaces", "list", "--admin", "https://localhost:" + node.adminPort(),
          "--tls-ca", certs.caCert().toString(), "--token", "t-reader")).as(out.toString()).isZero();
      assertThat(new CommandLine(new WalmeshCommand()).execute("namespaces", "list", "--admin", "https://localhost:" + node.adminPort(),
          "--tls-ca", certs.caCert().toString())).isNotZero();
      assertThat(out.toString()).contains("requires a caller identity");
      assertThat(new CommandLine(new WalmeshCommand()).execute("auth", "token", "--principal", "ci")).isZero();
      assertThat(out.toString()).contains("tokens-file entry: {\"principal\":\"ci\",\"sha256\":\"");
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}

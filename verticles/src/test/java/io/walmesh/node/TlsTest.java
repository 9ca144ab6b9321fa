package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.ClientCalls;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.node.tls.ClientTls;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.testkit.HttpSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * TLS on the gRPC and admin listeners (issue #15, the transport part), with a CA and certificates
 * made at test time by {@code walmesh certs create}: grpc-java, the JDK HTTP client and the CLI
 * connect with the CA and a client certificate; plaintext and clients without a certificate are
 * refused; a replaced certificate is served without a restart.
 */
class TlsTest {
  @TempDir
  Path dir;

  private static ManagedChannel channel(int port, Path ca, CertificateAuthority.Files client) throws IOException {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca.toFile());
    if (client != null) {
      ssl.keyManager(client.clientCert().toFile(), client.clientKey().toFile());
    }
    return NettyChannelBuilder.forAddress("localhost", port).sslContext(ssl.build()).build();
  }

  private static Status.Code write(ManagedChannel channel, String namespace) {
    try {
      WriteToLogResponse response = ClientCalls.blockingUnaryCall(channel, GrpcPeers.WRITE,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request(namespace, "over tls").build());
      return response.getDurable() == Trilean.SUCCESS ? Status.Code.OK : Status.Code.UNKNOWN;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow();
    }
  }

  private static int cli(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    System.setOut(new PrintStream(sink, true));
    System.setErr(new PrintStream(sink, true));
    try {
      return new CommandLine(new WalmeshCommand()).execute(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void listenersSpeakTlsRequireClientCertificatesAndReloadReplacedCertificates() throws Exception {
    Path certs = dir.resolve("certs");
    assertThat(cli("certs", "create", "--out", certs.toString(), "--client", "writer")).isZero();
    CertificateAuthority.Files files = new CertificateAuthority.Files(certs.resolve("ca.pem"), certs.resolve("ca-key.pem"),
        certs.resolve("node.pem"), certs.resolve("node-key.pem"), certs.resolve("client.pem"), certs.resolve("client-key.pem"));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(files.caKey()))).isEqualTo("rw-------");

    // the shipped example config reads these files (paths relative to the working directory)
    String example = Files.readString(Path.of("..", "cluster-config", "node.secure.example.json")).replace("certs/", certs + "/");
    assertThat(NodeOptions.fromJson(example).tls().clientAuth()).isEqualTo(ClientAuth.REQUIRED);
    assertThatThrownBy(() -> NodeOptions.fromJson("{\"tls\": {\"cert-path\": \"nope.pem\", \"key-path\": \"nope.pem\"}}"))
        .hasMessageContaining("tls.cert-path").hasMessageContaining("not a readable file");

    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    TlsOptions tls = new TlsOptions(files.nodeCert(), files.nodeKey(), files.caCert(), ClientAuth.REQUIRED, 300);
    Node node = await(new Node(new NodeOptions().nodeId("tls").dataDir(dir.resolve("data")).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).tls(tls)).start());
    try {
      String admin = "https://localhost:" + node.adminPort();
      HttpClient https = HttpClient.newBuilder().sslContext(new ClientTls(files.caCert(), files.clientCert(), files.clientKey())
          .sslContext()).build();
      HttpResponse<String> created = https.send(HttpRequest.newBuilder(URI.create(admin + "/v1/namespaces"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(namespace("secure", sink.url("/apply")).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

      // grpc-java with the CA and a client certificate
      assertThat(write(channel(node.grpcPort(), files.caCert(), files), "secure")).isEqualTo(Status.Code.OK);
      // without a client certificate: the handshake fails
      assertThat(write(channel(node.grpcPort(), files.caCert(), null), "secure")).isEqualTo(Status.Code.UNAVAILABLE);
      // plaintext on the TLS port
      assertThat(write(NettyChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build(), "secure"))
          .isEqualTo(Status.Code.UNAVAILABLE);
      // the admin API in plaintext, and over TLS without a client certificate
      assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:"
          + node.adminPort() + "/v1/health")).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
      HttpClient noCert = HttpClient.newBuilder().sslContext(new ClientTls(files.caCert(), null, null).sslContext()).build();
      assertThatThrownBy(() -> noCert.send(HttpRequest.newBuilder(URI.create(admin + "/v1/health")).build(),
          HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

      // the CLI, as a user runs it
      assertThat(cli("write", "secure", "--payload", "from the cli", "--grpc", "localhost:" + node.grpcPort(),
          "--tls-ca", files.caCert().toString(), "--tls-cert", files.clientCert().toString(), "--tls-key", files.clientKey().toString()))
          .isZero();
      assertThat(cli("health", "--admin", admin, "--tls-ca", files.caCert().toString(), "--tls-cert", files.clientCert().toString(),
          "--tls-key", files.clientKey().toString())).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered().size() == 2);

      // rotation: a node certificate from another CA replaces the files; new connections get it without a restart
      Path other = dir.resolve("other");
      CertificateAuthority.Files rotated = CertificateAuthority.createAll(other, List.of(), "unused");
      assertThat(write(channel(node.grpcPort(), rotated.caCert(), files), "secure")).isEqualTo(Status.Code.UNAVAILABLE);
      Files.copy(rotated.nodeKey(), files.nodeKey(), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(rotated.nodeCert(), files.nodeCert(), StandardCopyOption.REPLACE_EXISTING);
      await().atMost(Duration.ofSeconds(10)).until(() -> write(channel(node.grpcPort(), rotated.caCert(), files), "secure") == Status.Code.OK);
      assertThat(write(channel(node.grpcPort(), files.caCert(), files), "secure")).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      await(node.stop());
      sink.close();
      await(vertx.close());
    }
  }
}

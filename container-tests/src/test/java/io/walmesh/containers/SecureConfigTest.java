package io.walmesh.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.client.WalmeshClient;
import io.walmesh.client.WriteException;
import io.walmesh.client.WriteResult;
import io.walmesh.testcontainers.WalmeshContainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

/**
 * The image's secure mesh config (/etc/walmesh/mesh-secure.json, what docker/compose.yaml runs): certificates made
 * by the image's own {@code certs create} as compose's {@code certs} service makes them, TLS on gRPC, callers
 * identified by client certificate, a sealed mesh with TLS on its event bus.
 */
class SecureConfigTest extends ContainerFixture {

  @Test
  void theSecureConfigRefusesCallersWithoutAnIdentityAndTakesWritesFromTheClientCertificate(@TempDir Path local)
      throws Exception {
    String volume = "walmesh-certs-" + UUID.randomUUID();
    Docker.client().createVolumeCmd().withName(volume).exec();
    try {
      // compose's certs service: the same image, entry point and arguments
      try (GenericContainer<?> certs = new GenericContainer<>(Images.walmesh())
          .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(
              com.github.dockerjava.api.model.Bind.parse(volume + ":/etc/walmesh/certs")))
          .withCommand("certs", "create", "--out", "/etc/walmesh/certs", "--host", "walmesh-s1",
              "--client", "walmesh-client")
          .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(2)))) {
        certs.start();
      }
      try (WalmeshContainer node = logged(new WalmeshContainer(Images.walmesh()), "secure").withNodeId("walmesh-s1")
          .withEnv("WALMESH_CONFIG", "/etc/walmesh/mesh-secure.json")
          .withEnv("WALMESH_MEMBERS", "[\"walmesh-s1:5701\"]")
          .withEnv("WALMESH_HEALTH_CA", "/etc/walmesh/certs/ca.pem")
          .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(
              com.github.dockerjava.api.model.Bind.parse(volume + ":/etc/walmesh/certs:ro")))
          .waitingFor(Wait.forHttps("/v1/health").allowInsecure().forPort(WalmeshContainer.ADMIN_PORT)
              .forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)))) {
        node.start();
        for (String file : new String[] {"ca.pem", "client.pem", "client-key.pem"}) {
          node.copyFileFromContainer("/etc/walmesh/certs/" + file, local.resolve(file).toString());
        }
        assertThat(logs(node.getContainerId())).doesNotContain("INSECURE");
        // the image's HEALTHCHECK asks over TLS
        await().atMost(Duration.ofSeconds(120)).until(() -> Docker.health(node.getContainerId()).equals("healthy"));

        ClientSSLOptions trust = new ClientSSLOptions()
            .setTrustOptions(new PemTrustOptions().addCertPath(local.resolve("ca.pem").toString()));
        int port = node.getMappedPort(WalmeshContainer.GRPC_PORT);
        WriteResult anonymous = writeOnce(WalmeshClient.grpc(vertx, "localhost", port).tls(trust).build(), "anonymous");
        assertThat(anonymous.isDurable()).isFalse();
        assertThat(anonymous.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);

        ClientSSLOptions withCertificate = new ClientSSLOptions().setTrustOptions(trust.getTrustOptions())
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(local.resolve("client.pem").toString())
                .setKeyPath(local.resolve("client-key.pem").toString()));
        // compose's namespaces service: the CLI in the image, over TLS with the client certificate
        node.copyFileToContainer(Transferable.of(Receiver.namespace("orders", receiver.url(Docker.gateway("bridge")))),
            "/tmp/orders.json");
        org.testcontainers.containers.Container.ExecResult created = node.execInContainer("bash", "-c",
            "WALMESH_ADMIN=https://localhost:8080 WALMESH_CA=/etc/walmesh/certs/ca.pem"
                + " WALMESH_CERT=/etc/walmesh/certs/client.pem WALMESH_KEY=/etc/walmesh/certs/client-key.pem"
                + " /opt/walmesh/entrypoint.sh namespaces create -f /tmp/orders.json");
        assertThat(created.getExitCode()).as(created.getStdout() + created.getStderr()).isZero();

        WriteResult identified = writeOnce(WalmeshClient.grpc(vertx, "localhost", port).tls(withCertificate).build(),
            "identified");
        assertThat(identified.isDurable()).as(identified.toString()).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().contains("identified"));
        assertThat(receiver.bodies()).doesNotContain("anonymous");
      }
    } finally {
      Docker.client().removeVolumeCmd(volume).exec();
    }
  }

  private static WriteResult writeOnce(WalmeshClient client, String payload) throws Exception {
    try {
      return result(client.write(write("orders", "k", payload))
          .recover(e -> e instanceof WriteException w ? Future.succeededFuture(w.result()) : Future.failedFuture(e)));
    } finally {
      result(client.close());
    }
  }
}

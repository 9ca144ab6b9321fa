package io.walmesh.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import io.vertx.core.json.JsonObject;
import io.walmesh.client.WalmeshClient;
import io.walmesh.client.WriteResult;
import io.walmesh.testcontainers.WalmeshContainer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The image built from docker/Dockerfile, run as a user runs it. */
class ImageTest extends ContainerFixture {

  @Test
  void withoutTlsAuthOrTheInsecureOptInTheImageRefusesToListenOnTheNetwork() throws Exception {
    DockerClient docker = Docker.client();
    String id = docker.createContainerCmd(Images.walmesh()).exec().getId();
    try {
      docker.startContainerCmd(id).exec();
      int exit = docker.waitContainerCmd(id).start().awaitStatusCode(120, TimeUnit.SECONDS);
      String logs = logs(id);
      assertThat(exit).as(logs).isNotZero();
      assertThat(logs).contains("grpc.host 0.0.0.0, admin.host 0.0.0.0 is not a loopback address")
          .contains("set \"insecure\": true");
    } finally {
      docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
    }
  }

  @Test
  void aNodeStartsAnswersHealthAcknowledgesAWriteAndDeliversIt() throws Exception {
    String target = receiver.url(Docker.gateway("bridge"));
    try (WalmeshContainer node = logged(new WalmeshContainer(Images.walmesh()), "image")
        .withNamespace(Receiver.namespace("orders", target))) {
      node.start();

      JsonObject health = health(node.getAdminUrl());
      assertThat(health.getInteger("http-status")).isEqualTo(200);
      assertThat(health.getString("status")).isEqualTo("UP");
      assertThat(health.getJsonObject("namespaces").getString("orders")).isEqualTo("running");
      // the image's own HEALTHCHECK, which docker, compose and orchestrators read
      await().atMost(Duration.ofSeconds(90)).until(() -> Docker.health(node.getContainerId()).equals("healthy"));
      // not root inside the container
      assertThat(node.execInContainer("id", "-u").getStdout().trim()).isEqualTo("10001");
      // the image's glibc loads the native epoll transport the node ships (else it would log Java NIO and why)
      assertThat(node.getLogs()).contains("Network transport: native epoll");

      WalmeshClient client = client(node.getHost(), node.getMappedPort(WalmeshContainer.GRPC_PORT));
      try {
        WriteResult result = result(client.write(write("orders", "order-1", "hello from outside the container")));
        assertThat(result.isDurable()).isTrue();
        assertThat(result.entryId()).isNotEmpty();
      } finally {
        result(client.close());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().contains("hello from outside the container"));
    }
  }
}

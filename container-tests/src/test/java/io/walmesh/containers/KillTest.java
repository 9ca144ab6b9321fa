package io.walmesh.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.walmesh.client.WalmeshClient;
import io.walmesh.testcontainers.WalmeshContainer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code docker kill} of a node under write load: every write it acknowledged is delivered once it is back. */
class KillTest extends ContainerFixture {
  private static final Logger LOG = LoggerFactory.getLogger(KillTest.class);

  @Test
  void aNodeKilledWithDockerKillLosesNoAcknowledgedWrite() throws Exception {
    String target = receiver.url(Docker.gateway("bridge"));
    try (WalmeshContainer node = logged(new WalmeshContainer(Images.walmesh()), "killed")
        .withNamespace(Receiver.namespace("payments", target))) {
      node.start();
      String id = node.getContainerId();
      WalmeshClient before = client(node.getHost(), node.getMappedPort(WalmeshContainer.GRPC_PORT));
      WalmeshClient after = null;
      try (Writers writers = new Writers(vertx, before, "payments", "kill", 8)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> writers.acknowledgedCount() >= 300);

        Docker.kill(id);
        long acknowledgedAtKill = writers.acknowledgedCount();
        // the writers see the node gone before it comes back
        await().atMost(Duration.ofSeconds(30)).until(() -> writers.notAcknowledgedCount() > 0);
        Docker.start(id);
        String adminUrl = "http://" + node.getHost() + ":" + Docker.hostPort(id, WalmeshContainer.ADMIN_PORT);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
            .until(() -> "UP".equals(health(adminUrl).getString("status")));
        after = client(node.getHost(), Docker.hostPort(id, WalmeshContainer.GRPC_PORT));
        writers.use(after);
        await().atMost(Duration.ofSeconds(60)).until(() -> writers.acknowledgedCount() >= acknowledgedAtKill + 200);
        writers.close();

        Set<String> acknowledged = new HashSet<>(writers.acknowledged());
        LOG.info("docker kill under load: {} writes acknowledged ({} before the kill); the writers saw {}",
            acknowledged.size(), acknowledgedAtKill, writers.outcomes());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .until(() -> receiver.bodies().containsAll(acknowledged));
        assertThat(receiver.bodies()).containsAll(acknowledged);
      } finally {
        result(before.close());
        if (after != null) {
          result(after.close());
        }
      }
    }
  }
}

package io.walmesh.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.client.WalmeshClient;
import io.walmesh.client.WriteResult;
import io.walmesh.testcontainers.WalmeshContainer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * Three containers, one mesh, on a network of their own: writes through any node reach the namespace's home node,
 * and a node cut off with {@code docker network disconnect} and reconnected rejoins with nothing acknowledged lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshTest extends ContainerFixture {
  private static final Logger LOG = LoggerFactory.getLogger(MeshTest.class);
  private static Network network;
  private static List<WalmeshContainer> nodes;

  @BeforeAll
  static void startMesh() {
    // a fixed subnet, so a reconnected node gets its old address back (Hazelcast announces that address)
    network = Network.builder().createNetworkCmdModifier(cmd -> cmd.withIpam(new com.github.dockerjava.api.model.Network.Ipam()
        .withConfig(new com.github.dockerjava.api.model.Network.Ipam.Config().withSubnet("10.213.77.0/24")))).build();
    nodes = WalmeshContainer.mesh(3, network, org.testcontainers.utility.DockerImageName.parse(Images.walmesh()));
    for (WalmeshContainer node : nodes) {
      logged(node, node.getNodeId()).withEnv("WALMESH_MEMBER_TIMEOUT_MS", "6000").withEnv("WALMESH_FAILOVER_DELAY_MS", "1000");
    }
    Startables.deepStart(nodes).join();
  }

  @AfterAll
  static void stopMesh() {
    if (nodes != null) {
      nodes.forEach(WalmeshContainer::stop);
    }
    if (network != null) {
      network.close();
    }
  }

  private static Set<String> aliveNodes(WalmeshContainer node) {
    try {
      JsonArray all = new JsonObject(get(node.getAdminUrl() + "/v1/cluster").body()).getJsonArray("nodes");
      return all.stream().map(JsonObject.class::cast).filter(n -> n.getBoolean("alive", false))
          .map(n -> n.getString("id")).collect(Collectors.toSet());
    } catch (Exception e) {
      return Set.of();
    }
  }

  @Test
  @Order(1)
  void threeContainersFormOneMeshAndAWriteThroughAnyNodeIsDeliveredFromItsHome() throws Exception {
    Set<String> all = Set.of("walmesh-1", "walmesh-2", "walmesh-3");
    for (WalmeshContainer node : nodes) {
      await().atMost(Duration.ofSeconds(90)).until(() -> aliveNodes(node).equals(all));
    }
    String target = receiver.url(Docker.gateway(network.getId()));
    // created through walmesh-3, so its home (its local log) is walmesh-3
    assertThat(post(nodes.get(2).getAdminUrl() + "/v1/namespaces", Receiver.namespace("on3", target)).statusCode())
        .isEqualTo(201);
    WalmeshClient viaNode1 = client(nodes.get(0).getHost(), nodes.get(0).getMappedPort(WalmeshContainer.GRPC_PORT));
    try {
      WriteResult result = result(viaNode1.write(write("on3", "k", "routed from walmesh-1 to walmesh-3")));
      assertThat(result.isDurable()).isTrue();
    } finally {
      result(viaNode1.close());
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().contains("routed from walmesh-1 to walmesh-3"));
  }

  @Test
  @Order(2)
  void aNodeCutOffAndReconnectedRejoinsAndNothingAcknowledgedIsLost() throws Exception {
    WalmeshContainer node1 = nodes.get(0);
    WalmeshContainer node3 = nodes.get(2);
    String target = receiver.url(Docker.gateway(network.getId()));
    assertThat(post(node1.getAdminUrl() + "/v1/namespaces", Receiver.namespace("on1", target)).statusCode())
        .isEqualTo(201);
    if (post(node3.getAdminUrl() + "/v1/namespaces", Receiver.namespace("on3", target)).statusCode() == 201) {
      LOG.info("on3 created by this test");
    }
    WalmeshClient viaNode1 = client(node1.getHost(), node1.getMappedPort(WalmeshContainer.GRPC_PORT));
    String networkName = Docker.inspect(node3.getContainerId()).getNetworkSettings().getNetworks().keySet().iterator()
        .next();
    String ip3 = Docker.ip(node3.getContainerId(), networkName);
    try (Writers toNode3 = new Writers(vertx, viaNode1, "on3", "cut-on3", 4);
         Writers toNode1 = new Writers(vertx, viaNode1, "on1", "cut-on1", 4)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> toNode3.acknowledgedCount() >= 100
          && toNode1.acknowledgedCount() >= 100);
      Map<String, Long> beforeOn3 = toNode3.outcomes();
      Map<String, Long> beforeOn1 = toNode1.outcomes();

      Docker.disconnect(node3.getContainerId(), network.getId());
      await().atMost(Duration.ofSeconds(30)).until(() -> !aliveNodes(node1).contains("walmesh-3"));
      long on1AtCut = toNode1.acknowledgedCount();
      long failedOn3AtCut = toNode3.notAcknowledgedCount();
      // the cut lasts until writers to walmesh-3's namespace were refused and walmesh-1's own went on
      await().atMost(Duration.ofSeconds(60)).until(() -> toNode3.notAcknowledgedCount() > failedOn3AtCut
          && toNode1.acknowledgedCount() > on1AtCut + 50);
      Map<String, Long> cutOn3 = toNode3.outcomes();
      Map<String, Long> cutOn1 = toNode1.outcomes();
      // the rest of the mesh keeps taking writes for its own namespaces while walmesh-3 is away
      assertThat(toNode1.acknowledgedCount()).isGreaterThan(on1AtCut + 50);
      long on3BeforeReconnect = toNode3.acknowledgedCount();

      Docker.connect(node3.getContainerId(), network.getId(), ip3, "walmesh-3");
      Set<String> all = Set.of("walmesh-1", "walmesh-2", "walmesh-3");
      // (docker does not restore a reconnected container's published ports, so ask the others about walmesh-3)
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
          .until(() -> aliveNodes(node1).equals(all) && aliveNodes(nodes.get(1)).equals(all));
      // writes routed to walmesh-3 are acknowledged again
      await().atMost(Duration.ofSeconds(60)).until(() -> toNode3.acknowledgedCount() >= on3BeforeReconnect + 50);
      toNode3.close();
      toNode1.close();
      LOG.info("network disconnect of walmesh-3: writes through walmesh-1 to its namespace 'on3' saw {} before the cut,"
          + " {} by the end of the cut, {} in all; to walmesh-1's own 'on1' {} before, {} by the end of the cut, {} in all",
          beforeOn3, cutOn3, toNode3.outcomes(), beforeOn1, cutOn1, toNode1.outcomes());

      Set<String> acknowledged = new HashSet<>(toNode3.acknowledged());
      acknowledged.addAll(toNode1.acknowledged());
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .until(() -> receiver.bodies().containsAll(acknowledged));
      assertThat(receiver.bodies()).containsAll(acknowledged);
    } finally {
      result(viaNode1.close());
    }
  }
}

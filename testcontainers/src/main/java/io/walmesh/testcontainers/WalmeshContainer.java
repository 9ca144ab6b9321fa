package io.walmesh.testcontainers;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real walmesh node in a container, for an application's tests, the way {@code KafkaContainer} gives a Kafka:
 *
 * <pre>{@code
 * try (WalmeshContainer walmesh = new WalmeshContainer().withNamespace(ordersJson)) {
 *   walmesh.start();
 *   WalmeshClient client = WalmeshClient.grpc(vertx, walmesh.getGrpcAddress()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>The node runs the image's config ({@code /etc/walmesh/node.json}, or {@code mesh.json} for
 * {@link #mesh(int, Network)}) on the embedded {@code local} backend, and is healthy once its admin API reports
 * {@code UP}. Namespaces given with {@link #withNamespace(String)} are created through the admin API as soon as the
 * node is up, so they take writes when {@code start()} returns.
 *
 * <p><b>Security.</b> The container listens without TLS or authentication ({@code WALMESH_INSECURE=true}), like a
 * test broker: anything that reaches its mapped ports may write and administer it. Keep it to test machines. For
 * TLS and callers with permissions, mount your own config ({@code withCopyFileToContainer} to
 * {@code /etc/walmesh/node.json}); see docs/testcontainers.md.
 */
public class WalmeshContainer extends GenericContainer<WalmeshContainer> {
  /** The image used when none is given: {@code -Dwalmesh.image=...} or {@code walmesh/walmesh:latest}. */
  public static final String DEFAULT_IMAGE = "walmesh/walmesh:latest";
  public static final int GRPC_PORT = 9090;
  public static final int ADMIN_PORT = 8080;
  public static final int HAZELCAST_PORT = 5701;

  private final List<String> namespaces = new ArrayList<>();
  private String nodeId;

  /** A node from {@code -Dwalmesh.image} or {@link #DEFAULT_IMAGE}. */
  public WalmeshContainer() {
    this(DockerImageName.parse(System.getProperty("walmesh.image", DEFAULT_IMAGE)));
  }

  public WalmeshContainer(String image) {
    this(DockerImageName.parse(image));
  }

  public WalmeshContainer(DockerImageName image) {
    super(image);
    withExposedPorts(GRPC_PORT, ADMIN_PORT);
    withEnv("WALMESH_INSECURE", "true");
    waitingFor(Wait.forHttp("/v1/health").forPort(ADMIN_PORT).forStatusCode(200)
        .withStartupTimeout(Duration.ofMinutes(2)));
  }

  /**
   * {@code size} nodes that form one mesh on {@code network}, with the network aliases and node ids
   * {@code walmesh-1} ... {@code walmesh-<size>} and TCP-IP discovery among them. Start them all (in any order);
   * each is healthy once it is up, the mesh forms as they find each other.
   */
  public static List<WalmeshContainer> mesh(int size, Network network) {
    return mesh(size, network, DockerImageName.parse(System.getProperty("walmesh.image", DEFAULT_IMAGE)));
  }

  public static List<WalmeshContainer> mesh(int size, Network network, DockerImageName image) {
    if (size < 1) {
      throw new IllegalArgumentException("a mesh needs at least one node, got " + size);
    }
    String members = IntStream.rangeClosed(1, size).mapToObj(i -> "\"walmesh-" + i + ":" + HAZELCAST_PORT + "\"")
        .collect(Collectors.joining(", ", "[", "]"));
    List<WalmeshContainer> nodes = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      nodes.add(new WalmeshContainer(image).withNetwork(network).withNodeId("walmesh-" + i)
          .withEnv("WALMESH_CONFIG", "/etc/walmesh/mesh.json").withEnv("WALMESH_MEMBERS", members));
    }
    return nodes;
  }

  /** The node's id, which is also its network alias (so other containers reach it by that name). */
  public WalmeshContainer withNodeId(String nodeId) {
    this.nodeId = nodeId;
    withEnv("WALMESH_NODE_ID", nodeId);
    withNetworkAliases(nodeId);
    withCreateContainerCmdModifier(cmd -> cmd.withHostName(nodeId));
    return self();
  }

  /** A namespace document (JSON, as for {@code POST /v1/namespaces}) created once the node is up. */
  public WalmeshContainer withNamespace(String documentJson) {
    namespaces.add(documentJson);
    return self();
  }

  /** {@code host:port} of the gRPC {@code WriteToLog} listener, for {@code WalmeshClient.grpc(vertx, ...)}. */
  public String getGrpcAddress() {
    return getHost() + ":" + getMappedPort(GRPC_PORT);
  }

  /** The admin API's base URL, e.g. {@code http://localhost:32771} (append {@code /v1/health}, {@code /metrics}). */
  public String getAdminUrl() {
    return "http://" + getHost() + ":" + getMappedPort(ADMIN_PORT);
  }

  /** The node id given with {@link #withNodeId}, or {@code null} (the image then uses the container's host name). */
  public String getNodeId() {
    return nodeId;
  }

  @Override
  protected void containerIsStarted(InspectContainerResponse info) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (String document : namespaces) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(getAdminUrl() + "/v1/namespaces"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(document)).build();
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
          throw new ContainerLaunchException("walmesh refused namespace " + document + ": " + response.statusCode()
              + " " + response.body());
        }
      } catch (IOException e) {
        throw new ContainerLaunchException("could not create namespace through " + getAdminUrl() + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ContainerLaunchException("interrupted creating a namespace", e);
      }
    }
  }
}

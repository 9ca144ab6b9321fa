package io.walmesh.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.DockerClientFactory;

/** The docker operations a test does to containers from outside: kill, start, cut off, reconnect, inspect. */
final class Docker {
  private Docker() {
  }

  static DockerClient client() {
    return DockerClientFactory.instance().client();
  }

  /** The address containers on {@code network} reach this machine at. */
  static String gateway(String network) {
    com.github.dockerjava.api.model.Network.Ipam.Config config = client().inspectNetworkCmd().withNetworkId(network)
        .exec().getIpam().getConfig().get(0);
    if (config.getGateway() != null) {
      return config.getGateway();
    }
    // the default bridge may not list its gateway: it is the subnet's first address (172.17.0.0/16 -> 172.17.0.1)
    String base = config.getSubnet().substring(0, config.getSubnet().indexOf('/'));
    return base.substring(0, base.lastIndexOf('.')) + ".1";
  }

  /** {@code docker kill}: SIGKILL, no shutdown hook runs. */
  static void kill(String containerId) {
    client().killContainerCmd(containerId).withSignal("KILL").exec();
  }

  /** {@code docker start} of a stopped container: same file system and volumes, new host ports. */
  static void start(String containerId) {
    client().startContainerCmd(containerId).exec();
  }

  static InspectContainerResponse inspect(String containerId) {
    return client().inspectContainerCmd(containerId).exec();
  }

  /** The HEALTHCHECK status: {@code starting}, {@code healthy} or {@code unhealthy}. */
  static String health(String containerId) {
    InspectContainerResponse.ContainerState state = inspect(containerId).getState();
    return state.getHealth() == null ? "none" : state.getHealth().getStatus();
  }

  /** The host port a container port is published on now (it changes when a container is started again). */
  static int hostPort(String containerId, int containerPort) {
    Ports.Binding[] bindings = inspect(containerId).getNetworkSettings().getPorts().getBindings()
        .get(ExposedPort.tcp(containerPort));
    return Integer.parseInt(bindings[0].getHostPortSpec());
  }

  static String ip(String containerId, String networkName) {
    return inspect(containerId).getNetworkSettings().getNetworks().get(networkName).getIpAddress();
  }

  /** {@code docker network disconnect}: the container keeps running with no route to the others. */
  static void disconnect(String containerId, String network) {
    client().disconnectFromNetworkCmd().withContainerId(containerId).withNetworkId(network).exec();
  }

  /** {@code docker network connect --ip IP --alias ALIAS}: back on the network with the address it had. */
  static void connect(String containerId, String network, String ip, String alias) {
    client().connectToNetworkCmd().withContainerId(containerId).withNetworkId(network)
        .withContainerNetwork(new ContainerNetwork().withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(ip))
            .withAliases(alias))
        .exec();
  }
}

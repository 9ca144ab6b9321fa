package io.walmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free TCP ports on 127.0.0.1, below the kernel's ephemeral range.
 *
 * <p>Why below it: a test that stops a listener and starts it again on the same port (a target's server going down,
 * {@link TcpProxy}) must find the port still free. A port of the ephemeral range can be taken meanwhile as the local
 * end of an outgoing connection, and a client retrying {@code 127.0.0.1:port} while nothing listens can even connect
 * to itself through that very port (TCP simultaneous open): the restart then fails with "Address already in use".
 * The kernel never picks a local port outside its range, so a port below it stays free until someone binds it.
 */
public final class FreePorts {
  private static final int LOWEST = 10_000;
  /** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
  private static final int EPHEMERAL_FROM = ephemeralFrom();

  private FreePorts() {
  }

  /**
   * The next port to try: this JVM hands ports out in turn from a random start, so two calls never answer the same
   * port (a test often takes several before it binds any), and two JVMs rarely start near each other.
   */
  private static final AtomicInteger CURSOR = new AtomicInteger(
      EPHEMERAL_FROM > LOWEST + 1_000 ? ThreadLocalRandom.current().nextInt(LOWEST, EPHEMERAL_FROM) : LOWEST);

  /** A port below the ephemeral range that was free a moment ago on 127.0.0.1 (an ephemeral one if none is found). */
  public static int next() {
    for (int attempt = 0; attempt < 200 && EPHEMERAL_FROM > LOWEST + 1_000; attempt++) {
      int port = LOWEST + Math.floorMod(CURSOR.getAndIncrement() - LOWEST, EPHEMERAL_FROM - LOWEST);
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException taken) {
        // in use: try another
      }
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int ephemeralFrom() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}

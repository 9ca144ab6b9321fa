package io.walmesh.target.memcached.client;

/**
 * A memcached server's address.
 *
 * @param host a host name or IP address
 * @param port a TCP port
 */
public record ServerAddress(String host, int port) {

  /** Parses {@code host:port} (or {@code [v6-address]:port}); throws {@link IllegalArgumentException} saying why not. */
  public static ServerAddress parse(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException("must be \"host:port\", got \"" + value + "\"");
    }
    String host = value.substring(0, colon).trim();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port must be a number, got \"" + value + "\"");
    }
    if (host.isEmpty() || host.contains(" ")) {
      throw new IllegalArgumentException("bad host in \"" + value + "\"");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 1 and 65535, got \"" + value + "\"");
    }
    return new ServerAddress(host, port);
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}

package io.walmesh.node.internal;

/** Whether a host name or address (as configured, or from a Host header) is the loopback interface. */
public final class Loopback {
  private Loopback() {
  }

  /** localhost, 127.x.x.x, ::1 (with or without brackets). */
  public static boolean is(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.equalsIgnoreCase("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }
}

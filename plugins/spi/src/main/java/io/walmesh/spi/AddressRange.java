package io.walmesh.spi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * A block of IP addresses in CIDR notation ({@code 169.254.0.0/16}, {@code fe80::/10}); a bare
 * address is a block of one. Parsing never touches DNS.
 *
 * @param text the block as written
 * @param network the network address bytes (4 or 16)
 * @param prefix the prefix length in bits
 */
public record AddressRange(String text, byte[] network, int prefix) {
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\\w.-]+)?");

  /** Parses a CIDR block or a bare address; throws {@link IllegalArgumentException} saying what is wrong. */
  public static AddressRange parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("must be an IP address or CIDR block such as 169.254.0.0/16");
    }
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    InetAddress parsed = literal(address);
    if (parsed == null) {
      throw new IllegalArgumentException("must be an IP address or CIDR block such as 169.254.0.0/16 or fe80::/10");
    }
    byte[] bytes = parsed.getAddress();
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("the prefix length must be between 0 and " + bits);
      }
    }
    return new AddressRange(text, mask(bytes, prefix), prefix);
  }

  /**
   * The address of an IP literal ({@code 10.0.0.1}, {@code ::1}, {@code [::1]}), or null when
   * {@code host} is a name. Never resolves a name.
   */
  public static InetAddress literal(String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!IPV4.matcher(bare).matches() && !IPV6.matcher(bare).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(bare);
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  public AddressRange {
    network = mask(network.clone(), prefix);
  }

  /** A copy of the network address bytes. */
  @Override
  public byte[] network() {
    return network.clone();
  }

  /** Whether {@code address} is inside this block; an IPv4 block never holds an IPv6 address. */
  public boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  /** Whether the address of these bytes (4 or 16, as {@link InetAddress#getAddress} gives) is in this block. */
  public boolean contains(byte[] bytes) {
    if (bytes.length != network.length) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      if (masked(bytes[i], i, prefix) != network[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = masked(out[i], i, prefix);
    }
    return out;
  }

  /** Byte {@code i} of an address with only its first {@code prefix} bits kept. */
  private static byte masked(byte b, int i, int prefix) {
    int keep = Math.max(0, Math.min(8, prefix - i * 8));
    return (byte) (b & (0xFF << (8 - keep)));
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AddressRange r && r.prefix == prefix && java.util.Arrays.equals(r.network, network);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(network) * 31 + prefix;
  }
}

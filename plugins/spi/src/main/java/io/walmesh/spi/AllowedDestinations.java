package io.walmesh.spi;

import io.vertx.core.json.JsonArray;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A target's own allow-list of network destinations, the optional config field
 * {@code allowed-destinations}: host names (matched case-insensitively against the configured host)
 * and IP addresses or CIDR blocks (matched against every resolved address). Absent, any destination
 * not denied by the node's {@link DestinationPolicy} is allowed.
 */
public final class AllowedDestinations {
  /** The config field name. */
  public static final String FIELD = "allowed-destinations";
  /** No allow-list: everything the node's deny-list lets through. */
  public static final AllowedDestinations ANY = new AllowedDestinations(null, Set.of(), List.of());

  private final List<String> written;
  private final Set<String> names;
  private final List<AddressRange> ranges;

  private AllowedDestinations(List<String> written, Set<String> names, List<AddressRange> ranges) {
    this.written = written;
    this.names = names;
    this.ranges = ranges;
  }

  /** Reads {@value #FIELD} from a target config; absent is {@link #ANY}, empty is refused. */
  public static AllowedDestinations read(ConfigReader reader) {
    if (!reader.has(FIELD)) {
      return ANY;
    }
    JsonArray array = reader.array(FIELD);
    if (array.isEmpty()) {
      throw new ConfigException(reader.field(FIELD), "must name at least one host or CIDR block; leave it out to allow any");
    }
    List<String> written = new ArrayList<>();
    Set<String> names = new TreeSet<>();
    List<AddressRange> ranges = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String field = reader.field(FIELD) + "[" + i + "]";
      if (!(array.getValue(i) instanceof String text) || text.isBlank()) {
        throw new ConfigException(field, "must be a host name, an IP address or a CIDR block");
      }
      if (text.contains("/") || AddressRange.literal(text) != null) {
        try {
          ranges.add(AddressRange.parse(text));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(field, e.getMessage());
        }
      } else if (text.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
          && text.length() <= 253) {
        names.add(text.toLowerCase(Locale.ROOT));
      } else {
        throw new ConfigException(field, "must be a host name, an IP address or a CIDR block");
      }
      written.add(text);
    }
    return new AllowedDestinations(List.copyOf(written), names, List.copyOf(ranges));
  }

  /** Whether there is no allow-list. */
  public boolean any() {
    return written == null;
  }

  /**
   * Refuses a configured host the list can never allow: a name that is not listed when the list has
   * no CIDR block, or an IP literal outside every block.
   */
  public void checkConfigured(String host, String field) {
    if (any() || names.contains(host.toLowerCase(Locale.ROOT))) {
      return;
    }
    InetAddress literal = AddressRange.literal(host);
    if (literal != null ? ranges.stream().noneMatch(r -> r.contains(literal)) : ranges.isEmpty()) {
      throw new ConfigException(field, "the host is not in " + FIELD + " " + this);
    }
  }

  /** Whether a connection to {@code address}, resolved from the configured {@code host}, is allowed. */
  public boolean allows(String host, InetAddress address) {
    return any() || names.contains(host.toLowerCase(Locale.ROOT)) || ranges.stream().anyMatch(r -> r.contains(address));
  }

  @Override
  public String toString() {
    return any() ? "(any)" : written.toString();
  }
}

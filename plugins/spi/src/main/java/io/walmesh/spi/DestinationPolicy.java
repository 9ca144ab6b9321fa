package io.walmesh.spi;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.DeliveryException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The node-wide deny-list of destination addresses: no target may connect to an address inside one
 * of these blocks (node config {@code targets.deny-destinations}, default {@link #DEFAULT_DENIED}:
 * link-local, where cloud metadata services live). Loopback is not denied by default.
 *
 * <p>Targets check it twice: a config whose host is a denied IP literal is refused
 * ({@link #checkLiteral}), and before each connection the host is resolved and refused when
 * <em>any</em> of its addresses is denied ({@link #resolve}); the connection then goes to the
 * address that was checked, so a name cannot resolve differently between check and connect.
 */
public final class DestinationPolicy {
  /** The default deny-list: IPv4 and IPv6 link-local. */
  public static final List<String> DEFAULT_DENIED = List.of("169.254.0.0/16", "fe80::/10");
  private static final DestinationPolicy DEFAULTS = denying(DEFAULT_DENIED);

  private final List<AddressRange> denied;
  /**
   * How long a name's addresses are reused before it is resolved again. The JVM keeps a successful lookup 30 s by
   * default anyway; this saves a worker-thread hop per delivery. The check runs on every use all the same.
   */
  static final long RESOLVED_FOR_MS = 5_000;
  /** Names resolved lately; only configured target hosts get here, but it is cleared past this many. */
  private static final int MAX_RESOLVED = 1_024;
  private final java.util.concurrent.ConcurrentHashMap<String, Resolved> resolved = new java.util.concurrent.ConcurrentHashMap<>();

  private record Resolved(InetAddress[] addresses, long untilMs) {
  }

  private DestinationPolicy(List<AddressRange> denied) {
    this.denied = List.copyOf(denied);
  }

  /** The default policy: {@link #DEFAULT_DENIED}. */
  public static DestinationPolicy defaults() {
    return DEFAULTS;
  }

  /** A policy denying these CIDR blocks; throws {@link IllegalArgumentException} naming the bad element. */
  public static DestinationPolicy denying(List<String> blocks) {
    List<AddressRange> ranges = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      try {
        ranges.add(AddressRange.parse(blocks.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("[" + i + "] " + e.getMessage(), e);
      }
    }
    return new DestinationPolicy(ranges);
  }

  /** The denied blocks as written. */
  public List<String> denied() {
    return denied.stream().map(AddressRange::text).toList();
  }

  /** The denied block that holds {@code address}, if any. */
  public Optional<AddressRange> deniedBy(InetAddress address) {
    byte[] bytes = address.getAddress(); // a copy: taken once for every block
    for (AddressRange range : denied) {
      if (range.contains(bytes)) {
        return Optional.of(range);
      }
    }
    return Optional.empty();
  }

  /** Refuses a config whose {@code host} is an IP literal inside a denied block; names are checked on connect. */
  public void checkLiteral(String host, String field) {
    InetAddress literal = AddressRange.literal(host);
    if (literal != null) {
      deniedBy(literal).ifPresent(r -> {
        throw new ConfigException(field, "the address is in " + r + ", which this node's targets.deny-destinations"
            + " refuses");
      });
    }
  }

  /**
   * Resolves {@code host} (an IP literal without DNS, parsed once; a name on a worker thread, reused for
   * {@value #RESOLVED_FOR_MS} ms) and answers the
   * address to connect to. Fails with a permanent {@link DeliveryException} when any address is denied
   * or outside {@code allowed}, and with a retryable one when the name does not resolve.
   *
   * @param allowed the target's own allow-list; {@link AllowedDestinations#ANY} for none
   * @param what names the target in messages, e.g. {@code http target web}
   */
  public Future<InetAddress> resolve(Vertx vertx, String host, AllowedDestinations allowed, String what) {
    Objects.requireNonNull(allowed, "allowed");
    // the answer is bound to the caller's context, as that of a name resolved on a worker is: a target chains its
    // exchange on it and bounds it with Future.timeout, which on a future of no context Vert.x schedules (and cancels)
    // on Netty's global executor, a thread woken twice per delivery; on a context's future, on its event loop
    io.vertx.core.internal.ContextInternal context = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
    Resolved recent = resolved.get(host);
    if (recent != null && recent.untilMs() > System.currentTimeMillis()) {
      return check(context, host, recent.addresses(), allowed, what);
    }
    InetAddress literal = AddressRange.literal(host);
    if (literal != null) {
      // kept for good: parsing a literal (two regular expressions and InetAddress's parser) per delivery showed in
      // the node's allocation profile
      remember(host, new Resolved(new InetAddress[] {literal}, Long.MAX_VALUE));
      return check(context, host, new InetAddress[] {literal}, allowed, what);
    }
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false)
        .recover(e -> Future.failedFuture(DeliveryException.retryable(what + ": cannot resolve " + host + " ("
            + (e instanceof UnknownHostException ? "unknown host" : e.getClass().getSimpleName()) + ")")))
        .compose(addresses -> {
          remember(host, new Resolved(addresses, System.currentTimeMillis() + RESOLVED_FOR_MS));
          return check(context, host, addresses, allowed, what);
        });
  }

  private void remember(String host, Resolved addresses) {
    if (resolved.size() >= MAX_RESOLVED) {
      resolved.clear();
    }
    resolved.put(host, addresses);
  }

  private Future<InetAddress> check(io.vertx.core.internal.ContextInternal context, String host, InetAddress[] addresses,
                                    AllowedDestinations allowed, String what) {
    for (InetAddress address : addresses) {
      Optional<AddressRange> deny = deniedBy(address);
      if (deny.isPresent()) {
        return context.failedFuture(DeliveryException.permanent(what + ": " + host + " resolves to "
            + address.getHostAddress() + ", in " + deny.get() + ", which this node's targets.deny-destinations refuses"));
      }
      if (!allowed.allows(host, address)) {
        return context.failedFuture(DeliveryException.permanent(what + ": " + host + " ("
            + address.getHostAddress() + ") is not in the target's allowed-destinations " + allowed));
      }
    }
    if (addresses.length == 0) {
      return context.failedFuture(DeliveryException.retryable(what + ": " + host + " resolves to no address"));
    }
    return context.succeededFuture(addresses[0]);
  }

  @Override
  public String toString() {
    return denied().toString();
  }
}

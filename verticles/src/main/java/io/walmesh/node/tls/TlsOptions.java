package io.walmesh.node.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * TLS on the node's gRPC and admin listeners, from PEM files ({@code "tls"} in the node config):
 * <pre>
 * "tls": {
 *   "cert-path": "node.pem",          the node's certificate chain (PEM), required
 *   "key-path": "node-key.pem",       its private key (PEM, PKCS#8), required
 *   "client-ca-path": "ca.pem",       CA certificates that sign client certificates (PEM)
 *   "client-auth": "none",            none | request | required: whether clients must show a certificate
 *   "reload-interval-ms": 60000       how often the files are checked; changed files apply without a restart (0: never)
 * }
 * </pre>
 * Plaintext connections to a TLS listener fail at the TLS handshake.
 */
public record TlsOptions(Path certPath, Path keyPath, Path clientCaPath, ClientAuth clientAuth, long reloadIntervalMs) {
  public static final long DEFAULT_RELOAD_INTERVAL_MS = 60_000;
  private static final Set<String> FIELDS = Set.of("cert-path", "key-path", "client-ca-path", "client-auth", "reload-interval-ms");

  public TlsOptions {
    if (clientAuth != ClientAuth.NONE && clientCaPath == null) {
      throw new ConfigException("tls.client-ca-path", "is required when tls.client-auth is " + clientAuth.name().toLowerCase(Locale.ROOT)
          + ": it names the CA that signs the client certificates");
    }
  }

  /** Reads the {@code tls} section; every file must exist and be readable. */
  public static TlsOptions read(ConfigReader tls, Path base) {
    tls.rejectUnknown(FIELDS);
    Path cert = file(tls, "cert-path", base, true);
    Path key = file(tls, "key-path", base, true);
    Path clientCa = file(tls, "client-ca-path", base, false);
    String auth = tls.optString("client-auth", "none");
    ClientAuth clientAuth = switch (auth) {
      case "none" -> ClientAuth.NONE;
      case "request" -> ClientAuth.REQUEST;
      case "required" -> ClientAuth.REQUIRED;
      default -> throw new ConfigException(tls.field("client-auth"), "must be none, request or required, got \"" + auth + "\"");
    };
    return new TlsOptions(cert, key, clientCa, clientAuth,
        tls.optLong("reload-interval-ms", DEFAULT_RELOAD_INTERVAL_MS, 0, 86_400_000L));
  }

  /** A PEM file named by a config field, resolved against {@code base}; it must exist and be readable. */
  public static Path file(ConfigReader tls, String name, Path base, boolean required) {
    if (!tls.has(name)) {
      if (required) {
        throw new ConfigException(tls.field(name), "is required: a PEM file");
      }
      return null;
    }
    Path path = base.resolve(tls.optString(name, ""));
    if (!Files.isReadable(path)) {
      throw new ConfigException(tls.field(name), "names " + path + ", which is not a readable file");
    }
    return path;
  }

  /** The server SSL options of these files, read now. */
  public ServerSSLOptions sslOptions() {
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certPath.toString()).setKeyPath(keyPath.toString()))
        .setClientAuth(clientAuth)
        .setUseAlpn(true); // gRPC needs HTTP/2, negotiated with ALPN
    if (clientCaPath != null) {
      ssl.setTrustOptions(new PemTrustOptions().addCertPath(clientCaPath.toString()));
    }
    return ssl;
  }

  /** A listener's options with TLS on when {@code tls} is set, unchanged when it is null (plaintext). */
  public static HttpServerOptions apply(TlsOptions tls, HttpServerOptions options) {
    return tls == null ? options : tls.apply(options);
  }

  /** Reads the files again into a running listener: new connections use them, open ones keep theirs. */
  public static io.vertx.core.Future<Boolean> reload(TlsOptions tls, io.vertx.core.http.HttpServer server) {
    return tls == null || server == null ? io.vertx.core.Future.succeededFuture(false) : server.updateSSLOptions(tls.sslOptions(), true);
  }

  /** Turns TLS on in a listener's options. */
  public HttpServerOptions apply(HttpServerOptions options) {
    ServerSSLOptions ssl = sslOptions();
    return options.setSsl(true).setUseAlpn(true).setKeyCertOptions(ssl.getKeyCertOptions())
        .setTrustOptions(ssl.getTrustOptions()).setClientAuth(clientAuth);
  }

  /** A fingerprint of the files' modification times and sizes: it changes when a file is replaced. */
  public String filesVersion() {
    StringBuilder version = new StringBuilder();
    for (Path path : new Path[] {certPath, keyPath, clientCaPath}) {
      if (path == null) {
        continue;
      }
      try {
        version.append(Files.getLastModifiedTime(path).toMillis()).append('/').append(Files.size(path)).append(';');
      } catch (IOException e) {
        version.append("missing;");
      }
    }
    return version.toString();
  }
}

package io.walmesh.node.tls;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a client (the CLI, the Java client, a test) speaks TLS to a node: the CA that signed the
 * node's certificate, and optionally the client's own certificate and key (PEM files).
 *
 * @param caPath CA certificates to trust (PEM); null: the JVM's default trust store
 * @param certPath the client's certificate chain (PEM), for nodes that ask for one; may be null
 * @param keyPath the client's private key (PEM, PKCS#8); set with {@code certPath}
 */
public record ClientTls(Path caPath, Path certPath, Path keyPath) {
  public ClientTls {
    if ((certPath == null) != (keyPath == null)) {
      throw new IllegalArgumentException("a client certificate needs both its certificate and its key file");
    }
  }

  /** Vert.x client SSL options (the gRPC client). */
  public ClientSSLOptions vertxOptions() {
    ClientSSLOptions ssl = new ClientSSLOptions().setUseAlpn(true).setHostnameVerificationAlgorithm("HTTPS");
    if (caPath != null) {
      ssl.setTrustOptions(new PemTrustOptions().addCertPath(caPath.toString()));
    }
    if (certPath != null) {
      ssl.setKeyCertOptions(new PemKeyCertOptions().setCertPath(certPath.toString()).setKeyPath(keyPath.toString()));
    }
    return ssl;
  }

  /** A JDK SSL context (the admin API client). */
  public SSLContext sslContext() throws Exception {
    TrustManagerFactory trust = null;
    if (caPath != null) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate cert : certificates(caPath)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
      trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
    }
    KeyManagerFactory keys = null;
    if (certPath != null) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = "walmesh".toCharArray();
      store.setKeyEntry("client", privateKey(keyPath), password, certificates(certPath).toArray(Certificate[]::new));
      keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
    return context;
  }

  private static Collection<? extends Certificate> certificates(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
  }

  private static PrivateKey privateKey(Path pem) throws Exception {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new IllegalArgumentException(pem + " is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    String base64 = text.substring(text.indexOf("-----BEGIN PRIVATE KEY-----") + 27, text.indexOf("-----END PRIVATE KEY-----"))
        .replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (java.security.spec.InvalidKeySpecException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(pem + ": an EC, RSA or Ed25519 private key was expected");
  }
}

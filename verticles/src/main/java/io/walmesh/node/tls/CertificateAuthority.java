package io.walmesh.node.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority for development and tests ({@code walmesh certs create}): a CA, a node
 * certificate for the given host names and addresses (always localhost and 127.0.0.1), and a
 * client certificate, written as PEM files. Keys are ECDSA P-256; private keys are written 0600.
 * For production, use certificates from your own PKI.
 */
public final class CertificateAuthority {
  /** The files {@link #create} writes. */
  public record Files(Path caCert, Path caKey, Path nodeCert, Path nodeKey, Path clientCert, Path clientKey) {
  }

  private static final Duration VALIDITY = Duration.ofDays(825);
  private final KeyPair caKeys;
  private final X509Certificate caCert;

  private CertificateAuthority(KeyPair caKeys, X509Certificate caCert) {
    this.caKeys = caKeys;
    this.caCert = caCert;
  }

  /** A new CA named {@code name}. */
  public static CertificateAuthority create(String name) throws Exception {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + name);
    JcaX509v3CertificateBuilder builder = builder(subject, subject, keys);
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
    return new CertificateAuthority(keys, sign(builder, keys));
  }

  /** Makes a CA, a node certificate for {@code hosts}, and a client certificate named {@code client}, in {@code dir}. */
  public static Files createAll(Path dir, List<String> hosts, String client) throws Exception {
    CertificateAuthority ca = create("walmesh development CA");
    java.nio.file.Files.createDirectories(dir);
    Files files = new Files(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"), dir.resolve("node.pem"),
        dir.resolve("node-key.pem"), dir.resolve("client.pem"), dir.resolve("client-key.pem"));
    writePem(files.caCert(), ca.caCert, false);
    writePem(files.caKey(), new JcaPKCS8Generator(ca.caKeys.getPrivate(), null).generate(), true);
    ca.issue(hosts, true, "walmesh node", files.nodeCert(), files.nodeKey());
    ca.issue(List.of(), false, client, files.clientCert(), files.clientKey());
    return files;
  }

  /** Issues a server certificate (for {@code hosts}) or a client certificate (named {@code name}) and writes it with its key. */
  public void issue(List<String> hosts, boolean server, String name, Path certFile, Path keyFile) throws Exception {
    KeyPair keys = keyPair();
    JcaX509v3CertificateBuilder builder = builder(new X500Name(caCert.getSubjectX500Principal().getName()),
        new X500Name("CN=" + name), keys);
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    builder.addExtension(Extension.extendedKeyUsage, false,
        // a node is a server and, when it forwards an admin call to another node, a client
        server ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
            : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(caCert));
    if (server) {
      List<GeneralName> names = new ArrayList<>();
      List<String> all = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
      all.addAll(hosts);
      for (String host : all.stream().distinct().toList()) {
        names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(host).getHostAddress())
            : new GeneralName(GeneralName.dNSName, host));
      }
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    }
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer(caKeys)));
    writePem(certFile, cert, false);
    writePem(keyFile, new JcaPKCS8Generator(keys.getPrivate(), null).generate(), true);
  }

  private static boolean isAddress(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256, new SecureRandom());
    return generator.generateKeyPair();
  }

  private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
  }

  private static ContentSigner signer(KeyPair keys) throws Exception {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair keys) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer(keys)));
  }

  private static void writePem(Path file, Object object, boolean secret) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    io.walmesh.node.internal.PrivateFiles.write(file, text.toString(), secret);
  }
}

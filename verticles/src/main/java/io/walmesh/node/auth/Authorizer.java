package io.walmesh.node.auth;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identifies callers and decides what they may do, from {@link AuthOptions}; every denial and every
 * admin change goes to the audit log ({@code walmesh.audit}, one line each: principal, action,
 * resource, outcome). With no {@code auth} section, {@link #OPEN} lets everyone do everything.
 */
public final class Authorizer {
  private static final Logger audit = LoggerFactory.getLogger("walmesh.audit");
  /** No authentication: every caller may do everything (the behaviour of a node with no "auth" section). */
  public static final Authorizer OPEN = new Authorizer(null);

  private final AuthOptions options;

  public Authorizer(AuthOptions options) {
    this.options = options;
  }

  /** Whether callers must be identified. */
  public boolean enabled() {
    return options != null;
  }

  /** The caller of a request on this connection: its bearer token, else its TLS client certificate. */
  public Optional<String> identify(String authorization, io.vertx.core.http.HttpConnection connection) {
    List<Certificate> certificates = null;
    try {
      if (connection != null && connection.isSsl()) {
        certificates = connection.peerCertificates();
      }
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      certificates = null; // no client certificate
    }
    return identify(authorization, certificates);
  }

  /**
   * The caller's principal: from a bearer token in {@code authorization}, else the CN of its client
   * certificate; empty when neither identifies a caller.
   */
  public Optional<String> identify(String authorization, List<Certificate> peerCertificates) {
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String principal = options.principalsByTokenHash().get(AuthOptions.hash(authorization.substring(7).trim()));
      if (principal != null) {
        return Optional.of(principal);
      }
      return Optional.empty(); // a wrong token never falls back to the certificate
    }
    if (peerCertificates != null && !peerCertificates.isEmpty() && peerCertificates.get(0) instanceof X509Certificate cert) {
      try {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            return Optional.of(rdn.getValue().toString());
          }
        }
      } catch (javax.naming.InvalidNameException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  public boolean mayWrite(String principal, String namespace) {
    if (!enabled()) {
      return true;
    }
    AuthOptions.Grants grants = options.principals().get(principal);
    return grants != null && matches(grants.write(), namespace);
  }

  public boolean mayUseDeadLetters(String principal, String namespace) {
    if (!enabled()) {
      return true;
    }
    AuthOptions.Grants grants = options.principals().get(principal);
    return grants != null && (grants.admin().compareTo(AdminRole.OPERATOR) >= 0 || matches(grants.dlq(), namespace));
  }

  public AdminRole role(String principal) {
    if (!enabled()) {
      return AdminRole.ADMIN;
    }
    AuthOptions.Grants grants = options.principals().get(principal);
    return grants == null ? AdminRole.NONE : grants.admin();
  }

  private static boolean matches(List<String> patterns, String namespace) {
    for (String pattern : patterns) {
      if (pattern.equals("*") || pattern.equals(namespace)
          || (pattern.endsWith("*") && namespace.startsWith(pattern.substring(0, pattern.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /** One audit line: who did (or tried) what to which resource, and the outcome. */
  public void audit(String principal, String action, String resource, String outcome) {
    if (enabled()) {
      audit.info("principal={} action={} resource={} outcome={}", principal == null ? "(anonymous)" : principal, action,
          resource, outcome);
    }
  }
}

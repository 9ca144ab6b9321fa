package io.walmesh.node.admin;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.auth.AdminRole;
import io.walmesh.node.auth.Authorizer;
import io.walmesh.node.internal.Loopback;
import io.walmesh.node.internal.Text;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who may call the admin API: requests from web pages are refused, then the caller is identified
 * and its admin role (or dead-letter grant) checked. Both run before any route reads a body.
 */
final class AdminAccess {
  /** Answers an error: status and message. */
  interface ErrorAnswer {
    void answer(RoutingContext ctx, int status, String message);
  }

  private static final Pattern DLQ_PATH = Pattern.compile("/v1/namespaces/([^/]+)/dlq(/.*)?");
  private final Authorizer authorizer;
  private final boolean loopbackListener;
  private final ErrorAnswer error;

  /** Where the principal of an authorized call is kept for the rest of its handling (forwarding). */
  static final String PRINCIPAL = "walmesh.principal";
  static final String FORWARDED_PRINCIPAL = "Walmesh-Forwarded-Principal";
  static final String FORWARDED_AT = "Walmesh-Forwarded-At";
  static final String FORWARDED_PROOF = "Walmesh-Forwarded-Proof";
  private io.walmesh.node.cluster.ClusterState mesh;

  /** In a mesh with a secret, a call another node forwarded carries the caller it identified, with a proof. */
  AdminAccess mesh(io.walmesh.node.cluster.ClusterState mesh) {
    this.mesh = mesh;
    return this;
  }

  AdminAccess(Authorizer authorizer, boolean loopbackListener, ErrorAnswer error) {
    this.authorizer = authorizer;
    this.loopbackListener = loopbackListener;
    this.error = error;
  }

  /**
   * The admin API is for the CLI, curl and scripts, never for web pages: a page in a browser could
   * otherwise send "simple" cross-origin requests to a node on 127.0.0.1 (install a plugin, delete a
   * namespace), or read answers after rebinding its DNS name to 127.0.0.1. Requests a browser makes
   * on a page's behalf carry {@code Origin} or {@code Sec-Fetch-Site}; on a loopback listener, the
   * {@code Host} must also name the loopback address.
   */
  void refuseBrowsers(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    String fetchSite = ctx.request().getHeader("Sec-Fetch-Site");
    if (origin != null || (fetchSite != null && !fetchSite.equals("none"))) {
      error.answer(ctx, 403, "the admin API does not take requests from web pages (" + (origin != null ? "Origin: "
          + Text.quote(origin) : "Sec-Fetch-Site: " + Text.quote(fetchSite)) + "); use the walmesh CLI, curl or a script");
      return;
    }
    if (loopbackListener && !loopbackHost(ctx.request().authority() == null ? null : ctx.request().authority().host())) {
      error.answer(ctx, 403, "this admin API listens on a loopback address and answers only requests for localhost,"
          + " 127.0.0.1 or [::1], not " + Text.quote(String.valueOf(ctx.request().getHeader("Host"))));
      return;
    }
    ctx.next();
  }

  private static boolean loopbackHost(String host) {
    return host == null || Loopback.is(host); // no Host (HTTP/1.0): not a browser
  }

  /**
   * Identifies the caller (bearer token or TLS client certificate) and checks its admin role:
   * reads need read-only, changes need operator, plugins need admin; a namespace's dead letters are
   * also open to principals with a dlq grant on it. {@code GET /v1/health} stays open for probes.
   */
  void authorize(RoutingContext ctx) {
    if (!authorizer.enabled()) {
      ctx.next();
      return;
    }
    HttpMethod method = ctx.request().method();
    String path = ctx.request().path();
    if (method == HttpMethod.GET && path.equals("/v1/health")) {
      ctx.next();
      return;
    }
    String authorization = ctx.request().getHeader("Authorization");
    Optional<String> principal = forwardedPrincipal(ctx).or(() -> authorizer.identify(authorization, ctx.request().connection()));
    String action = method + " " + Text.truncate(path, 200);
    if (principal.isEmpty()) {
      authorizer.audit(null, action, "admin", "unauthenticated");
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      error.answer(ctx, 401, authorization != null ? "the bearer token in the Authorization header is not one this node knows"
          : "this node requires a caller identity: a TLS client certificate or an 'Authorization: Bearer <token>' header"
          + " (the CLI: --token or $WALMESH_TOKEN)");
      return;
    }
    AdminRole needed = path.startsWith("/v1/plugins") && method != HttpMethod.GET
        ? AdminRole.ADMIN
        : method == HttpMethod.GET ? AdminRole.READ_ONLY : AdminRole.OPERATOR;
    Matcher dlq = DLQ_PATH.matcher(path);
    String dlqNamespace = dlq.matches() ? dlq.group(1) : null;
    AdminRole role = authorizer.role(principal.get());
    boolean allowed = role.compareTo(needed) >= 0
        || (dlqNamespace != null && authorizer.mayUseDeadLetters(principal.get(), dlqNamespace));
    if (!allowed) {
      authorizer.audit(principal.get(), action, "admin", "denied");
      error.answer(ctx, 403, "principal " + Text.quote(principal.get()) + " (admin role " + role.label() + ") may not " + action
          + ": that needs the " + needed.label() + " role" + (dlqNamespace == null ? "" : " or a dlq grant on namespace "
          + Text.quote(dlqNamespace)) + " (auth.principals in the node config)");
      return;
    }
    if (method != HttpMethod.GET) {
      authorizer.audit(principal.get(), action, "admin", "allowed");
    }
    ctx.put(PRINCIPAL, principal.get());
    ctx.next();
  }

  /**
   * The caller another node of the mesh identified and vouched for with the mesh secret, when this
   * call was forwarded with a valid proof. A proof that does not check is audited and ignored: the
   * call then needs its own identity.
   */
  private Optional<String> forwardedPrincipal(RoutingContext ctx) {
    String principal = ctx.request().getHeader(FORWARDED_PRINCIPAL);
    if (principal == null) {
      return Optional.empty();
    }
    String at = ctx.request().getHeader(FORWARDED_AT);
    boolean valid = false;
    try {
      valid = at != null && mesh.vouched(principal, ctx.request().method().name(), ctx.request().uri(),
          Long.parseLong(at), ctx.request().getHeader(FORWARDED_PROOF));
    } catch (NumberFormatException e) {
      valid = false;
    }
    if (!valid) {
      authorizer.audit(Text.truncate(principal, 64), ctx.request().method() + " " + Text.truncate(ctx.request().path(), 200),
          "admin", "forwarded identity refused (no valid proof from a node of this mesh)");
      return Optional.empty();
    }
    return Optional.of(principal);
  }
}

package io.walmesh.node.admin;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.plugin.PluginException;
import io.walmesh.node.plugin.PluginManager;
import io.walmesh.node.internal.Text;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.runtime.NamespaceException;
import io.walmesh.node.runtime.NamespaceManager;
import io.walmesh.spi.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API. Routes:
 * <pre>
 * GET    /v1/health                              node health and namespace states
 * GET    /v1/namespaces                          list namespaces with state and counts
 * POST   /v1/namespaces                          create (body: namespace document)
 * GET    /v1/namespaces/:name                    one namespace
 * PUT    /v1/namespaces/:name[?force=true]       replace its document, applied live (a move to another store
 *                                                 is refused while entries are stored, unless forced)
 * DELETE /v1/namespaces/:name[?force=true]       delete (refused while entries are pending)
 * GET    /v1/namespaces/:name/dlq[?limit=N]      list dead letters
 * POST   /v1/namespaces/:name/dlq/replay         replay (body {"entry-ids": [...]}; none: all)
 * POST   /v1/namespaces/:name/dlq/purge          purge (body {"entry-ids": [...]}; none: all)
 * POST   /v1/namespaces/:name/replay             replay retained entries (body {"from", "to", "target", "exclude"})
 * GET    /v1/namespaces/:name/replay/:id         a replay's progress
 * GET    /metrics                                Prometheus text format
 * GET    /v1/cluster                             the mesh: nodes, shards, owners, assignment generation
 * GET    /v1/plugins                             hot-loaded plugins, broken jars, built-in types
 * POST   /v1/plugins                             install or upgrade (body: the plugin jar; ?filename=NAME names it in errors)
 * DELETE /v1/plugins/:id[?force=true]            remove (refused while namespaces use it)
 * </pre>
 * In a mesh, a request about one namespace (GET, DELETE, DLQ) reaching a node that does not run it
 * is forwarded to a node that does, so any node's admin API serves every namespace.
 *
 * <p>Why it is over 400 lines: it is the HTTP server and the namespace routes with their error
 * mapping; the other route groups live apart ({@link MeshAdmin}, {@link DeadLetterRoutes},
 * {@link PluginUploads}, {@link AdminAccess}).
 */
public final class AdminVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(AdminVerticle.class);
  /** The largest JSON request body (every route but the plugin upload). */
  public static final int MAX_BODY_BYTES = 1 << 20;
  /** How many plugin uploads may stream at once, by default; more are answered 429. */
  public static final int DEFAULT_MAX_CONCURRENT_UPLOADS = 2;
  /** Replay times: from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, in epoch ms. */
  static final long MAX_TIME_MS = java.time.Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
  /** The longest error message answered: a refusal names the field and limit, never echoes the input. */
  private static final int MAX_ERROR_CHARS = 2_000;
  private static final String BODY = "walmesh.admin.body";

  private final String host;
  private final int port;
  private final String nodeId;
  private final NamespaceManager namespaces;
  private final Metrics metrics;
  private final ClusterState mesh;
  private final PluginManager plugins;
  private HttpServer server;
  private MeshAdmin meshAdmin;
  private int maxConcurrentUploads = DEFAULT_MAX_CONCURRENT_UPLOADS;
  /** The scrape running on a worker, if any: a concurrent scrape waits for it instead of starting another. */
  private Future<String> scrapeInFlight;

  private io.walmesh.node.internal.ListenerLimits limits = io.walmesh.node.internal.ListenerLimits.adminDefaults();
  /** Whether the admin API listens on a loopback address only (then the Host header must name it). */
  private boolean loopbackListener;

  private io.walmesh.node.tls.TlsOptions tls;
  private io.walmesh.node.auth.Authorizer authorizer = io.walmesh.node.auth.Authorizer.OPEN;

  /** Who may call what (default: everyone, everything). */
  public AdminVerticle authorizer(io.walmesh.node.auth.Authorizer authorizer) {
    this.authorizer = authorizer;
    return this;
  }

  /** Serves over TLS with these files (null: plaintext). */
  public AdminVerticle tls(io.walmesh.node.tls.TlsOptions tls) {
    this.tls = tls;
    return this;
  }

  /** Reads the TLS files again: new connections use them, open ones keep theirs. */
  public io.vertx.core.Future<Boolean> reloadTls() {
    return io.walmesh.node.tls.TlsOptions.reload(tls, server);
  }

  /** The admin listener's connection cap and idle timeout (default {@link io.walmesh.node.internal.ListenerLimits#adminDefaults()}). */
  public AdminVerticle limits(io.walmesh.node.internal.ListenerLimits limits) {
    this.limits = limits;
    return this;
  }

  public AdminVerticle(String host, int port, String nodeId, NamespaceManager namespaces, Metrics metrics, ClusterState mesh,
                       PluginManager plugins) {
    this.mesh = mesh;
    this.plugins = plugins;
    this.host = host;
    this.loopbackListener = io.walmesh.node.internal.Loopback.is(host);
    this.port = port;
    this.nodeId = nodeId;
    this.namespaces = namespaces;
    this.metrics = metrics;
  }

  /** How many plugin uploads may stream at once (default {@link #DEFAULT_MAX_CONCURRENT_UPLOADS}); set before deploying. */
  public AdminVerticle maxConcurrentUploads(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max concurrent uploads must be at least 1, got " + max);
    }
    this.maxConcurrentUploads = max;
    return this;
  }

  @Override
  public void start(Promise<Void> startPromise) {
    Router router = Router.router(vertx);
    // the jar streams to a file, never into memory; so before the body handler of the JSON routes
    AdminAccess access = new AdminAccess(authorizer, loopbackListener, AdminVerticle::error).mesh(mesh);
    router.route().handler(access::refuseBrowsers); // first: before any route reads a body (the plugin upload too)
    router.route().handler(access::authorize);
    PluginUploads uploads = new PluginUploads(vertx, plugins, maxConcurrentUploads);
    router.post("/v1/plugins").handler(uploads::upload);
    router.route().handler(this::readBody);
    meshAdmin = new MeshAdmin(vertx, nodeId, namespaces, mesh, plugins, tls);
    router.get("/v1/plugins").handler(meshAdmin::listPlugins);
    router.delete("/v1/plugins/:id").handler(ctx -> respond(ctx, 200,
        plugins.remove(ctx.pathParam("id"), "true".equals(ctx.queryParams().get("force")))));
    router.route("/v1/namespaces/:name").handler(meshAdmin::forwardWhenElsewhere);
    router.route("/v1/namespaces/:name/dlq*").handler(meshAdmin::forwardWhenElsewhere);
    router.route("/v1/namespaces/:name/replay*").handler(meshAdmin::forwardWhenElsewhere);
    router.get("/v1/cluster").handler(meshAdmin::cluster);
    router.get("/v1/health").handler(this::health);
    router.get("/v1/namespaces").handler(ctx -> json(ctx, 200, new JsonObject().put("namespaces",
        new JsonArray(namespaces.list().stream().map(s -> (Object) s.toJson()).toList()))));
    router.post("/v1/namespaces").handler(ctx -> respond(ctx, 201, namespaces.create(body(ctx)).map(namespaces::redacted)));
    router.get("/v1/namespaces/:name").handler(ctx -> {
      String name = ctx.pathParam("name");
      namespaces.status(name).ifPresentOrElse(s -> {
        ctx.response().putHeader(HttpHeaders.ETAG, '"' + s.version() + '"');
        json(ctx, 200, s.toJson());
      }, () -> error(ctx, 404, "namespace " + name + " does not exist"));
    });
    router.put("/v1/namespaces/:name").handler(ctx -> respond(ctx, 200, namespaces.update(ctx.pathParam("name"),
            body(ctx), "true".equals(ctx.queryParams().get("force")), ifMatch(ctx.request().getHeader(HttpHeaders.IF_MATCH)))
        .map(config -> {
          ctx.response().putHeader(HttpHeaders.ETAG, '"' + config.version() + '"');
          return namespaces.redacted(config);
        })));
    router.delete("/v1/namespaces/:name").handler(ctx -> respond(ctx, 200,
        namespaces.delete(ctx.pathParam("name"), "true".equals(ctx.queryParams().get("force")))
            .map(warning -> {
              JsonObject deleted = new JsonObject().put("deleted", ctx.pathParam("name"));
              return warning == null ? deleted : deleted.put("warning", warning);
            })));
    new DeadLetterRoutes(namespaces).register(router);
    router.get("/metrics").handler(this::scrape);
    router.route().last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " "
        + ctx.request().path() + "; see docs/admin-api.md"));
    router.route().failureHandler(this::failure);

    vertx.createHttpServer(io.walmesh.node.tls.TlsOptions.apply(tls, limits.apply(new HttpServerOptions().setHost(host).setPort(port))))
        .connectionHandler(limits.connectionCap("admin"))
        .requestHandler(router)
        .listen()
        .onSuccess(s -> {
          server = s;
          log.info("Admin API listening on http://{}:{}/v1/", host, s.actualPort());
        })
        .<Void>mapEmpty()
        .onComplete(startPromise);
  }

  public int actualPort() {
    return server.actualPort();
  }

  /**
   * Reads the body of the JSON routes into memory, up to {@link #MAX_BODY_BYTES}, whatever its content
   * type: {@code curl -d} sends a JSON body as a form, which is never decoded as one. Over the limit,
   * 413 at once, and the connection is closed.
   */
  private void readBody(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long declared;
    try {
      declared = length == null ? -1 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      refuse(ctx, 400, "Content-Length is not a number");
      return;
    }
    boolean chunked = request.version() == HttpVersion.HTTP_2 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    if (request.isEnded() || declared == 0 || (declared < 0 && !chunked)) {
      ctx.put(BODY, Buffer.buffer());
      ctx.next();
      return;
    }
    if (declared > MAX_BODY_BYTES) {
      refuse(ctx, 413, "request body over " + MAX_BODY_BYTES + " bytes");
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue();
    }
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    request.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if (body.length() + chunk.length() > MAX_BODY_BYTES) {
        refused[0] = true;
        request.pause();
        refuse(ctx, 413, "request body over " + MAX_BODY_BYTES + " bytes");
        return;
      }
      body.appendBuffer(chunk);
    });
    request.exceptionHandler(e -> refused[0] = true); // the client went away
    request.endHandler(v -> {
      if (!refused[0]) {
        ctx.put(BODY, body);
        ctx.next();
      }
    });
    request.resume();
  }

  /** The body {@link #readBody} read; empty when there was none. */
  static Buffer bodyOf(RoutingContext ctx) {
    Buffer body = ctx.get(BODY);
    return body == null ? Buffer.buffer() : body;
  }

  /**
   * How long, and how many bytes, the node keeps reading and dropping the rest of a refused HTTP/1 request's body
   * before it closes the connection (nginx's lingering close): closing a socket with unread bytes resets it, and a
   * client still sending its body then loses the answer with it ("header parser received no bytes" instead of the
   * 413 that names the limit).
   */
  static final long LINGER_MS = 5_000;
  static final long LINGER_BYTES = 16L << 20;

  /**
   * Answers an error and then closes the connection (HTTP/1), once the rest of the body is read and dropped or after
   * {@link #LINGER_MS} / {@link #LINGER_BYTES}, or resets the stream (HTTP/2), instead of taking a body that is refused.
   */
  static void refuse(RoutingContext ctx, int status, String message) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) {
      return;
    }
    boolean http2 = ctx.request().version() == HttpVersion.HTTP_2;
    if (!http2) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", printable(message, MAX_ERROR_CHARS)).encodePrettily())
        .onComplete(ignored -> {
          if (http2) {
            response.reset(8); // CANCEL: the client stops sending the body
          } else {
            closeAfterBody(ctx);
          }
        });
  }

  /** Closes an HTTP/1 connection once the rest of the request's body has been read and dropped (see {@link #LINGER_MS}). */
  private static void closeAfterBody(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    io.vertx.core.http.HttpConnection connection = request.connection();
    if (request.isEnded()) {
      connection.close();
      return;
    }
    io.vertx.core.Vertx vertx = ctx.vertx();
    long timer = vertx.setTimer(LINGER_MS, t -> connection.close());
    boolean[] closed = {false};
    Runnable close = () -> {
      if (!closed[0]) {
        closed[0] = true;
        vertx.cancelTimer(timer);
        connection.close();
      }
    };
    long[] dropped = {0};
    try {
      request.handler(chunk -> {
        dropped[0] += chunk.length();
        if (dropped[0] > LINGER_BYTES) {
          close.run();
        }
      });
      request.endHandler(v -> close.run());
      request.exceptionHandler(e -> close.run());
      request.resume();
    } catch (IllegalStateException readAlready) { // the body was read meanwhile
      close.run();
    }
  }

  /** {@code GET /metrics}, on a worker thread; a scrape asked for while one runs gets that one's result. */
  private void scrape(RoutingContext ctx) {
    Future<String> scrape = scrapeInFlight;
    if (scrape == null) {
      Future<String> running = vertx.executeBlocking(metrics::scrape, false);
      scrape = running;
      scrapeInFlight = running;
      // may run at once when the scrape already finished: clear only our own scrape
      running.onComplete(done -> {
        if (scrapeInFlight == running) {
          scrapeInFlight = null;
        }
      });
    }
    scrape.onFailure(ctx::fail).onSuccess(text -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8").end(text));
  }

  private void health(RoutingContext ctx) {
    JsonObject states = new JsonObject();
    boolean allRunning = true;
    JsonObject down = new JsonObject();
    for (NamespaceManager.Status status : namespaces.list()) {
      states.put(status.config().name(), status.state().label());
      allRunning &= status.state().healthy();
      if (status.state() == io.walmesh.node.runtime.NamespaceState.UNAVAILABLE) {
        down.put(status.config().name(), status.error());
      }
    }
    JsonArray broken = new JsonArray();
    namespaces.brokenFiles().forEach((file, problem) -> broken.add(new JsonObject().put("file", file.toString()).put("problem", problem)));
    List<String> brokenPlugins = new ArrayList<>(namespaces.brokenPlugins());
    brokenPlugins.addAll(plugins.brokenJars());
    // DOWN: some namespace cannot store writes durably (its writes are refused with UNAVAILABLE)
    JsonObject body = new JsonObject()
        .put("status", !down.isEmpty() ? "DOWN" : allRunning && broken.isEmpty() && brokenPlugins.isEmpty() ? "UP" : "DEGRADED")
        .put("node", nodeId).put("namespaces", states);
    if (!down.isEmpty()) {
      body.put("unavailable", down);
    }
    if (!broken.isEmpty()) {
      body.put("broken-namespace-files", broken);
    }
    if (!brokenPlugins.isEmpty()) {
      body.put("broken-plugins", new JsonArray(new ArrayList<>(brokenPlugins)));
    }
    json(ctx, down.isEmpty() ? 200 : 503, body);
  }

  static JsonObject body(RoutingContext ctx) {
    try {
      Buffer raw = bodyOf(ctx);
      JsonObject json = raw.length() == 0 ? null : new JsonObject(raw);
      if (json == null) {
        throw new ConfigException("(body)", "a JSON object is required");
      }
      return json;
    } catch (DecodeException | ClassCastException e) {
      // the parser's message quotes the input: only its position is kept
      java.util.regex.Matcher at = java.util.regex.Pattern.compile("line: (\\d+), column: (\\d+)")
          .matcher(String.valueOf(e.getMessage()));
      throw new ConfigException("(body)", "not a JSON object: " + (e instanceof ClassCastException ? "valid JSON, but not an object"
          : "invalid JSON" + (at.find() ? " at line " + at.group(1) + ", column " + at.group(2) : "")));
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) { // e.g. the literal null
      throw new ConfigException("(body)", "not a JSON object");
    }
  }

  static void respond(RoutingContext ctx, int status, Future<JsonObject> result) {
    result.onSuccess(json -> json(ctx, status, json)).onFailure(ctx::fail);
  }

  private void failure(RoutingContext ctx) {
    Throwable cause = ctx.failure();
    if (cause instanceof ConfigException ce) {
      json(ctx, 400, new JsonObject().put("error", printable(ce.getMessage(), MAX_ERROR_CHARS))
          .put("field", ce.field() == null ? null : printable(ce.field(), 200)));
    } else if (cause instanceof PluginException pe) {
      error(ctx, switch (pe.kind()) {
        case BAD_JAR -> 400;
        case NOT_FOUND -> 404;
        case CONFLICT -> 409;
        case FAILED_START -> 422;
        case TOO_LARGE -> 413;
        case NOT_ALLOWED -> 403;
      }, pe.getMessage());
    } else if (cause instanceof io.walmesh.spi.backend.AppendException notStored) {
      error(ctx, 503, notStored.getMessage()); // storage refused for now (a full pending budget): retry later
    } else if (cause instanceof UnsupportedOperationException unsupported) {
      error(ctx, 409, unsupported.getMessage());
    } else if (cause instanceof java.util.NoSuchElementException missing) {
      error(ctx, 404, missing.getMessage());
    } else if (cause instanceof NamespaceException ne) {
      error(ctx, switch (ne.kind()) {
        case NOT_FOUND -> 404;
        case ALREADY_EXISTS, CONFLICT -> 409;
        case VERSION_CHANGED -> 412;
      }, ne.getMessage());
    } else if (cause == null && ctx.statusCode() == 413) {
      refuse(ctx, 413, "request body over " + MAX_BODY_BYTES + " bytes");
    } else if (cause == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      error(ctx, ctx.statusCode(), "bad request");
    } else {
      // last resort: the detail goes to the log, never to the client
      String ref = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 16);
      log.error("Admin request {} {} failed (ref {})", ctx.request().method(), printable(ctx.request().path(), 200), ref,
          cause);
      error(ctx, 500, "internal error (ref " + ref + "); the node's log has the details");
    }
  }

  /**
   * The version an {@code If-Match} header names (a namespace's {@code version}, as its GET's {@code ETag} gives it,
   * quoted or not); null without the header or for {@code *}, which any version matches.
   */
  static String ifMatch(String header) {
    if (header == null || header.isBlank() || header.trim().equals("*")) {
      return null;
    }
    String tag = header.trim();
    if (tag.startsWith("W/")) {
      tag = tag.substring(2);
    }
    return tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"") ? tag.substring(1, tag.length() - 1) : tag;
  }

  static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", printable(message, MAX_ERROR_CHARS)));
  }

  /** Text safe to answer: control characters replaced, at most {@code max} characters. */
  static String printable(String text, int max) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 3);
    for (int i = 0; i < text.length() && i < max; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) || c == '\uFFFD' || Character.isSurrogate(c) ? '?' : c);
    }
    return text.length() > max ? out.append("...").toString() : out.toString();
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encodePrettily());
    }
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    if (server == null) {
      stopPromise.complete();
    } else {
      server.close().onComplete(stopPromise);
    }
    if (meshAdmin != null) {
      meshAdmin.close();
    }
  }
}

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
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.mesh.Mesh;
import io.walmesh.node.plugin.PluginException;
import io.walmesh.node.plugin.PluginManager;
import io.walmesh.node.mesh.MeshAssignment;
import io.walmesh.node.internal.Text;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.runtime.NamespaceException;
import io.walmesh.node.runtime.NamespaceManager;
import io.walmesh.protocol.v1.EntryRecord;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.backend.ReplayStatus;
import io.walmesh.spi.config.ConfigException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API. Routes:
 * <pre>
 * GET    /v1/health                              node health and namespace states
 * GET    /v1/namespaces                          list namespaces with state and counts
 * POST   /v1/namespaces                          create (body: namespace document)
 * GET    /v1/namespaces/:name                    one namespace
 * PUT    /v1/namespaces/:name                    replace its document, applied live
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
  private static final int DEFAULT_DLQ_LIMIT = 100;
  private static final String FORWARDED = "Walmesh-Forwarded-By";
  private static final String BODY = "walmesh.admin.body";

  private final String host;
  private final int port;
  private final String nodeId;
  private final NamespaceManager namespaces;
  private final Metrics metrics;
  private final Mesh mesh;
  private final PluginManager plugins;
  private HttpServer server;
  private HttpClient forwarder;
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

  public AdminVerticle(String host, int port, String nodeId, NamespaceManager namespaces, Metrics metrics, Mesh mesh,
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
    router.get("/v1/plugins").handler(this::listPlugins);
    router.delete("/v1/plugins/:id").handler(ctx -> respond(ctx, 200,
        plugins.remove(ctx.pathParam("id"), "true".equals(ctx.queryParams().get("force")))));
    // calls forwarded to another node's admin API: over TLS when this node serves TLS, showing its own certificate
    forwarder = tls == null ? vertx.createHttpClient() : vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setSsl(true).setKeyCertOptions(tls.sslOptions().getKeyCertOptions()).setTrustOptions(tls.sslOptions().getTrustOptions()));
    router.route("/v1/namespaces/:name").handler(this::forwardWhenElsewhere);
    router.route("/v1/namespaces/:name/dlq*").handler(this::forwardWhenElsewhere);
    router.route("/v1/namespaces/:name/replay*").handler(this::forwardWhenElsewhere);
    router.get("/v1/cluster").handler(this::cluster);
    router.get("/v1/health").handler(this::health);
    router.get("/v1/namespaces").handler(ctx -> json(ctx, 200, new JsonObject().put("namespaces",
        new JsonArray(namespaces.list().stream().map(s -> (Object) s.toJson()).toList()))));
    router.post("/v1/namespaces").handler(ctx -> respond(ctx, 201, namespaces.create(body(ctx)).map(namespaces::redacted)));
    router.get("/v1/namespaces/:name").handler(ctx -> {
      String name = ctx.pathParam("name");
      namespaces.status(name).ifPresentOrElse(s -> json(ctx, 200, s.toJson()),
          () -> error(ctx, 404, "namespace " + name + " does not exist"));
    });
    router.put("/v1/namespaces/:name").handler(ctx ->
        respond(ctx, 200, namespaces.update(ctx.pathParam("name"), body(ctx)).map(namespaces::redacted)));
    router.delete("/v1/namespaces/:name").handler(ctx -> respond(ctx, 200,
        namespaces.delete(ctx.pathParam("name"), "true".equals(ctx.queryParams().get("force")))
            .map(v -> new JsonObject().put("deleted", ctx.pathParam("name")))));
    router.get("/v1/namespaces/:name/dlq").handler(this::listDeadLetters);
    router.post("/v1/namespaces/:name/dlq/replay").handler(ctx -> dlqAction(ctx, "replayed",
        ids -> namespaces.backend(ctx.pathParam("name")).replayDeadLetters(ids)));
    router.post("/v1/namespaces/:name/dlq/purge").handler(ctx -> dlqAction(ctx, "purged",
        ids -> namespaces.backend(ctx.pathParam("name")).purgeDeadLetters(ids)));
    router.post("/v1/namespaces/:name/replay").handler(this::startReplay);
    router.get("/v1/namespaces/:name/replay/:id").handler(ctx -> respond(ctx, 200,
        replayable(ctx.pathParam("name")).compose(b -> b.replayStatus(ctx.pathParam("id"))).map(AdminVerticle::replayJson)));
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
  private static Buffer bodyOf(RoutingContext ctx) {
    Buffer body = ctx.get(BODY);
    return body == null ? Buffer.buffer() : body;
  }

  /**
   * Answers an error and then closes the connection (HTTP/1) or resets the stream (HTTP/2) instead
   * of reading the rest of a body that is refused.
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
            ctx.request().connection().close();
          }
        });
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

  /** The namespace's backend when it can replay delivered entries; a 409 saying why not otherwise. */
  private Future<io.walmesh.spi.backend.ReplayableBackend> replayable(String name) {
    try {
      io.walmesh.spi.backend.Backend backend = namespaces.backend(name);
      if (backend instanceof io.walmesh.spi.backend.ReplayableBackend replayable) {
        return Future.succeededFuture(replayable);
      }
      String type = namespaces.status(name).map(s -> s.config().backendType()).orElse("?");
      return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
          + " is on the " + type + " backend, which keeps no delivered entries, so it cannot replay them"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** In a mesh: a request about a namespace this node does not run goes to a node that runs it. */
  private void forwardWhenElsewhere(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    HttpMethod method = ctx.request().method();
    boolean aboutRuntime = method == HttpMethod.GET || method == HttpMethod.DELETE || ctx.request().path().contains("/dlq")
        || ctx.request().path().contains("/replay");
    if (mesh == null || !aboutRuntime || ctx.request().getHeader(FORWARDED) != null || !namespaces.exists(name)
        || namespaces.runsHere(name)) {
      ctx.next();
      return;
    }
    java.util.Optional<String> runner = namespaces.runner(name);
    if (runner.isEmpty() || runner.get().equals(nodeId)) {
      if (ctx.request().path().contains("/dlq") || ctx.request().path().contains("/replay")) {
        error(ctx, 503, "no node runs namespace " + name + " right now: " + namespaces.whyUnavailable(name));
      } else {
        ctx.next();
      }
      return;
    }
    mesh.nodeInfos().compose(infos -> {
      JsonObject info = infos.get(runner.get());
      if (info == null || info.getString("admin") == null) {
        return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
            + " runs on node " + runner.get() + ", whose admin address is not known yet; retry shortly"));
      }
      io.vertx.core.http.RequestOptions forwarded = toNode(info, method, ctx.request().uri()).putHeader(FORWARDED, nodeId);
      String principal = ctx.get(AdminAccess.PRINCIPAL);
      long at = System.currentTimeMillis();
      String proof = principal == null ? null : mesh.vouch(principal, method.name(), ctx.request().uri(), at);
      if (proof != null) {
        // the caller as this node identified it (token or client certificate), vouched for with the mesh secret
        forwarded.putHeader(AdminAccess.FORWARDED_PRINCIPAL, principal).putHeader(AdminAccess.FORWARDED_AT, Long.toString(at))
            .putHeader(AdminAccess.FORWARDED_PROOF, proof);
      } else if (ctx.request().getHeader("Authorization") != null) {
        forwarded.putHeader("Authorization", ctx.request().getHeader("Authorization")); // without a secret: the token goes along
      }
      return forwarder.request(forwarded
              .putHeader("Content-Type", "application/json"))
          // the body is asked for in the response's own callback (see HttpTarget: later, its end can pass unseen)
          .compose(request -> request.send(bodyOf(ctx)).compose(response -> response.body().map(body -> {
            ctx.response().setStatusCode(response.statusCode()).putHeader("Content-Type", "application/json")
                .putHeader(FORWARDED, runner.get()).end(body);
            return null;
          })));
    }).onFailure(ctx::fail);
  }

  /** A request to another node's admin API, at the address it published in the mesh. */
  private static RequestOptions toNode(JsonObject nodeInfo, HttpMethod method, String uri) {
    String[] hostPort = nodeInfo.getString("admin").split(":");
    return new RequestOptions().setMethod(method).setHost(hostPort[0]).setPort(Integer.parseInt(hostPort[1])).setURI(uri);
  }

  private void cluster(RoutingContext ctx) {
    if (mesh == null) {
      json(ctx, 200, new JsonObject().put("mode", "standalone").put("node", nodeId)
          .put("nodes", new JsonArray().add(new JsonObject().put("id", nodeId).put("alive", true))));
      return;
    }
    mesh.nodeInfos().onFailure(ctx::fail).onSuccess(infos -> {
      MeshAssignment assignment = mesh.assignment();
      List<String> live = mesh.liveNodes();
      JsonArray nodes = new JsonArray();
      java.util.Set<String> ids = new java.util.TreeSet<>(live);
      ids.addAll(infos.keySet());
      for (String id : ids) {
        JsonObject info = infos.getOrDefault(id, new JsonObject().put("id", id)).copy();
        info.put("alive", live.contains(id)).put("leader", !live.isEmpty() && live.get(0).equals(id))
            .put("producer-shards", new JsonArray(new ArrayList<>(assignment.producers().shardsOf(id))))
            .put("consumer-shards", new JsonArray(new ArrayList<>(assignment.consumers().shardsOf(id))));
        nodes.add(info);
      }
      java.util.Map<String, JsonObject> shards = new java.util.TreeMap<>();
      JsonArray pinned = new JsonArray();
      for (NamespaceManager.Status status : namespaces.list()) {
        var config = status.config();
        if (namespaces.pinnedToNode(config)) {
          pinned.add(new JsonObject().put("namespace", config.name()).put("home-node", config.homeNode())
              .put("alive", live.contains(config.homeNode())));
          continue;
        }
        shards.computeIfAbsent(config.shard(), s -> new JsonObject().put("shard", s)
                .put("producers", new JsonArray(new ArrayList<>(assignment.producers().ownersOf(s))))
                .put("consumers", new JsonArray(new ArrayList<>(assignment.consumers().ownersOf(s))))
                .put("namespaces", new JsonArray()))
            .getJsonArray("namespaces").add(config.name());
      }
      json(ctx, 200, new JsonObject().put("mode", "mesh").put("cluster-name", mesh.options().name()).put("node", nodeId)
          .put("generation", assignment.generation()).put("leader", live.isEmpty() ? null : live.get(0))
          .put("nodes", nodes).put("shards", new JsonArray(new ArrayList<>(shards.values())))
          .put("pinned-namespaces", pinned).put("security", mesh.security()));
    });
  }

  /** This node's plugins; in a mesh, also every live node's, so a user sees what is loaded where. */
  private void listPlugins(RoutingContext ctx) {
    JsonObject local = plugins.toJson().put("node", nodeId);
    if (mesh == null || "true".equals(ctx.queryParams().get("local"))) {
      json(ctx, 200, local);
      return;
    }
    mesh.nodeInfos().onFailure(ctx::fail).onSuccess(infos -> {
      JsonObject byNode = new JsonObject().put(nodeId, local);
      List<Future<Void>> calls = new ArrayList<>();
      for (String id : mesh.liveNodes()) {
        JsonObject info = infos.get(id);
        if (id.equals(nodeId) || info == null || info.getString("admin") == null) {
          continue;
        }
        calls.add(forwarder.request(toNode(info, HttpMethod.GET, "/v1/plugins?local=true").setTimeout(5_000))
            .compose(request -> request.send().compose(response -> response.body()))
            .map(body -> {
              byNode.put(id, new JsonObject(body));
              return (Void) null;
            })
            .recover(e -> {
              byNode.put(id, new JsonObject().put("error", "node did not answer: " + e.getMessage()));
              return Future.succeededFuture();
            }));
      }
      Future.join(calls).onComplete(done -> json(ctx, 200, local.copy().put("nodes", byNode)));
    });
  }

  private void health(RoutingContext ctx) {
    JsonObject states = new JsonObject();
    boolean allRunning = true;
    JsonObject down = new JsonObject();
    for (NamespaceManager.Status status : namespaces.list()) {
      states.put(status.config().name(), status.state());
      allRunning &= status.state().equals("running") || status.state().equals("elsewhere");
      if (status.state().equals(NamespaceManager.UNAVAILABLE)) {
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

  private void listDeadLetters(RoutingContext ctx) {
    int limit;
    try {
      limit = Integer.parseInt(ctx.queryParams().get("limit") == null ? String.valueOf(DEFAULT_DLQ_LIMIT) : ctx.queryParams().get("limit"));
      if (limit < 1 || limit > 10_000) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "limit must be an integer from 1 to 10000");
      return;
    }
    respond(ctx, 200, namespaces.backend(ctx.pathParam("name")).listDeadLetters(limit).map(records -> {
      JsonArray entries = new JsonArray();
      records.forEach(r -> entries.add(deadLetterJson(r)));
      return new JsonObject().put("namespace", ctx.pathParam("name")).put("entries", entries);
    }));
  }

  private static JsonObject deadLetterJson(EntryRecord r) {
    JsonObject json = new JsonObject()
        .put("entry-id", r.getEntryId())
        .put("key", r.getKey())
        .put("target", r.getTarget())
        .put("attempts", r.getAttempts())
        .put("last-error", r.getLastError())
        .put("write-time-ms", r.getWriteTimeMs())
        .put("dead-at-ms", r.getDeadAtMs())
        .put("headers", new JsonObject(new java.util.HashMap<>(r.getHeadersMap())))
        .put("delivered-targets", new JsonArray(new ArrayList<>(r.getDeliveredTargetsList())))
        .put("payload-base64", Base64.getEncoder().encodeToString(r.getPayload().toByteArray()));
    try {
      json.put("payload-utf8", r.getPayload().toStringUtf8());
    } catch (RuntimeException ignored) {
      // not text
    }
    return json;
  }

  private void dlqAction(RoutingContext ctx, String verb, Function<List<String>, Future<Integer>> action) {
    JsonObject body = bodyOf(ctx).length() == 0 ? new JsonObject() : body(ctx);
    List<String> ids = new ArrayList<>();
    Object raw = body.getValue("entry-ids");
    if (raw != null) {
      if (!(raw instanceof JsonArray array) || array.stream().anyMatch(v -> !(v instanceof String))) {
        throw new ConfigException("entry-ids", "must be an array of entry id strings");
      }
      array.forEach(v -> ids.add((String) v));
    }
    respond(ctx, 200, action.apply(ids).map(n -> new JsonObject().put("namespace", ctx.pathParam("name")).put(verb, n)));
  }

  /** Starts a replay: {"from": time, "to": time, "target": name, "exclude": [entry ids]}; times ISO-8601 or epoch ms. */
  private void startReplay(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = body(ctx);
    for (String field : body.fieldNames()) {
      if (!java.util.Set.of("from", "to", "target", "exclude").contains(field)) {
        throw new ConfigException(field, "unknown field; a replay takes from, to, target and exclude");
      }
    }
    if (!body.containsKey("from")) {
      throw new ConfigException("from", "is required: the first write time to replay (ISO-8601 or epoch ms)");
    }
    long from = instant(body.getValue("from"), "from");
    long to = body.containsKey("to") ? instant(body.getValue("to"), "to") : System.currentTimeMillis() + 1;
    if (to <= from) {
      throw new ConfigException("to", "must be after from");
    }
    String target = body.getValue("target") == null ? "" : String.valueOf(body.getValue("target"));
    if (!target.isEmpty() && namespaces.status(name).map(s -> s.config().target(target).isEmpty()).orElse(false)) {
      throw new ConfigException("target", "namespace " + name + " has no target \"" + target + "\"");
    }
    java.util.Set<String> exclude = new java.util.HashSet<>();
    Object raw = body.getValue("exclude");
    if (raw != null) {
      if (!(raw instanceof JsonArray array) || array.stream().anyMatch(v -> !(v instanceof String))) {
        throw new ConfigException("exclude", "must be an array of entry id strings");
      }
      array.forEach(v -> exclude.add((String) v));
    }
    boolean targetIsDefault = !target.isEmpty() && namespaces.status(name).map(s -> s.config().targetsFor("").stream()
        .anyMatch(t -> t.name().equals(target))).orElse(false);
    ReplayRequest request = new ReplayRequest(from, to, target,
        targetIsDefault, exclude);
    respond(ctx, 202, replayable(name).compose(backend -> backend.replay(request)).map(status -> {
      log.info("Namespace {}: replay {} queued {} entries written in [{}, {}) for {}, {} excluded", name, status.id(),
          status.queued(), java.time.Instant.ofEpochMilli(from), java.time.Instant.ofEpochMilli(to),
          target.isEmpty() ? "their targets" : "target " + target, status.excluded());
      return replayJson(status);
    }));
  }

  /** A replay time: an ISO-8601 instant or epoch ms, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
  static long instant(Object value, String field) {
    String range = "must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (epoch milliseconds 0 to "
        + MAX_TIME_MS + ")";
    if (value instanceof Number n) {
      java.math.BigDecimal exact;
      try {
        exact = new java.math.BigDecimal(n.toString());
      } catch (NumberFormatException e) { // NaN, Infinity
        throw new ConfigException(field, "must be epoch milliseconds (an integer) or an ISO-8601 instant");
      }
      if (exact.signum() < 0 || exact.compareTo(java.math.BigDecimal.valueOf(MAX_TIME_MS)) > 0) {
        throw new ConfigException(field, range);
      }
      if (exact.stripTrailingZeros().scale() > 0) {
        throw new ConfigException(field, "must be whole epoch milliseconds, not a fraction");
      }
      return exact.longValueExact();
    }
    if (value instanceof String text) {
      java.time.Instant instant;
      try {
        instant = java.time.Instant.parse(text);
      } catch (java.time.format.DateTimeParseException e) {
        throw new ConfigException(field, "must be an ISO-8601 instant like 2026-11-30T10:00:00Z or epoch milliseconds,"
            + " (got a string of " + text.length() + " characters that is neither)");
      }
      if (instant.isBefore(java.time.Instant.EPOCH) || instant.isAfter(java.time.Instant.ofEpochMilli(MAX_TIME_MS))) {
        throw new ConfigException(field, range);
      }
      return instant.toEpochMilli();
    }
    throw new ConfigException(field, "must be an ISO-8601 instant or epoch milliseconds, got a JSON "
        + (value == null ? "null" : value instanceof JsonObject ? "object" : value instanceof JsonArray ? "array"
        : value instanceof Boolean ? "boolean" : "value"));
  }

  private static JsonObject replayJson(ReplayStatus status) {
    return new JsonObject().put("replay-id", status.id()).put("queued", status.queued())
        .put("excluded", status.excluded()).put("remaining", status.remaining())
        .put("settled", status.queued() - status.remaining())
        .put("dead-lettered", status.deadLettered() < 0 ? null : status.deadLettered()).put("done", status.done());
  }

  private static JsonObject body(RoutingContext ctx) {
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

  private void respond(RoutingContext ctx, int status, Future<JsonObject> result) {
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
    } else if (cause instanceof UnsupportedOperationException unsupported) {
      error(ctx, 409, unsupported.getMessage());
    } else if (cause instanceof java.util.NoSuchElementException missing) {
      error(ctx, 404, missing.getMessage());
    } else if (cause instanceof NamespaceException ne) {
      error(ctx, switch (ne.kind()) {
        case NOT_FOUND -> 404;
        case ALREADY_EXISTS, CONFLICT -> 409;
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
    if (forwarder != null) {
      forwarder.close();
    }
  }
}

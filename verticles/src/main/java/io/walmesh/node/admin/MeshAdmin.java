package io.walmesh.node.admin;

import static io.walmesh.node.admin.AdminVerticle.bodyOf;
import static io.walmesh.node.admin.AdminVerticle.error;
import static io.walmesh.node.admin.AdminVerticle.json;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.plugin.PluginManager;
import io.walmesh.node.runtime.NamespaceException;
import io.walmesh.node.runtime.NamespaceManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin API's mesh side: forwarding a call about a namespace to the node that runs it (with
 * the caller's identity vouched for), the cluster view, and the plugins of every node. A
 * standalone node is a mesh of one: the same routes answer for it alone.
 */
final class MeshAdmin {
  static final String FORWARDED = "Walmesh-Forwarded-By";
  private final String nodeId;
  private final NamespaceManager namespaces;
  private final ClusterState mesh;
  private final PluginManager plugins;
  /** Calls forwarded to another node's admin API: over TLS when this node serves TLS, showing its own certificate. */
  private final HttpClient forwarder;

  MeshAdmin(Vertx vertx, String nodeId, NamespaceManager namespaces, ClusterState mesh, PluginManager plugins,
            io.walmesh.node.tls.TlsOptions tls) {
    this.nodeId = nodeId;
    this.namespaces = namespaces;
    this.mesh = mesh;
    this.plugins = plugins;
    this.forwarder = tls == null ? vertx.createHttpClient() : vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setSsl(true).setKeyCertOptions(tls.sslOptions().getKeyCertOptions()).setTrustOptions(tls.sslOptions().getTrustOptions()));
  }

  /**
   * A request about a namespace this node does not run goes to a node of the mesh that runs it; a delete goes to the
   * node that takes its writes, the only one that can stop them before it counts the entries.
   */
  void forwardWhenElsewhere(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    HttpMethod method = ctx.request().method();
    boolean delete = method == HttpMethod.DELETE;
    boolean aboutRuntime = method == HttpMethod.GET || delete || ctx.request().path().contains("/dlq")
        || ctx.request().path().contains("/replay");
    if (!aboutRuntime || ctx.request().getHeader(FORWARDED) != null || !namespaces.exists(name)
        || (delete ? namespaces.takesWritesHere(name) : namespaces.runsHere(name))) {
      ctx.next();
      return;
    }
    java.util.Optional<String> runner = delete ? namespaces.writer(name).or(() -> namespaces.runner(name))
        : namespaces.runner(name);
    if (runner.isPresent() && runner.get().equals(nodeId)) {
      ctx.next(); // this node should run it: it answers why it does not
      return;
    }
    if (runner.isEmpty()) {
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
      return forwarder.request(forwarded.setTimeout(FORWARD_TIMEOUT_MS)
              .putHeader("Content-Type", "application/json"))
          // the body is asked for in the response's own callback (see HttpTarget: later, its end can pass unseen)
          .compose(request -> request.send(bodyOf(ctx)).compose(response -> response.body().map(body -> {
            String etag = response.getHeader("ETag");
            if (etag != null) {
              ctx.response().putHeader("ETag", etag);
            }
            ctx.response().setStatusCode(response.statusCode()).putHeader("Content-Type", "application/json")
                .putHeader(FORWARDED, runner.get()).end(body);
            return null;
          })))
          .recover(e -> Future.failedFuture(new ForwardFailed(runner.get(), info.getString("admin"), e)));
    }).onFailure(e -> {
      if (e instanceof ForwardFailed failed) {
        error(ctx, 502, failed.getMessage());
      } else {
        ctx.fail(e);
      }
    });
  }

  /**
   * How long a forwarded call may take: above what the slowest call about a namespace waits for (a delete's wait for a
   * Kafka consumer group to empty, 30 s, after a drain of up to 30 s).
   */
  static final long FORWARD_TIMEOUT_MS = 90_000;

  /** A call forwarded to another node that got no answer: the node and why, for a 502. */
  private static final class ForwardFailed extends RuntimeException {
    ForwardFailed(String node, String address, Throwable cause) {
      super("the call was forwarded to node " + node + " (admin " + address + "), which runs the namespace, and got no"
          + " answer: " + cause.getMessage() + "; retry, or call that node directly", cause, false, false);
    }
  }

  /** A request to another node's admin API, at the address it published in the mesh. */
  private static RequestOptions toNode(JsonObject nodeInfo, HttpMethod method, String uri) {
    String[] hostPort = nodeInfo.getString("admin").split(":");
    return new RequestOptions().setMethod(method).setHost(hostPort[0]).setPort(Integer.parseInt(hostPort[1])).setURI(uri);
  }

  /** The mesh as this node sees it: its nodes, who leads, each shard's owners, pinned namespaces; a standalone node is a mesh of one. */
  void cluster(RoutingContext ctx) {
    mesh.nodeInfos().onFailure(ctx::fail).onSuccess(infos -> {
      List<String> live = mesh.liveNodes();
      java.util.Map<String, JsonObject> shards = new java.util.TreeMap<>();
      JsonArray pinned = new JsonArray();
      for (NamespaceManager.Status status : namespaces.list()) {
        var config = status.config();
        if (namespaces.pinnedToNode(config)) {
          pinned.add(new JsonObject().put("namespace", config.name()).put("home-node", config.homeNode())
              .put("alive", mesh.isHome(config.homeNode()) || live.contains(config.homeNode())));
          continue;
        }
        shards.computeIfAbsent(config.shard(), s -> new JsonObject().put("shard", s)
                .put("producers", new JsonArray(new ArrayList<>(mesh.producersOf(s))))
                .put("consumers", new JsonArray(new ArrayList<>(mesh.consumersOf(s))))
                .put("namespaces", new JsonArray()))
            .getJsonArray("namespaces").add(config.name());
      }
      JsonArray nodes = new JsonArray();
      java.util.Set<String> ids = new java.util.TreeSet<>(live);
      ids.addAll(infos.keySet());
      for (String id : ids) {
        JsonObject info = infos.getOrDefault(id, new JsonObject().put("id", id)).copy();
        info.put("alive", live.contains(id)).put("leader", !live.isEmpty() && live.get(0).equals(id))
            .put("producer-shards", new JsonArray(shards.keySet().stream().filter(s -> mesh.producersOf(s).contains(id)).toList()))
            .put("consumer-shards", new JsonArray(shards.keySet().stream().filter(s -> mesh.consumersOf(s).contains(id)).toList()));
        nodes.add(info);
      }
      JsonObject view = new JsonObject().put("mode", mesh.mode()).put("cluster-name", mesh.name()).put("node", nodeId)
          .put("generation", mesh.generation()).put("leader", live.isEmpty() ? null : live.get(0))
          .put("nodes", nodes).put("shards", new JsonArray(new ArrayList<>(shards.values())))
          .put("pinned-namespaces", pinned);
      JsonObject security = mesh.security();
      json(ctx, 200, security == null ? view : view.put("security", security));
    });
  }

  /** This node's plugins, and every live node's, so a user sees what is loaded where. */
  void listPlugins(RoutingContext ctx) {
    JsonObject local = plugins.toJson().put("node", nodeId);
    if ("true".equals(ctx.queryParams().get("local"))) {
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

  Future<Void> close() {
    return forwarder.close();
  }
}

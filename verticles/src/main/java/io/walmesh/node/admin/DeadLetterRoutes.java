package io.walmesh.node.admin;

import static io.walmesh.node.admin.AdminVerticle.body;
import static io.walmesh.node.admin.AdminVerticle.bodyOf;
import static io.walmesh.node.admin.AdminVerticle.error;
import static io.walmesh.node.admin.AdminVerticle.respond;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.walmesh.node.runtime.NamespaceException;
import io.walmesh.node.runtime.NamespaceManager;
import io.walmesh.spi.entry.EntryRecord;
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
 * The routes about a namespace's stored entries on the node that runs it: its dead letters (list,
 * replay, purge) and the replay of delivered entries a backend retains ({@code ReplayableBackend}).
 */
final class DeadLetterRoutes {
  private static final Logger log = LoggerFactory.getLogger(AdminVerticle.class);
  private static final int DEFAULT_DLQ_LIMIT = 100;
  private final NamespaceManager namespaces;

  DeadLetterRoutes(NamespaceManager namespaces) {
    this.namespaces = namespaces;
  }

  void register(Router router) {
    router.get("/v1/namespaces/:name/dlq").handler(this::listDeadLetters);
    router.post("/v1/namespaces/:name/dlq/replay").handler(ctx -> dlqAction(ctx, "replayed",
        ids -> deadLetters(ctx.pathParam("name")).compose(b -> b.replayDeadLetters(ids))));
    router.post("/v1/namespaces/:name/dlq/purge").handler(ctx -> dlqAction(ctx, "purged",
        ids -> deadLetters(ctx.pathParam("name")).compose(b -> b.purgeDeadLetters(ids))));
    router.post("/v1/namespaces/:name/replay").handler(this::startReplay);
    router.get("/v1/namespaces/:name/replay/:id").handler(ctx -> respond(ctx, 200,
        replayable(ctx.pathParam("name")).compose(b -> b.replayStatus(ctx.pathParam("id"))).map(DeadLetterRoutes::replayJson)));
  }

  /** The namespace's backend when it can replay delivered entries; a 409 saying why not otherwise. */
  private Future<io.walmesh.spi.backend.ReplayableBackend> replayable(String name) {
    return capable(name, io.walmesh.spi.backend.ReplayableBackend.class, "keeps no delivered entries, so it cannot replay them");
  }

  /** The namespace's backend when its dead letters can be browsed; a 409 saying why not otherwise. */
  private Future<io.walmesh.spi.backend.DeadLetterBackend> deadLetters(String name) {
    return capable(name, io.walmesh.spi.backend.DeadLetterBackend.class,
        "keeps its dead letters where walmesh cannot list, replay or purge them; use the backend's own tools");
  }

  /** The running backend of a namespace as a capability it declares (an SPI interface), or a 409 naming what it lacks. */
  private <T> Future<T> capable(String name, Class<T> capability, String lacks) {
    try {
      io.walmesh.spi.backend.Backend backend = namespaces.backend(name);
      if (capability.isInstance(backend)) {
        return Future.succeededFuture(capability.cast(backend));
      }
      String type = namespaces.status(name).map(s -> s.config().backendType()).orElse("?");
      return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
          + " is on the " + type + " backend, which " + lacks));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  void listDeadLetters(RoutingContext ctx) {
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
    respond(ctx, 200, deadLetters(ctx.pathParam("name")).compose(b -> b.listDeadLetters(limit).map(records -> {
      JsonArray entries = new JsonArray();
      records.forEach(r -> entries.add(deadLetterJson(r)));
      JsonObject answer = new JsonObject().put("namespace", ctx.pathParam("name")).put("entries", entries);
      if (records.size() < limit && b instanceof io.walmesh.spi.backend.CountingBackend counting
          && counting.stats().deadLetters() > records.size()) {
        answer.put("more", counting.stats().deadLetters() - records.size()).put("note", "the DLQ holds more than"
            + " this listing: a listing holds at most " + io.walmesh.spi.backend.DeadLetterBackend.MAX_LIST_BYTES
            + " bytes of payloads; replay or purge the listed entries by entry id to list the ones after them");
      }
      return answer;
    })));
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
        + AdminVerticle.MAX_TIME_MS + ")";
    if (value instanceof Number n) {
      java.math.BigDecimal exact;
      try {
        exact = new java.math.BigDecimal(n.toString());
      } catch (NumberFormatException e) { // NaN, Infinity
        throw new ConfigException(field, "must be epoch milliseconds (an integer) or an ISO-8601 instant");
      }
      if (exact.signum() < 0 || exact.compareTo(java.math.BigDecimal.valueOf(AdminVerticle.MAX_TIME_MS)) > 0) {
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
      if (instant.isBefore(java.time.Instant.EPOCH) || instant.isAfter(java.time.Instant.ofEpochMilli(AdminVerticle.MAX_TIME_MS))) {
        throw new ConfigException(field, range);
      }
      return instant.toEpochMilli();
    }
    throw new ConfigException(field, "must be an ISO-8601 instant or epoch milliseconds, got a JSON "
        + (value == null ? "null" : value instanceof JsonObject ? "object" : value instanceof JsonArray ? "array"
        : value instanceof Boolean ? "boolean" : "value"));
  }

  static JsonObject replayJson(ReplayStatus status) {
    return new JsonObject().put("replay-id", status.id()).put("queued", status.queued())
        .put("excluded", status.excluded()).put("remaining", status.remaining())
        .put("settled", status.queued() - status.remaining())
        .put("dead-lettered", status.deadLettered() < 0 ? null : status.deadLettered()).put("done", status.done());
  }
}

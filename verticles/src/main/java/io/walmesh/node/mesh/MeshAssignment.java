package io.walmesh.node.mesh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.shard.Assignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the mesh's leader publishes: which nodes run the producers and which the consumers of each
 * shard, and a generation that grows by one on every change.
 */
public record MeshAssignment(long generation, String leader, Assignment producers, Assignment consumers) {
  public static final MeshAssignment EMPTY = new MeshAssignment(0, "", Assignment.EMPTY, Assignment.EMPTY);

  public JsonObject toJson() {
    return new JsonObject().put("generation", generation).put("leader", leader)
        .put("producers", owners(producers)).put("producers-generation", producers.generation())
        .put("consumers", owners(consumers)).put("consumers-generation", consumers.generation());
  }

  private static JsonObject owners(Assignment assignment) {
    JsonObject json = new JsonObject();
    assignment.owners().forEach((shard, ids) -> json.put(shard, new JsonArray(new ArrayList<>(ids))));
    return json;
  }

  public static MeshAssignment fromJson(JsonObject json) {
    return new MeshAssignment(json.getLong("generation", 0L), json.getString("leader", ""),
        assignment(json.getJsonObject("producers"), json.getLong("producers-generation", 0L)),
        assignment(json.getJsonObject("consumers"), json.getLong("consumers-generation", 0L)));
  }

  private static Assignment assignment(JsonObject owners, long generation) {
    Map<String, List<String>> map = new TreeMap<>();
    if (owners != null) {
      for (String shard : owners.fieldNames()) {
        List<String> ids = new ArrayList<>();
        owners.getJsonArray(shard).forEach(id -> ids.add((String) id));
        map.put(shard, ids);
      }
    }
    return new Assignment(generation, map);
  }
}

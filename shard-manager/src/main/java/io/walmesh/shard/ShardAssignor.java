package io.walmesh.shard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Assigns shards to members. Pure and deterministic: the same inputs give the same output, so any
 * member can compute it and tests need no cluster. It is sticky and incremental:
 * <ol>
 *   <li>an owner that is still a member and may host the shard keeps it;</li>
 *   <li>a missing replica goes to the least-loaded eligible member;</li>
 *   <li>then replicas move one at a time from the most- to the least-loaded eligible member while
 *       their loads differ by more than one — so a new member receives about its share and
 *       nothing else moves;</li>
 *   <li>the generation grows by one exactly when some shard's owners changed.</li>
 * </ol>
 */
public final class ShardAssignor {
  private ShardAssignor() {
  }

  public static Assignment assign(List<Member> members, List<ShardSpec> shards, Assignment previous) {
    Map<String, Member> byId = new TreeMap<>();
    members.forEach(m -> byId.put(m.id(), m));
    Map<String, Integer> load = new HashMap<>();
    byId.keySet().forEach(id -> load.put(id, 0));
    Map<String, List<String>> owners = new TreeMap<>();
    List<ShardSpec> sorted = shards.stream().sorted(Comparator.comparing(ShardSpec::name)).toList();

    for (ShardSpec shard : sorted) {
      List<String> kept = new ArrayList<>();
      for (String id : previous.ownersOf(shard.name())) {
        Member member = byId.get(id);
        if (member != null && member.mayHost(shard.name()) && kept.size() < shard.replicas()) {
          kept.add(id);
          load.merge(id, 1, Integer::sum);
        }
      }
      owners.put(shard.name(), kept);
    }
    for (ShardSpec shard : sorted) {
      List<String> current = owners.get(shard.name());
      while (current.size() < shard.replicas()) {
        Optional<String> pick = leastLoaded(byId, load, shard.name(), current);
        if (pick.isEmpty()) {
          break;
        }
        current.add(pick.get());
        load.merge(pick.get(), 1, Integer::sum);
      }
    }
    rebalance(byId, load, owners);

    Map<String, List<String>> result = new TreeMap<>();
    owners.forEach((shard, ids) -> result.put(shard, ids.stream().sorted().toList()));
    boolean changed = !result.equals(normalized(previous));
    return new Assignment(changed ? previous.generation() + 1 : previous.generation(), result);
  }

  private static void rebalance(Map<String, Member> byId, Map<String, Integer> load, Map<String, List<String>> owners) {
    boolean moved = true;
    while (moved) {
      moved = false;
      List<String> byLoadDesc = byId.keySet().stream()
          .sorted(Comparator.<String>comparingInt(load::get).reversed().thenComparing(Comparator.naturalOrder())).toList();
      outer:
      for (String from : byLoadDesc) {
        for (Map.Entry<String, List<String>> entry : owners.entrySet()) {
          if (!entry.getValue().contains(from)) {
            continue;
          }
          Optional<String> to = leastLoaded(byId, load, entry.getKey(), entry.getValue());
          if (to.isPresent() && load.get(from) - load.get(to.get()) > 1) {
            entry.getValue().set(entry.getValue().indexOf(from), to.get());
            load.merge(from, -1, Integer::sum);
            load.merge(to.get(), 1, Integer::sum);
            moved = true;
            break outer;
          }
        }
      }
    }
  }

  private static Optional<String> leastLoaded(Map<String, Member> byId, Map<String, Integer> load, String shard,
                                              List<String> exclude) {
    return byId.values().stream()
        .filter(m -> m.mayHost(shard) && !exclude.contains(m.id()))
        .map(Member::id)
        .min(Comparator.<String>comparingInt(load::get).thenComparing(Comparator.naturalOrder()));
  }

  private static Map<String, List<String>> normalized(Assignment assignment) {
    Map<String, List<String>> result = new TreeMap<>();
    assignment.owners().forEach((shard, ids) -> result.put(shard, ids.stream().sorted().toList()));
    return result;
  }
}

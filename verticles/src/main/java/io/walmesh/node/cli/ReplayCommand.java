package io.walmesh.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walmesh replay ...}: delivers a namespace's retained entries of a time range again, with progress. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"Delivers again the entries of a namespace written from --from (to --to), skipping --exclude ids:",
        "the recovery after a target's data was corrupted or lost. The namespace must retain delivered entries",
        "(backend.config.retention-ms on the local backend; a kafka namespace replays from its topic).",
        "Prints progress until every replayed entry is settled."})
final class ReplayCommand implements Callable<Integer> {
  @Mixin
  AdminClient admin;
  @Parameters(paramLabel = "NAMESPACE")
  String namespace;
  @Option(names = "--from", required = true,
      description = "First write time replayed: ISO-8601 (2026-11-30T10:00:00Z) or epoch milliseconds.")
  String from;
  @Option(names = "--to", description = "End of the range (exclusive), same forms; default: now.")
  String to;
  @Option(names = "--target", description = "Deliver only to this target of the namespace (default: each entry's targets).")
  String target;
  @Option(names = "--exclude", description = "An entry id not to replay (e.g. the bad mutation); repeat for several.")
  List<String> exclude;
  @Option(names = "--no-wait", description = "Start the replay and print its id without following its progress.")
  boolean noWait;
  @Option(names = "--poll-ms", defaultValue = "1000", description = "How often progress is printed (default: ${DEFAULT-VALUE}).")
  long pollMs;

  @Override
  public Integer call() throws InterruptedException {
    JsonObject body = new JsonObject().put("from", timeValue(from));
    if (to != null) {
      body.put("to", timeValue(to));
    }
    if (target != null) {
      body.put("target", target);
    }
    if (exclude != null) {
      body.put("exclude", new JsonArray(new ArrayList<>(exclude)));
    }
    String base = "/v1/namespaces/" + namespace + "/replay";
    // a Kafka namespace reads its topic before it answers: give a long range time
    AdminClient.Answer started = admin.send("POST", base, "application/json", HttpRequest.BodyPublishers.ofString(body.encode()),
        java.time.Duration.ofMinutes(15));
    if (started.exitCode() != 0) {
      return started.exitCode();
    }
    JsonObject status = started.json();
    if (noWait) {
      System.out.println(status.encodePrettily());
      return 0;
    }
    while (true) {
      long queued = status.getLong("queued");
      Long dead = status.getLong("dead-lettered");
      System.out.println("replay " + status.getString("replay-id") + ": " + status.getLong("settled") + "/" + queued
          + " settled" + (dead == null ? "" : " (" + dead + " dead-lettered)") + ", " + status.getLong("remaining")
          + " remaining, " + status.getLong("excluded") + " excluded");
      if (status.getBoolean("done")) {
        if (dead != null && dead > 0) {
          System.err.println("replay " + status.getString("replay-id") + ": " + dead + " entries went to the DLQ; see"
              + " `walmesh dlq list " + namespace + "`");
          return 1;
        }
        if (dead == null) {
          System.out.println("replay " + status.getString("replay-id") + ": done; entries that failed for good are in"
              + " `walmesh dlq list " + namespace + "`");
        }
        return 0;
      }
      Thread.sleep(pollMs);
      AdminClient.Answer polled = admin.send("GET", base + "/" + status.getString("replay-id"), "application/json",
          HttpRequest.BodyPublishers.noBody());
      if (polled.exitCode() != 0) {
        return polled.exitCode();
      }
      status = polled.json();
    }
  }

  /** Epoch milliseconds stay a number; anything else is passed as text for the node to parse. */
  private static Object timeValue(String value) {
    return value.matches("\\d{1,15}") ? (Object) Long.parseLong(value) : value;
  }
}

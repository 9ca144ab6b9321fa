package io.walmesh.node.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walmesh dlq ...}: list, replay and purge a namespace's dead letters. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Inspect and act on a namespace's dead-letter queue.",
    subcommands = {DlqCommands.ListLetters.class, DlqCommands.Replay.class, DlqCommands.Purge.class})
final class DlqCommands implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static String idsBody(List<String> ids) {
    JsonObject body = new JsonObject();
    if (ids != null && !ids.isEmpty()) {
      body.put("entry-ids", new JsonArray(new ArrayList<>(ids)));
    }
    return body.encode();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists dead letters, oldest first, with attempts and last error.")
  static final class ListLetters implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAMESPACE")
    String namespace;
    @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      return admin.call("GET", "/v1/namespaces/" + namespace + "/dlq?limit=" + limit, null);
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Puts dead letters back in the queue, due now, attempts reset (all unless --id).")
  static final class Replay implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAMESPACE")
    String namespace;
    @Option(names = "--id", description = "An entry id to replay; repeat for several.")
    List<String> ids;

    @Override
    public Integer call() {
      return admin.call("POST", "/v1/namespaces/" + namespace + "/dlq/replay", idsBody(ids));
    }
  }

  @Command(name = "purge", mixinStandardHelpOptions = true, description = "Deletes dead letters for good (all unless --id).")
  static final class Purge implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAMESPACE")
    String namespace;
    @Option(names = "--id", description = "An entry id to purge; repeat for several.")
    List<String> ids;

    @Override
    public Integer call() {
      return admin.call("POST", "/v1/namespaces/" + namespace + "/dlq/purge", idsBody(ids));
    }
  }
}

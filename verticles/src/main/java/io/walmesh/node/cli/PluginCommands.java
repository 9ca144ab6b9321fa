package io.walmesh.node.cli;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walmesh plugins ...}: list, install, upgrade and remove hot-loaded target plugins. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
    description = "Install, upgrade, list and remove target plugins on a running node, without a restart.",
    subcommands = {PluginCommands.ListPlugins.class, PluginCommands.Install.class, PluginCommands.Remove.class})
final class PluginCommands implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists installed plugins (id, version, target types, namespaces using them), broken jars and built-in types.")
  static final class ListPlugins implements Callable<Integer> {
    @Mixin
    AdminClient admin;

    @Override
    public Integer call() {
      return admin.call("GET", "/v1/plugins", null);
    }
  }

  @Command(name = "install", mixinStandardHelpOptions = true,
      description = "Installs a plugin jar, or upgrades the installed plugin with the same id: the new version starts, "
          + "in-flight deliveries drain, then namespaces switch to it.")
  static final class Install implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "JAR", description = "The plugin jar (with META-INF/walmesh-plugin.json).")
    Path jar;

    @Override
    public Integer call() {
      try {
        // the file name lets the node's errors name this jar rather than its own temporary file
        String name = jar.getFileName() == null ? "" : jar.getFileName().toString();
        return admin.call("POST", "/v1/plugins?filename=" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8),
            "application/java-archive", HttpRequest.BodyPublishers.ofFile(jar));
      } catch (FileNotFoundException e) {
        System.err.println("error: no such file: " + jar);
        return 2;
      }
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Removes a plugin. Refused while namespaces use its target types, unless --force.")
  static final class Remove implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "ID", description = "The plugin id, as `walmesh plugins list` shows it.")
    String id;
    @Option(names = "--force", description = "Remove even if namespaces use it: their deliveries pause and entries wait "
        + "in the queue until the target type is installed again.")
    boolean force;

    @Override
    public Integer call() {
      return admin.call("DELETE", "/v1/plugins/" + id + (force ? "?force=true" : ""), null);
    }
  }
}

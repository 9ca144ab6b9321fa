package io.walmesh.node.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walmesh namespaces ...}: create, read, update, delete and list namespaces. */
@Command(name = "namespaces", mixinStandardHelpOptions = true,
    description = "Manage namespaces (see docs/namespaces.md for the document format).",
    subcommands = {NamespaceCommands.List.class, NamespaceCommands.Get.class, NamespaceCommands.Create.class,
        NamespaceCommands.Update.class, NamespaceCommands.Delete.class})
final class NamespaceCommands implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Reads a document from a file, or from standard input when the file is {@code -}. */
  static String read(Path file) throws IOException {
    if (file.toString().equals("-")) {
      return new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    if (!Files.isReadable(file)) {
      throw new IOException("cannot read " + file.toAbsolutePath());
    }
    return Files.readString(file);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists namespaces with their state and counts.")
  static final class List implements Callable<Integer> {
    @Mixin
    AdminClient admin;

    @Override
    public Integer call() {
      return admin.call("GET", "/v1/namespaces", null);
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Shows one namespace.")
  static final class Get implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      return admin.call("GET", "/v1/namespaces/" + name, null);
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a namespace from a JSON document.")
  static final class Create implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Option(names = {"-f", "--file"}, required = true, description = "The namespace document (JSON); - reads standard input.")
    Path file;

    @Override
    public Integer call() throws IOException {
      return admin.call("POST", "/v1/namespaces", read(file));
    }
  }

  @Command(name = "update", mixinStandardHelpOptions = true, description = {"Replaces a namespace's document; applied"
      + " live, its stored entries kept.", "A new backend type, broker, topic or queue would leave them behind: refused"
      + " while the namespace holds entries, unless --force."})
  static final class Update implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAME")
    String name;
    @Option(names = {"-f", "--file"}, required = true, description = "The namespace document (JSON); - reads standard input.")
    Path file;
    @Option(names = "--force", description = "Move to another backend store even with entries stored: they are left"
        + " behind, never delivered.")
    boolean force;
    @Option(names = "--if-version", paramLabel = "VERSION", description = "Update only while the namespace is still at"
        + " this version (the `version` of `namespaces get`): refused, storing nothing, when someone changed it since.")
    String ifVersion;

    @Override
    public Integer call() throws IOException {
      String document = read(file);
      return admin.call("PUT", "/v1/namespaces/" + name + (force ? "?force=true" : ""), "application/json",
          java.net.http.HttpRequest.BodyPublishers.ofString(document),
          ifVersion == null ? java.util.Map.of() : java.util.Map.of("If-Match", '"' + ifVersion + '"'));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Deletes a namespace and its stored entries; refused while entries are pending unless --force.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    AdminClient admin;
    @Parameters(paramLabel = "NAME")
    String name;
    @Option(names = "--force", description = "Delete even with pending or dead-lettered entries (they are lost).")
    boolean force;

    @Override
    public Integer call() {
      return admin.call("DELETE", "/v1/namespaces/" + name + (force ? "?force=true" : ""), null);
    }
  }
}

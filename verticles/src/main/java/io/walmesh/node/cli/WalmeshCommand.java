package io.walmesh.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code walmesh} command and its subcommands. */
@Command(name = "walmesh", mixinStandardHelpOptions = true, version = "walmesh 0.1.0",
    description = "A write-ahead log as a service: store a mutation durably, then deliver it to its targets.",
    subcommands = {
        RunCommands.Dev.class,
        RunCommands.Start.class,
        NamespaceCommands.class,
        DlqCommands.class,
        PluginCommands.class,
        ReplayCommand.class,
        WriteCommand.class,
        HealthCommand.class,
        CertsCommand.class,
        AuthCommand.class,
        ClusterCommand.class,
        CommandLine.HelpCommand.class
    })
public final class WalmeshCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    try {
      io.walmesh.node.logging.JsonLines.applyFormat();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
    System.exit(new CommandLine(new WalmeshCommand()).execute(args));
  }
}

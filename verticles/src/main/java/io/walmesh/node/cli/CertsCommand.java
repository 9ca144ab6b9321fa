package io.walmesh.node.cli;

import io.walmesh.node.tls.CertificateAuthority;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code walmesh certs create}: a development CA with node and client certificates. */
@Command(name = "certs", description = "Make TLS certificates for development and tests.",
    subcommands = CertsCommand.Create.class, mixinStandardHelpOptions = true)
class CertsCommand {

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {"Make a CA, a node certificate and a client certificate as PEM files in --out:",
          "ca.pem, ca-key.pem, node.pem, node-key.pem, client.pem, client-key.pem,",
          "and a mesh secret, mesh.secret (cluster.secret-path), unless one is there already.",
          "The node certificate is valid for localhost, 127.0.0.1, ::1 and every --host.",
          "For development and tests; use your own PKI in production."})
  static class Create implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory to write the files into (created if missing).")
    Path out;

    @Option(names = "--host", description = "A host name or address the node is reached by (repeat it).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--client", defaultValue = "walmesh-client", description = "The client certificate's name (default: ${DEFAULT-VALUE}).")
    String client;

    @Override
    public Integer call() throws Exception {
      CertificateAuthority.Files files = CertificateAuthority.createAll(out, hosts, client);
      System.out.println("wrote " + files.caCert() + ", " + files.nodeCert() + " (+ key), " + files.clientCert() + " (+ key)");
      System.out.println("node config:  \"tls\": {\"cert-path\": \"" + files.nodeCert() + "\", \"key-path\": \""
          + files.nodeKey() + "\", \"client-ca-path\": \"" + files.caCert() + "\", \"client-auth\": \"required\"}");
      System.out.println("CLI:          --tls-ca " + files.caCert() + " --tls-cert " + files.clientCert() + " --tls-key " + files.clientKey()
          + "  (and --admin https://127.0.0.1:8080)");
      Path secret = out.resolve("mesh.secret");
      if (!java.nio.file.Files.exists(secret)) {
        io.walmesh.node.internal.PrivateFiles.write(secret, io.walmesh.node.mesh.MeshSeal.newSecret() + "\n", true);
      }
      System.out.println("mesh config:  \"cluster\": {..., \"secret-path\": \"" + secret + "\", \"tls\": {\"cert-path\": \""
          + files.nodeCert() + "\", \"key-path\": \"" + files.nodeKey() + "\", \"ca-path\": \"" + files.caCert() + "\"}}");
      System.out.println("keep " + files.caKey() + " and " + secret + " secret: the key signs certificates your nodes trust,"
          + " the secret lets a process into the mesh; give every node of a mesh the same secret");
      return 0;
    }
  }
}

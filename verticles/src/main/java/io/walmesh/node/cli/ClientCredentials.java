package io.walmesh.node.cli;

import io.walmesh.node.tls.ClientTls;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the CLI proves who it is and whom it talks to: TLS files and a bearer token, shared by the commands that call a node. */
class ClientCredentials {
  @Option(names = "--tls-ca", defaultValue = "${env:WALMESH_CA}",
      description = "CA certificate (PEM) that signed the node's certificate; turns TLS on for --grpc; use https:// in --admin (default: $WALMESH_CA).")
  Path ca;

  @Option(names = "--tls-cert", defaultValue = "${env:WALMESH_CERT}",
      description = "Client certificate (PEM), for nodes that require one (default: $WALMESH_CERT).")
  Path cert;

  @Option(names = "--tls-key", defaultValue = "${env:WALMESH_KEY}",
      description = "The client certificate's private key (PEM, PKCS#8) (default: $WALMESH_KEY).")
  Path key;

  @Option(names = "--token", defaultValue = "${env:WALMESH_TOKEN}",
      description = "Bearer token identifying the caller, for nodes with auth (default: $WALMESH_TOKEN).")
  String token;

  /** The client TLS settings, or null when no TLS option is given. */
  ClientTls clientTls() {
    return ca == null && cert == null ? null : new ClientTls(ca, cert, key);
  }
}

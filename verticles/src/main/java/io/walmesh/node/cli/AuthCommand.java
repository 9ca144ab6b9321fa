package io.walmesh.node.cli;

import io.vertx.core.json.JsonObject;
import io.walmesh.node.auth.AuthOptions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code walmesh auth token}: a new bearer token, and the line a tokens file stores for it (its hash). */
@Command(name = "auth", description = "Caller identities.", subcommands = AuthCommand.Token.class, mixinStandardHelpOptions = true)
class AuthCommand {

  @Command(name = "token", mixinStandardHelpOptions = true,
      description = {"Make a random bearer token for a principal. Prints the token (give it to the caller; it is not stored)",
          "and the entry to add to the \"tokens\" array of the node's auth tokens-file (only its SHA-256 is kept)."})
  static class Token implements Callable<Integer> {
    @Option(names = "--principal", required = true, description = "The principal the token identifies (a key of auth.principals).")
    String principal;

    @Override
    public Integer call() {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String token = "wm_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      System.out.println("token:            " + token);
      System.out.println("tokens-file entry: " + new JsonObject().put("principal", principal).put("sha256", AuthOptions.hash(token)).encode());
      System.out.println("use it with:      --token " + token + "   (or WALMESH_TOKEN; gRPC: metadata 'authorization: Bearer <token>')");
      return 0;
    }
  }
}

package io.walmesh.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a sealed mesh value resists: another secret, another key, map or mesh, a flipped bit, a replay; and bad secret files. */
class MeshSealTest {
  @TempDir
  Path dir;

  private static byte[] secret(int fill) {
    byte[] secret = new byte[32];
    java.util.Arrays.fill(secret, (byte) fill);
    return secret;
  }

  @Test
  void aValueOpensOnlyWithTheSameSecretMeshMapAndKey() throws Exception {
    MeshSeal writer = MeshSeal.withSecret(secret(1), "prod");
    String sealed = writer.sealString("walmesh.namespaces", "orders", "{\"name\":\"orders\",\"password\":\"p\"}");
    assertThat(sealed).startsWith("wm1:").doesNotContain("orders").doesNotContain("password");
    assertThat(MeshSeal.withSecret(secret(1), "prod").openString("walmesh.namespaces", "orders", sealed))
        .isEqualTo("{\"name\":\"orders\",\"password\":\"p\"}");
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(2), "prod").openString("walmesh.namespaces", "orders", sealed))
        .isInstanceOf(MeshSeal.Refused.class).hasMessageContaining("does not open with the mesh secret");
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(1), "staging").openString("walmesh.namespaces", "orders", sealed))
        .as("another mesh with the same secret").isInstanceOf(MeshSeal.Refused.class);
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(1), "prod").openString("walmesh.namespaces", "carts", sealed))
        .as("moved to another key").isInstanceOf(MeshSeal.Refused.class);
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(1), "prod").openString("walmesh.nodes", "orders", sealed))
        .as("moved to another map").isInstanceOf(MeshSeal.Refused.class);
    byte[] raw = Base64.getDecoder().decode(sealed.substring(4));
    raw[raw.length - 20] ^= 1;
    String flipped = "wm1:" + Base64.getEncoder().encodeToString(raw);
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(1), "prod").openString("walmesh.namespaces", "orders", flipped))
        .as("one bit changed").isInstanceOf(MeshSeal.Refused.class);
    assertThatThrownBy(() -> MeshSeal.withSecret(secret(1), "prod").openString("walmesh.namespaces", "orders", "{\"name\":1}"))
        .as("a value in the clear").isInstanceOf(MeshSeal.Refused.class).hasMessageContaining("in the clear");
    byte[] jar = "PK...".getBytes(StandardCharsets.UTF_8);
    assertThat(MeshSeal.withSecret(secret(1), "prod").open("walmesh.plugin-jars", "p", writer.seal("walmesh.plugin-jars", "p", jar)))
        .isEqualTo(jar);
  }

  @Test
  void anOlderValueIsRefusedOnceANewerOneWasSeenBeyondTheTolerance() throws Exception {
    long[] now = {1_000_000};
    MeshSeal writer = MeshSeal.withSecret(secret(1), "prod").clock(() -> now[0]);
    String old = writer.sealString("m", "k", "v1");
    MeshSeal reader = MeshSeal.withSecret(secret(1), "prod");
    assertThat(reader.openString("m", "k", old)).isEqualTo("v1");
    now[0] += MeshSeal.REPLAY_TOLERANCE_MS / 2;
    String soonAfter = writer.sealString("m", "k", "v2");
    assertThat(reader.openString("m", "k", soonAfter)).isEqualTo("v2");
    assertThat(reader.openString("m", "k", old)).as("within the tolerance (two nodes' clocks may differ that much)")
        .isEqualTo("v1");
    now[0] += MeshSeal.REPLAY_TOLERANCE_MS * 2;
    String later = writer.sealString("m", "k", "v3");
    assertThat(reader.openString("m", "k", later)).isEqualTo("v3");
    assertThat(reader.openString("m", "k", later)).as("the same value again opens (a restore)").isEqualTo("v3");
    assertThatThrownBy(() -> reader.openString("m", "k", old)).isInstanceOf(MeshSeal.Refused.class)
        .hasMessageContaining("older value replayed");
    now[0] -= MeshSeal.REPLAY_TOLERANCE_MS * 10; // the writer's clock goes back: it still writes past what it has seen
    assertThat(reader.openString("m", "k", writer.sealString("m", "k", "v4"))).isEqualTo("v4");
  }

  @Test
  void badSecretFilesAreRefusedWithWhatToDo() throws Exception {
    Path shortOne = Files.writeString(dir.resolve("short"), Base64.getEncoder().encodeToString(new byte[16]));
    assertThatThrownBy(() -> MeshSeal.readSecret(shortOne)).hasMessageContaining("has 16 bytes")
        .hasMessageContaining("at least 32");
    Path notBase64 = Files.writeString(dir.resolve("text"), "correct horse battery staple!!");
    assertThatThrownBy(() -> MeshSeal.readSecret(notBase64)).hasMessageContaining("not base64")
        .hasMessageContaining("walmesh certs create");
    assertThatThrownBy(() -> MeshSeal.readSecret(dir.resolve("missing"))).hasMessageContaining("cannot read");
    Path good = Files.writeString(dir.resolve("good"), MeshSeal.newSecret() + "\n");
    assertThat(MeshSeal.readSecret(good)).hasSize(32);
  }
}

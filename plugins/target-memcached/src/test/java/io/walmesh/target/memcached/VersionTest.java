package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** The sidecar version's text form and order. */
class VersionTest {

  @Test
  void roundTripsAndOrdersByWriteTimeThenEntryId() {
    Version set = new Version(1_000, "entry 7", false);
    Version delete = new Version(1_000, "entry 8", true);
    assertThat(Version.decode(set.encode())).isEqualTo(set);
    assertThat(Version.decode(delete.encode())).isEqualTo(delete);
    assertThat(delete.isNewerThan(set)).isTrue();
    assertThat(new Version(999, "z", false).isNewerThan(set)).isFalse();
    assertThat(set.isNewerThan(null)).isTrue();
  }

  @Test
  void somethingElseInTheVersionKeyReadsAsNoVersion() {
    assertThat(Version.decode(Buffer.buffer("hello"))).isNull();
    assertThat(Version.decode(Buffer.buffer("12 x e"))).isNull();
    assertThat(Version.decode(Buffer.buffer(""))).isNull();
  }
}

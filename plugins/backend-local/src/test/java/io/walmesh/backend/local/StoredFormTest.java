package io.walmesh.backend.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.walmesh.spi.entry.EntryRecord;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The bytes an append stores: the entry id is the sequence as 16 hex digits, and the stored entry is the entry with
 * that id, as any protobuf reader parses it (the append writes the id after the entry's fields instead of copying the
 * entry into a builder). Entries stored by earlier versions used {@code String.format} and {@code toBuilder}.
 */
class StoredFormTest {
  @Test
  void entryIdsAreTheSequenceIn16HexDigitsAsBefore() {
    SplittableRandom random = new SplittableRandom(7);
    long[] edges = {0, 1, 15, 16, 255, 0xabcdefL, Long.MAX_VALUE, Long.MIN_VALUE, -1};
    for (long seq : edges) {
      assertEquals(String.format("%016x", seq), Keys.entryId(seq));
    }
    for (int i = 0; i < 10_000; i++) {
      long seq = random.nextLong();
      assertEquals(String.format("%016x", seq), Keys.entryId(seq));
    }
  }

  @Test
  void theStoredEntryParsesAsTheEntryWithItsId() throws Exception {
    EntryRecord bare = EntryRecord.newBuilder().setNamespace("orders").setKey("k").setPayload(ByteString.copyFromUtf8("p"))
        .putHeaders("traceparent", "00-abc-def-01").putHeaders("h", "v").setTarget("sink")
        .putTargetAttributes("table", "t1").setWriteTimeMs(1_000).setDueAtMs(2_000).setIdempotencyKey("i").build();
    EntryRecord withOldId = bare.toBuilder().setEntryId("0000000000000001").build(); // a replayed entry keeps no stale id
    for (EntryRecord entry : new EntryRecord[] {bare, withOldId, EntryRecord.getDefaultInstance()}) {
      String id = Keys.entryId(42);
      EntryRecord expected = entry.toBuilder().setEntryId(id).build();
      EntryRecord parsed = EntryRecord.parseFrom(LocalBackend.withEntryId(entry, id));
      assertEquals(expected, parsed);
      assertArrayEquals(expected.toByteArray(), parsed.toByteArray(), "re-encoded, the same bytes as before");
    }
  }
}

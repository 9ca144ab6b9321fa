package io.walmesh.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.LoggerFactory;

/** What the local log tells an operator about itself. */
class LocalLogTest {
  @TempDir
  Path dir;

  @Test
  void aTurnOfTheLogThreadThatStallsIsLoggedWithHowLongAndWhy() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(LocalLog.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try (LocalLog log = new LocalLog(dir)) {
      // a task that holds the log thread (as a stalled disk would): every append queued behind it waits
      run(log, LocalLog.SLOW_TURN_MS + 100);
      List<String> warnings = warnings(appender);
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0)).contains("Local log at " + dir).contains("a turn of its thread took")
          .contains("for 1 tasks").contains("waited for it").containsPattern("took (2\\d\\d|[3-9]\\d\\d|\\d{4,}) ms");

      // another within the interval is counted, not logged
      run(log, LocalLog.SLOW_TURN_MS + 50);
      assertThat(warnings(appender)).hasSize(1);
    } finally {
      logger.detachAppender(appender);
    }
  }

  @Test
  void lettingASnapshotGoDoesNotRewriteTheLogsFiles() throws Exception {
    try (LocalLog log = new LocalLog(dir)) {
      byte[] prefix = Keys.prefix("ns");
      byte[] value = new byte[300];
      // entries in three flushes: with keys that grow, RocksDB moves the files to the bottom rather than rewriting them
      for (int flush = 0; flush < 3; flush++) {
        long first = flush * 2_000L;
        log.write(batch -> {
          for (long seq = first; seq < first + 2_000; seq++) {
            batch.writes.put(log.entries, Keys.seqKey(prefix, seq), value);
          }
        }).get(10, TimeUnit.SECONDS);
        try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
          log.rocks().flush(wait, log.entries);
        }
      }
      // three files in L0, under RocksDB's trigger of four: nothing to compact yet
      assertNoCompaction(log, "after three flushes");
      Set<String> before = files(log);

      // what a namespace's open does to count its backlog (BacklogCount). Letting a snapshot go marks the files it
      // would rewrite and schedules their compaction before it returns: a rewrite is pending, running or done now.
      log.release(log.snapshot());
      assertNoCompaction(log, "after a snapshot was let go");

      assertThat(files(log)).as("the entries' files after a snapshot was let go").isEqualTo(before);
    }
  }

  @Test
  void theWriteAheadFilesStayWithinTheirBoundWhileAColumnFamilyHoldsOneRow() throws Exception {
    long bound = 16L << 20;
    byte[] prefix = Keys.prefix("ns");
    byte[] value = new byte[1_000];
    long rows = 80_000; // 80 MB of entries: more than a memtable (64 MB), five times the bound
    try (LocalLog log = new LocalLog(dir, bound)) {
      // one row in a column family that sees few (as the sequence reservations in meta): it flushes only when made to
      log.write(batch -> batch.writes.put(log.meta, "test-row".getBytes(), new byte[] {1})).get(10, TimeUnit.SECONDS);
      for (long first = 0; first < rows; first += 2_000) {
        long from = first;
        log.write(batch -> {
          for (long seq = from; seq < from + 2_000; seq++) {
            batch.writes.put(log.entries, Keys.seqKey(prefix, seq), value);
          }
        }).get(10, TimeUnit.SECONDS);
      }
      // the bound makes RocksDB flush the column families that hold the oldest file back, in its background threads;
      // the file goes once that flush is done. Without the bound they would stay: 80 MB and more, for good.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(walBytes()).as("bytes of write-ahead files (live and in the trash) after 80 MB written with a bound"
              + " of 16 MB")
              .isLessThan(bound + (8L << 20)));
    }
    try (LocalLog log = new LocalLog(dir, bound)) {
      assertThat(log.get(log.meta, "test-row".getBytes())).as("the row flushed to keep the bound").containsExactly(1);
      long counted = 0;
      try (RocksIterator it = log.iterator(log.entries)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          counted++;
        }
      }
      assertThat(counted).isEqualTo(rows);
    }
  }

  /**
   * A task that takes a new block of sequences and then fails is rolled back with its reservation; a write after it
   * in the same block must reserve again, or a restart hands out the sequences of stored entries once more and their
   * rows are written over: acknowledged entries lost.
   */
  @Test
  void aSequenceUsedAfterARolledBackReservationIsNeverHandedOutAgainAfterARestart() throws Exception {
    byte[] prefix = Keys.prefix("ns");
    long block = 4;
    java.util.Map<Long, byte[]> stored = new java.util.LinkedHashMap<>();
    try (LocalLog log = new LocalLog(dir, LocalLog.MAX_WAL_BYTES, block)) {
      // the first block (sequences 1 to 4) reserved and used up to 3
      for (int i = 0; i < 3; i++) {
        stored.putAll(append(log, prefix, "before-" + i));
      }
      // takes 4 and 5 (5 reserves the next block), then fails: nothing of it is written
      java.util.concurrent.CompletableFuture<Void> failed = log.write(batch -> {
        batch.writes.put(log.entries, Keys.seqKey(prefix, batch.nextSeq()), new byte[] {1});
        batch.writes.put(log.entries, Keys.seqKey(prefix, batch.nextSeq()), new byte[] {1});
        throw new RocksDBException("a read error half way through the task");
      });
      assertThat(failed).failsWithin(10, TimeUnit.SECONDS);
      // acknowledged entries past the reservation the failed task made and lost
      for (int i = 0; i < 3; i++) {
        stored.putAll(append(log, prefix, "after-" + i));
      }
    }
    try (LocalLog log = new LocalLog(dir, LocalLog.MAX_WAL_BYTES, block)) {
      java.util.Map<Long, byte[]> later = append(log, prefix, "after the restart");
      assertThat(later.keySet()).as("the sequence of a write after the restart, against those stored before it")
          .allMatch(seq -> seq > java.util.Collections.max(stored.keySet()));
      for (java.util.Map.Entry<Long, byte[]> entry : stored.entrySet()) {
        assertThat(log.get(log.entries, Keys.seqKey(prefix, entry.getKey())))
            .as("the row of the entry acknowledged at sequence " + entry.getKey()).isEqualTo(entry.getValue());
      }
    }
  }

  /** Appends one row under the next sequence, as an entry's append does; returns its sequence and value. */
  private static java.util.Map<Long, byte[]> append(LocalLog log, byte[] prefix, String value) throws Exception {
    long[] seq = new long[1];
    byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    log.write(batch -> {
      seq[0] = batch.nextSeq();
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq[0]), bytes);
    }).get(10, TimeUnit.SECONDS);
    return java.util.Map.of(seq[0], bytes);
  }

  /** RocksDB renames a removed file to *.trash and deletes it in steps: a crash in between leaves it for the next start. */
  @Test
  void aStartRemovesTheTrashACrashLeftBehind() throws Exception {
    try (LocalLog log = new LocalLog(dir)) {
      log.write(batch -> batch.writes.put(log.meta, "row".getBytes(), new byte[] {1})).get(10, TimeUnit.SECONDS);
    }
    Path left = dir.resolve("000001.log.trash");
    Files.write(left, new byte[1 << 20]);
    try (LocalLog log = new LocalLog(dir)) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> !Files.exists(left));
      assertThat(log.get(log.meta, "row".getBytes())).containsExactly(1);
    }
  }

  private long walBytes() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      // with the ones RocksDB has renamed to *.trash and deletes a chunk at a time: they take disk space too
      return files.filter(f -> f.getFileName().toString().endsWith(".log") || f.getFileName().toString().endsWith(".trash"))
          .mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static Set<String> files(LocalLog log) {
    return log.rocks().getLiveFilesMetaData().stream().filter(f -> new String(f.columnFamilyName()).equals("entries"))
        .map(f -> f.fileName()).collect(Collectors.toSet());
  }

  private static void assertNoCompaction(LocalLog log, String when) throws Exception {
    assertThat(log.rocks().getLongProperty(log.entries, "rocksdb.compaction-pending")).as("compaction pending " + when)
        .isZero();
    assertThat(log.rocks().getLongProperty(log.entries, "rocksdb.num-running-compactions"))
        .as("compactions running " + when).isZero();
  }

  /**
   * Runs one task on the log thread that holds it for {@code holdMs} in its prepare (the stall under test), then an
   * empty one: the first turn, warning included, is over once the second task completes.
   */
  private static void run(LocalLog log, long holdMs) throws Exception {
    log.write(batch -> {
      Thread.sleep(holdMs); // the stall itself, not a wait for something
      batch.writes.put(log.meta, "test-row".getBytes(), new byte[] {1});
    }).get(10, TimeUnit.SECONDS);
    log.write(batch -> { }).get(10, TimeUnit.SECONDS);
  }

  private static List<String> warnings(ListAppender<ILoggingEvent> appender) {
    return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}

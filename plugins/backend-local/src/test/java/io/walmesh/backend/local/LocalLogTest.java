package io.walmesh.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

  /** Runs one task on the log thread that spends {@code holdMs} in its prepare, and waits for its completion. */
  private static void run(LocalLog log, long holdMs) throws Exception {
    log.write(batch -> {
      Thread.sleep(holdMs);
      batch.writes.put(log.meta, "test-row".getBytes(), new byte[] {1});
    }).get(10, TimeUnit.SECONDS);
    Thread.sleep(50); // the warning is logged after the task completes, in the same turn
  }

  private static List<String> warnings(ListAppender<ILoggingEvent> appender) {
    return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}

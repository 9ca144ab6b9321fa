package io.walmesh.testkit.cassandra;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;

/**
 * The child JVM's main class: runs {@code org.apache.cassandra.service.CassandraDaemon}, and halts
 * the JVM when its standard input closes, which happens when the test JVM that started it dies even
 * by SIGKILL, so no orphaned server outlives a test run.
 */
public final class CassandraMain {
  private static final String DAEMON = "org.apache.cassandra.service.CassandraDaemon";

  private CassandraMain() {
  }

  /** Starts the watchdog, then Cassandra with {@code args}. */
  public static void main(String[] args) throws Throwable {
    Thread watchdog = new Thread(CassandraMain::haltWhenParentGoes, "walmesh-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      Class.forName(DAEMON).getMethod("main", String[].class).invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void haltWhenParentGoes() {
    try {
      while (System.in.read() != -1) {
        // the parent never writes; only end-of-stream matters
      }
    } catch (IOException ignored) {
      // a broken pipe means the same as end-of-stream
    }
    Runtime.getRuntime().halt(0);
  }
}

package io.walmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The bench's split of a server's CPU by thread role, on this JVM's own threads: a thread that burns CPU shows under
 * its role, and the roles add up to the process's total, as the bench's rows of "where a write's CPU goes" assume.
 * The split reads {@code /proc}, so it is Linux's (elsewhere the bench prints only totals).
 */
@EnabledOnOs(OS.LINUX)
class CpuMeterTest {
  @Test
  void aBusyThreadShowsUnderItsRoleAndTheRolesAddUpToTheProcess() throws Exception {
    CpuMeter meter = new CpuMeter().watchThreads("self", ProcessHandle.current());
    Map<String, Long> before = meter.sample();
    // named as the minimal WAL's writer thread is: a "log writer". Sampled while it runs: a thread that has ended is
    // gone from /proc/<pid>/task, and its CPU with it (the servers' threads live as long as they do)
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = new Thread(() -> {
      long spin = 0;
      while (!stop.get()) {
        spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
      }
      assertThat(spin).isNotNegative();
    }, "raw-rocks-writer");
    writer.start();
    Map<String, Long> spent;
    try {
      Thread.sleep(500);
      spent = CpuMeter.between(before, meter.sample());
    } finally {
      stop.set(true);
      writer.join();
    }

    assertThat(spent.get("self / log writer")).as("CPU of the busy thread, ns").isGreaterThan(150_000_000L);
    long roles = spent.entrySet().stream().filter(e -> e.getKey().startsWith("self / ")).mapToLong(Map.Entry::getValue).sum();
    // the total (ProcessHandle) and the threads (/proc/<pid>/task) are read a moment apart, in 10 ms ticks
    assertThat(Math.abs(roles - spent.get("self"))).as("roles %d ns against the process's %d ns", roles, spent.get("self"))
        .isLessThan(100_000_000L);
  }

  @Test
  void theNodesAndTheMinimalWalsThreadsGetTheSameRoles() {
    assertThat(CpuMeter.role("vert.x-eventloo")).isEqualTo(CpuMeter.role("grpc-default-wo")).isEqualTo("event loops");
    assertThat(CpuMeter.role("walmesh-local-l")).isEqualTo(CpuMeter.role("raw-rocks-write")).isEqualTo("log writer");
    assertThat(CpuMeter.role("rocksdb:low")).isEqualTo(CpuMeter.role("rocksdb:high")).isEqualTo("RocksDB background");
    assertThat(CpuMeter.role("GC Thread#1")).isEqualTo("GC");
    assertThat(CpuMeter.role("C2 CompilerThre")).isEqualTo("JIT");
    assertThat(CpuMeter.role("walmesh-kafka-s")).isEqualTo("Kafka send thread");
    assertThat(CpuMeter.role("kafka-producer-")).isEqualTo("Kafka producer I/O");
    assertThat(CpuMeter.role("main")).isEqualTo("other");
  }
}

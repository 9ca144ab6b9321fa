package io.walmesh.bench;

import io.vertx.core.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load: {@code concurrency} operations always outstanding, each started when one
 * completes, for a warm-up then a measured window. Prints progress every second.
 */
final class ClosedLoop {
  private ClosedLoop() {
  }

  static Measurement run(String name, int concurrency, long warmupMs, long durationMs, Supplier<Future<?>> operation)
      throws InterruptedException {
    return run(name, concurrency, warmupMs, durationMs, operation, null);
  }

  /**
   * {@link #run(String, int, long, long, Supplier)}, also counting the CPU time of {@code cpu}'s processes from the
   * start of the measured window to its end (null: not counted).
   */
  static Measurement run(String name, int concurrency, long warmupMs, long durationMs, Supplier<Future<?>> operation,
                         CpuMeter cpu) throws InterruptedException {
    Recorder recorder = new Recorder(3);
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong warmUpOps = new AtomicLong(); // counted only for the progress lines
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(warmupMs);
    long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(durationMs);
    CountDownLatch done = new CountDownLatch(concurrency);
    for (int i = 0; i < concurrency; i++) {
      next(operation, recorder, ops, warmUpOps, errors, measureFrom, end, done);
    }
    Histogram total = new Histogram(3);
    long warmUpSeen = 0;
    java.util.Map<String, Long> cpuFrom = null;
    java.util.Map<String, Long> cpuTo = null;
    long nextLine = start + TimeUnit.SECONDS.toNanos(1);
    while (true) {
      // wake at each progress line and at the window's two edges, where the processes' CPU time is read
      long now = System.nanoTime();
      long wake = nextLine;
      if (cpu != null && cpuFrom == null) {
        wake = Math.min(wake, measureFrom);
      } else if (cpu != null && cpuTo == null) {
        wake = Math.min(wake, end);
      }
      if (done.await(Math.max(0, wake - now), TimeUnit.NANOSECONDS)) {
        break;
      }
      now = System.nanoTime();
      if (cpu != null && cpuFrom == null && now >= measureFrom) {
        cpuFrom = cpu.sample();
      }
      if (cpu != null && cpuFrom != null && cpuTo == null && now >= end) {
        cpuTo = cpu.sample();
      }
      if (now < nextLine) {
        continue;
      }
      nextLine += TimeUnit.SECONDS.toNanos(1);
      // only operations started inside the measured window are recorded
      Histogram interval = recorder.getIntervalHistogram();
      total.add(interval);
      if (System.nanoTime() < measureFrom) {
        long warmedUp = warmUpOps.get();
        System.err.printf("  %-36s warm-up %,8d ops/s%n", name, warmedUp - warmUpSeen);
        warmUpSeen = warmedUp;
      } else {
        System.err.printf("  %-36s measure %,8d ops/s  p99 %7.2f ms%n", name, interval.getTotalCount(),
            interval.getTotalCount() == 0 ? 0.0 : interval.getValueAtPercentile(99) / 1000.0);
      }
    }
    total.add(recorder.getIntervalHistogram());
    java.util.Map<String, Long> cpuNanos = cpuFrom == null ? java.util.Map.of()
        : CpuMeter.between(cpuFrom, cpuTo == null ? cpu.sample() : cpuTo);
    return new Measurement(name, ops.get(), errors.get(), durationMs / 1000.0, total, cpuNanos);
  }

  private static void next(Supplier<Future<?>> operation, Recorder recorder, AtomicLong ops, AtomicLong warmUpOps,
                           AtomicLong errors, long measureFrom, long end, CountDownLatch done) {
    long begin = System.nanoTime();
    if (begin >= end) {
      done.countDown();
      return;
    }
    Future<?> future;
    try {
      future = operation.get();
    } catch (RuntimeException e) {
      future = Future.failedFuture(e);
    }
    future.onComplete(ar -> {
      long finished = System.nanoTime();
      if (begin >= measureFrom && finished <= end) {
        if (ar.succeeded()) {
          ops.incrementAndGet();
          recorder.recordValue(Math.max(1, (finished - begin) / 1000));
        } else {
          errors.incrementAndGet();
        }
      } else if (begin < measureFrom && ar.succeeded()) {
        warmUpOps.incrementAndGet();
      }
      next(operation, recorder, ops, warmUpOps, errors, measureFrom, end, done);
    });
  }
}

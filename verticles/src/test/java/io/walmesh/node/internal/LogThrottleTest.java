package io.walmesh.node.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A repeating event is logged the first time, then at most once per interval with the count since the last line. */
class LogThrottleTest {
  @Test
  void logsTheFirstThenOncePerIntervalWithTheCountSince() {
    LogThrottle throttle = new LogThrottle(1_000);
    assertThat(throttle.occurred(10_000)).isEqualTo(1);
    assertThat(throttle.occurred(10_100)).isZero();
    assertThat(throttle.occurred(10_999)).isZero();
    assertThat(throttle.occurred(11_000)).as("the interval passed: this one and the two held back").isEqualTo(3);
    assertThat(throttle.occurred(11_500)).isZero();
    assertThat(throttle.occurred(13_000)).isEqualTo(2);
  }
}

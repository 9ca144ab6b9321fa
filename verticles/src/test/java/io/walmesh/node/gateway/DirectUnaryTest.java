package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The client's deadline as {@link DirectUnary} reads it from {@code grpc-timeout} (gRPC over HTTP/2: 1 to 8 digits
 * and a unit). A pure function, checked on its own; that a call's deadline reaches the write end to end is
 * {@code KafkaNamespaceTest}'s broker outage (answers within the client's 5 s, not the node's 10 s default).
 */
class DirectUnaryTest {

  @Test
  void everyUnitOfGrpcTimeoutIsReadAsMillisecondsRoundedUp() {
    assertThat(DirectUnary.timeoutMs("2H")).isEqualTo(7_200_000);
    assertThat(DirectUnary.timeoutMs("3M")).isEqualTo(180_000);
    assertThat(DirectUnary.timeoutMs("5S")).isEqualTo(5_000);
    assertThat(DirectUnary.timeoutMs("250m")).isEqualTo(250);
    assertThat(DirectUnary.timeoutMs("1500u")).as("1.5 ms waits 2, not 1").isEqualTo(2);
    assertThat(DirectUnary.timeoutMs("999n")).as("under a millisecond is still a deadline").isEqualTo(1);
    assertThat(DirectUnary.timeoutMs("99999999H")).as("the longest the spec allows").isEqualTo(99_999_999L * 3_600_000L);
  }

  @Test
  void aMissingOrMalformedGrpcTimeoutIsNoDeadline() {
    assertThat(DirectUnary.timeoutMs(null)).isZero();
    assertThat(DirectUnary.timeoutMs("")).isZero();
    assertThat(DirectUnary.timeoutMs("m")).isZero();
    assertThat(DirectUnary.timeoutMs("0m")).isZero();
    assertThat(DirectUnary.timeoutMs("123456789S")).as("nine digits").isZero();
    assertThat(DirectUnary.timeoutMs("10x")).isZero();
    assertThat(DirectUnary.timeoutMs("-1m")).isZero();
    assertThat(DirectUnary.timeoutMs("1.5S")).isZero();
  }
}

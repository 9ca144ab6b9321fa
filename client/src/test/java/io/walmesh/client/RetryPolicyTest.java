package io.walmesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void waitsGrowCappedAndJittered() {
    RetryPolicy policy = new RetryPolicy().initialBackoff(Duration.ofMillis(100)).multiplier(2.0)
        .maxBackoff(Duration.ofMillis(1_000)).jitter(0.5);
    for (int i = 0; i < 200; i++) {
      assertThat(policy.backoffMs(1)).isBetween(50L, 100L);
      assertThat(policy.backoffMs(3)).isBetween(200L, 400L);
      assertThat(policy.backoffMs(30)).isBetween(500L, 1_000L);
    }
  }

  @Test
  void withoutJitterTheWaitIsExact() {
    RetryPolicy policy = new RetryPolicy().initialBackoff(Duration.ofMillis(100)).multiplier(3.0).jitter(0.0);
    assertThat(policy.backoffMs(1)).isEqualTo(100);
    assertThat(policy.backoffMs(2)).isEqualTo(300);
    assertThat(policy.backoffMs(3)).isEqualTo(900);
    assertThat(policy.backoffMs(4)).isEqualTo(RetryPolicy.DEFAULT_MAX_BACKOFF.toMillis());
  }

  @Test
  void optionsRoundTripThroughJson() {
    WalmeshClientOptions options = new WalmeshClientOptions().deadline(Duration.ofSeconds(3))
        .autoIdempotencyKeys(false).retryPolicy(new RetryPolicy().maxAttempts(7).jitter(0.0));

    WalmeshClientOptions copy = new WalmeshClientOptions(options.toJson());

    assertThat(copy.toJson()).isEqualTo(options.toJson());
    assertThat(copy.toJson().getJsonObject("retry").getInteger("max-attempts")).isEqualTo(7);
    assertThat(new WalmeshClientOptions(new JsonObject()).toJson()).isEqualTo(new WalmeshClientOptions().toJson());
  }

  @Test
  void badValuesNameTheirField() {
    assertThatThrownBy(() -> new RetryPolicy().maxAttempts(0)).hasMessageContaining("max-attempts");
    assertThatThrownBy(() -> new RetryPolicy().jitter(1.5)).hasMessageContaining("jitter");
    assertThatThrownBy(() -> new RetryPolicy(new JsonObject().put("max-atempts", 3)))
        .hasMessageContaining("max-atempts: unknown field");
    assertThatThrownBy(() -> new WalmeshClientOptions().deadline(Duration.ZERO)).hasMessageContaining("deadline");
    assertThatThrownBy(() -> new WalmeshClientOptions(new JsonObject().put("deadline-ms", "soon")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

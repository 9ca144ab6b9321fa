package io.walmesh.target.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The header rules' hand-written token check against RFC 7230's grammar written as a regular expression. */
class HttpHeaderRulesTest {
  /** {@code token = 1*tchar}, tchar as RFC 7230 section 3.2.6 lists it, at most 256 characters. */
  private static final Pattern RFC_7230_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");

  @Test
  void aHeaderNameIsATokenExactlyWhenRfc7230SaysSo() {
    for (char c = 0; c < 0x250; c++) {
      for (String name : new String[] {String.valueOf(c), "X-" + c, c + "-y", "ab" + c + "cd"}) {
        assertThat(HttpHeaderRules.isToken(name)).as("%s (U+%04X)", name.replaceAll("\\p{Cntrl}", "?"), (int) c)
            .isEqualTo(RFC_7230_TOKEN.matcher(name).matches());
      }
    }
    assertThat(HttpHeaderRules.isToken("")).isFalse();
    assertThat(HttpHeaderRules.isToken("x".repeat(256))).isTrue();
    assertThat(HttpHeaderRules.isToken("x".repeat(257))).as("longer than 256 characters").isFalse();
  }

  @Test
  void anEntryHeaderThatIsNotATokenOrCarriesAControlCharacterIsNotForwarded() {
    assertThat(HttpHeaderRules.forwardable("X-Trace", "abc-123", Set.of())).isTrue();
    assertThat(HttpHeaderRules.forwardable("X-Bad\r\nInjected", "1", Set.of())).isFalse();
    assertThat(HttpHeaderRules.forwardable("X Space", "1", Set.of())).isFalse();
    assertThat(HttpHeaderRules.forwardable("X-Value", "ok\r\nInjected: 2", Set.of())).isFalse();
    assertThat(HttpHeaderRules.forwardable("x-static", "1", Set.of("x-static"))).as("set by the config").isFalse();
  }
}

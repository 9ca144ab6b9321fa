package io.walmesh.node.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The validator's byte counts of keys, headers and attributes are the bytes those strings take in UTF-8. */
class WriteValidatorTest {

  @Test
  void countsTheBytesUtf8EncodingGivesWithoutEncoding() {
    for (String text : List.of("", "k1", "é", "naïve-key", "日本語のキー", "😀", "a😀b", "\uD800", "\uDC00", "x\uD800",
        "\uD800x", "\uDC00\uD800", "\uD83D\uDE00\uD83D", "\u007f\u0080\u07ff\u0800\uffff")) {
      assertThat(WriteValidator.utf8Length(text)).as("%s", text.codePoints().mapToObj(Integer::toHexString).toList())
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void countsRandomStringsOfEveryKindOfCharAsTheEncoderDoes() {
    Random random = new Random(22);
    for (int round = 0; round < 10_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(12); i > 0; i--) {
        // ASCII, two-byte, three-byte, surrogates (paired or not) in about equal measure
        text.append(switch (random.nextInt(4)) {
          case 0 -> (char) random.nextInt(0x80);
          case 1 -> (char) (0x80 + random.nextInt(0x780));
          case 2 -> (char) (0x800 + random.nextInt(0xD800 - 0x800));
          default -> (char) (0xD800 + random.nextInt(0x800));
        });
      }
      String s = text.toString();
      assertThat(WriteValidator.utf8Length(s)).as("%s", s.chars().mapToObj(Integer::toHexString).toList())
          .isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }
  }
}

package io.walmesh.node.producer;

import io.walmesh.node.internal.Text;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.Map;

/** Checks a write against its namespace's config; the message of a refusal names the bad field. */
final class WriteValidator {
  /** Entries may be delayed by at most ten years (delay_ms, or deliver_at_ms from now). */
  static final long MAX_DELAY_MS = 10L * 365 * 86_400_000L;
  /** write_time_ms may be at most this far ahead of the node's clock (clock skew between hosts and regions). */
  static final long MAX_WRITE_TIME_AHEAD_MS = 5 * 60_000L;
  static final int MAX_KEY_BYTES = 4096;
  static final int MAX_HEADERS = 64;
  static final int MAX_HEADER_NAME_BYTES = 256;
  static final int MAX_HEADER_VALUE_BYTES = 8192;
  static final int MAX_HEADERS_TOTAL_BYTES = 64 * 1024;
  static final int MAX_ATTRIBUTES = 32;
  static final int MAX_ATTRIBUTE_NAME_BYTES = 256;
  static final int MAX_ATTRIBUTE_VALUE_BYTES = 4096;
  /** RFC 9110 token characters: what a header name may be made of. */
  private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private WriteValidator() {
  }

  /** A refused write. */
  static final class Refusal extends RuntimeException {
    final WriteFailure failure;

    Refusal(WriteFailure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }
  }

  /**
   * The request's target attributes, without asking protobuf for them when it names no target: a map field a message
   * did not carry is a new empty {@code MapField} at each call of its getter, count included (7 % of the node's CPU
   * under batched writes when the validator and the producer asked for both maps of every write). The producer asks
   * once per map and hands the maps to {@link #validate(NamespaceConfig, WriteToLogRequest, Map, Map, long)}.
   */
  static Map<String, String> attributes(WriteToLogRequest request) {
    return request.hasTarget() ? request.getTarget().getAttributesMap() : Map.of();
  }

  /**
   * Validates {@code request}, whose headers and target attributes are {@code headers} and {@code attributes}, at the
   * instant {@code now} (the one its due time is computed from).
   */
  static void validate(NamespaceConfig config, WriteToLogRequest request, Map<String, String> headers,
                       Map<String, String> attributes, long now) {
    if (request.getPayload().size() > config.maxPayloadBytes()) {
      throw invalid("payload is " + request.getPayload().size() + " bytes, over namespace " + config.name()
          + "'s max-payload-bytes of " + config.maxPayloadBytes());
    }
    if (utf8Length(request.getKey()) > MAX_KEY_BYTES) {
      throw invalid("key is longer than the limit of " + MAX_KEY_BYTES + " bytes");
    }
    if (utf8Length(request.getIdempotencyKey()) > MAX_KEY_BYTES) {
      throw invalid("idempotency_key is longer than the limit of " + MAX_KEY_BYTES + " bytes");
    }
    validateHeaders(headers);
    if (request.hasTarget() && !request.getTarget().getName().isEmpty()
        && config.target(request.getTarget().getName()).isEmpty()) {
      throw invalid("target.name " + Text.quote(request.getTarget().getName()) + " is not a target of namespace "
          + config.name() + "; its targets are " + config.targets().stream().map(t -> t.name()).toList());
    }
    validateAttributes(attributes);
    if (request.hasTarget() && request.getTarget().getName().isEmpty() && !attributes.isEmpty()) {
      throw invalid("target.attributes need target.name");
    }
    Lifecycle lifecycle = request.getLifecycle();
    if (lifecycle.getDelayMs() < 0) {
      throw invalid("lifecycle.delay_ms must not be negative, got " + lifecycle.getDelayMs());
    }
    if (lifecycle.getDelayMs() > MAX_DELAY_MS) {
      throw invalid("lifecycle.delay_ms must be at most " + MAX_DELAY_MS + " (ten years), got " + lifecycle.getDelayMs());
    }
    if (lifecycle.getDelayMs() > 0 && lifecycle.getDeliverAtMs() > 0) {
      throw invalid("lifecycle: set delay_ms or deliver_at_ms, not both");
    }
    if (lifecycle.getDeliverAtMs() < 0) {
      throw invalid("lifecycle.deliver_at_ms must not be negative, got " + lifecycle.getDeliverAtMs());
    }
    if (lifecycle.getDeliverAtMs() > now + MAX_DELAY_MS) {
      throw invalid("lifecycle.deliver_at_ms must be at most ten years (" + MAX_DELAY_MS + " ms) from now, got "
          + lifecycle.getDeliverAtMs() + " (" + instant(lifecycle.getDeliverAtMs()) + ")");
    }
    if (lifecycle.getWriteTimeMs() < 0) {
      throw invalid("lifecycle.write_time_ms must not be negative, got " + lifecycle.getWriteTimeMs());
    }
    if (lifecycle.getWriteTimeMs() > now + MAX_WRITE_TIME_AHEAD_MS) {
      throw invalid("lifecycle.write_time_ms is " + lifecycle.getWriteTimeMs() + " (" + instant(lifecycle.getWriteTimeMs())
          + "), more than " + MAX_WRITE_TIME_AHEAD_MS + " ms ahead of this node's clock; a write time is when the write"
          + " happened: leave it 0 to use the node's clock");
    }
  }

  private static void validateHeaders(java.util.Map<String, String> headers) {
    if (headers.isEmpty()) {
      return; // most writes carry none: not even an iterator over an empty protobuf map
    }
    if (headers.size() > MAX_HEADERS) {
      throw invalid("headers has " + headers.size() + " entries, over the limit of " + MAX_HEADERS);
    }
    long total = 0;
    for (java.util.Map.Entry<String, String> header : headers.entrySet()) {
      int nameBytes = utf8Length(header.getKey());
      int valueBytes = utf8Length(header.getValue());
      if (nameBytes > MAX_HEADER_NAME_BYTES) {
        throw invalid("a header name is " + nameBytes + " bytes, over the limit of " + MAX_HEADER_NAME_BYTES + ": " + Text.quote(header.getKey()));
      }
      if (!TOKEN.matcher(header.getKey()).matches()) {
        throw invalid("header name " + Text.quote(header.getKey()) + " is not an HTTP token (letters, digits and !#$%&'*+.^_`|~-)");
      }
      if (valueBytes > MAX_HEADER_VALUE_BYTES) {
        throw invalid("header " + Text.quote(header.getKey()) + " has a value of " + valueBytes + " bytes, over the limit of "
            + MAX_HEADER_VALUE_BYTES);
      }
      if (header.getValue().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        throw invalid("header " + Text.quote(header.getKey()) + " has a value with CR, LF or NUL, which no target may receive");
      }
      total += nameBytes + valueBytes;
    }
    if (total > MAX_HEADERS_TOTAL_BYTES) {
      throw invalid("headers add up to " + total + " bytes, over the limit of " + MAX_HEADERS_TOTAL_BYTES);
    }
  }

  private static void validateAttributes(java.util.Map<String, String> attributes) {
    if (attributes.isEmpty()) {
      return;
    }
    if (attributes.size() > MAX_ATTRIBUTES) {
      throw invalid("target.attributes has " + attributes.size() + " entries, over the limit of " + MAX_ATTRIBUTES);
    }
    for (java.util.Map.Entry<String, String> attribute : attributes.entrySet()) {
      if (utf8Length(attribute.getKey()) > MAX_ATTRIBUTE_NAME_BYTES) {
        throw invalid("a target.attributes name is over the limit of " + MAX_ATTRIBUTE_NAME_BYTES + " bytes: " + Text.quote(attribute.getKey()));
      }
      if (utf8Length(attribute.getValue()) > MAX_ATTRIBUTE_VALUE_BYTES) {
        throw invalid("target.attributes " + Text.quote(attribute.getKey()) + " has a value over the limit of "
            + MAX_ATTRIBUTE_VALUE_BYTES + " bytes");
      }
      if (attribute.getKey().chars().anyMatch(c -> c < 0x20 || c == 0x7f)
          || attribute.getValue().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        throw invalid("target.attributes " + Text.quote(attribute.getKey()) + " has control characters (CR, LF or NUL)");
      }
    }
  }

  /**
   * How many bytes {@code text.getBytes(UTF_8)} would be, counted without encoding it: this runs for the key, the
   * idempotency key, each header and attribute of every write, and encoding allocated an array each time (6 % of the
   * node's CPU under batched writes). An unpaired surrogate counts 1, as the encoder writes it as '?'.
   */
  static int utf8Length(String text) {
    int chars = text.length();
    if (chars > 4 * MAX_HEADERS_TOTAL_BYTES) {
      return Integer.MAX_VALUE / 2; // no need to count a huge string to know
    }
    int bytes = 0;
    for (int i = 0; i < chars; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += Character.isSurrogate(c) ? 1 : 3;
      }
    }
    return bytes;
  }

  private static String instant(long epochMs) {
    try {
      return java.time.Instant.ofEpochMilli(epochMs).toString();
    } catch (java.time.DateTimeException e) {
      return "out of range";
    }
  }

  /** When the entry is due: the requested instant, or write time + delay (write time: as given, else now). */
  static long dueAt(Lifecycle lifecycle, long now) {
    if (lifecycle.getDeliverAtMs() > 0) {
      return lifecycle.getDeliverAtMs();
    }
    long writeTime = lifecycle.getWriteTimeMs() > 0 ? lifecycle.getWriteTimeMs() : now;
    return writeTime + lifecycle.getDelayMs();
  }

  private static Refusal invalid(String message) {
    return new Refusal(WriteFailure.INVALID_ARGUMENT, message);
  }
}

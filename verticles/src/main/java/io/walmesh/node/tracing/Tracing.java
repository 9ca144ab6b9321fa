package io.walmesh.node.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenTelemetry spans for one write's life, off unless the node config has {@code tracing}
 * ({@link TracingOptions}): {@code walmesh.write} (the gateway's answer to one WriteToLog, a child of the caller's
 * W3C {@code traceparent} when it sent one), {@code walmesh.append} (the owner's append to the backend, a child of
 * the write) and one {@code walmesh.deliver} per delivery attempt to each target (children of the write, however
 * much later and on whichever node they run). The write's context is stored with the entry (its
 * {@code traceparent} header), and each attempt's context is the {@code traceparent} the target receives, so an
 * HTTP service or a Kafka consumer continues the trace.
 *
 * <p>When tracing is off, {@link #OFF} creates no spans and adds no header.
 */
public final class Tracing {
  public static final String TRACEPARENT = "traceparent";
  public static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("walmesh.namespace");
  public static final AttributeKey<String> ENTRY = AttributeKey.stringKey("walmesh.entry_id");
  public static final AttributeKey<String> TARGET = AttributeKey.stringKey("walmesh.target");
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("walmesh.attempt");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("walmesh.outcome");
  public static final Tracing OFF = new Tracing(null);

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };
  private static final TextMapSetter<Map<String, String>> TO_MAP = (carrier, key, value) -> carrier.put(key, value);

  private final Tracer tracer;

  private Tracing(Tracer tracer) {
    this.tracer = tracer;
  }

  public static Tracing with(OpenTelemetry openTelemetry) {
    return new Tracing(openTelemetry.getTracer("io.walmesh.node"));
  }

  public boolean enabled() {
    return tracer != null;
  }

  /** The gateway's span for one write; {@code traceparent} is the caller's, or null. */
  public Span write(String namespace, String traceparent) {
    return start("walmesh.write", SpanKind.SERVER, traceparent).setAttribute(NAMESPACE, namespace);
  }

  /** The owner's append of one entry, a child of the write whose context is {@code traceparent}. */
  public Span append(String namespace, String traceparent) {
    return start("walmesh.append", SpanKind.INTERNAL, traceparent).setAttribute(NAMESPACE, namespace);
  }

  /** One delivery attempt of an entry to one target, a child of the entry's write. */
  public Span deliver(String namespace, String entryId, String target, int attempt, String traceparent) {
    return start("walmesh.deliver", SpanKind.PRODUCER, traceparent).setAttribute(NAMESPACE, namespace)
        .setAttribute(ENTRY, entryId).setAttribute(TARGET, target).setAttribute(ATTEMPT, (long) attempt);
  }

  private Span start(String name, SpanKind kind, String traceparent) {
    if (tracer == null) {
      return Span.getInvalid();
    }
    Context parent = traceparent == null ? Context.root()
        : W3C.extract(Context.root(), Map.of(TRACEPARENT, traceparent), FROM_MAP);
    return tracer.spanBuilder(name).setSpanKind(kind).setParent(parent).startSpan();
  }

  /** The W3C {@code traceparent} of {@code span} (its sampled flag included), or null when tracing is off. */
  public static String traceparent(Span span) {
    if (!span.getSpanContext().isValid()) {
      return null;
    }
    Map<String, String> carrier = new HashMap<>(2);
    W3C.inject(Context.root().with(span), carrier, TO_MAP);
    return carrier.get(TRACEPARENT);
  }

  /** Ends {@code span} with the outcome: {@code ok} leaves the status unset, anything else is an error. */
  public static void end(Span span, boolean ok, String outcome, String detail) {
    span.setAttribute(OUTCOME, outcome);
    if (!ok) {
      span.setStatus(StatusCode.ERROR, detail == null ? outcome : detail);
    }
    span.end();
  }
}

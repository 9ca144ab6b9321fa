package io.walmesh.node.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.URI;
import java.util.Set;

/**
 * The node config's {@code tracing} section; absent means tracing is off.
 *
 * <pre>
 * "tracing": {
 *   "otlp-endpoint": "http://otel-collector:4318/v1/traces",   required: where spans go (OTLP over HTTP, protobuf)
 *   "sample-ratio": 1.0,                                      0 - 1 of new traces recorded (default 1.0)
 *   "service-name": "walmesh"                                 the service.name resource attribute
 * }
 * </pre>
 *
 * A caller's {@code traceparent} links its trace, but does not make this node record more than
 * {@code sample-ratio} of the traces callers start.
 */
public record TracingOptions(String otlpEndpoint, double sampleRatio, String serviceName) {
  private static final Set<String> FIELDS = Set.of("otlp-endpoint", "sample-ratio", "service-name");

  public static TracingOptions read(ConfigReader reader) {
    reader.rejectUnknown(FIELDS);
    String endpoint = reader.requireString("otlp-endpoint");
    URI uri;
    try {
      uri = URI.create(endpoint);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(reader.field("otlp-endpoint"), "not a URL: " + e.getMessage());
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigException(reader.field("otlp-endpoint"), "must be an http:// or https:// URL of an OTLP/HTTP"
          + " traces endpoint, e.g. http://otel-collector:4318/v1/traces; got " + endpoint);
    }
    double ratio = reader.optDouble("sample-ratio", 1.0, 0.0, 1.0);
    return new TracingOptions(endpoint, ratio, reader.optString("service-name", "walmesh"));
  }

  /** An SDK exporting to {@link #otlpEndpoint()} in batches; close it when the node stops. */
  public OpenTelemetrySdk sdk(String nodeId) {
    Sampler root = Sampler.traceIdRatioBased(sampleRatio);
    Sampler sampler = Sampler.parentBasedBuilder(root).setRemoteParentSampled(root).build();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.builder()
            .put("service.name", serviceName).put("service.instance.id", nodeId).build())))
        .setSampler(sampler)
        .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(otlpEndpoint).build())
            .build())
        .build();
    return OpenTelemetrySdk.builder().setTracerProvider(provider).build();
  }

}

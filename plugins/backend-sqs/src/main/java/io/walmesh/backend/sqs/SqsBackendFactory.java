package io.walmesh.backend.sqs;

import io.vertx.core.Future;
import io.walmesh.backend.support.IdempotentBackendFactory;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClientBuilder;

/** The {@code sqs} backend type; see {@link SqsBackendOptions} for its config. */
public final class SqsBackendFactory extends IdempotentBackendFactory {
  public static final String TYPE = "sqs";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public void validate(BackendSpec spec) {
    if (spec.orderedByKey()) {
      throw new ConfigException("ordering", "the sqs backend cannot keep per-key order (SQS standard queues do not"
          + " order messages); use \"none\", or the local backend");
    }
    SqsBackendOptions options = new SqsBackendOptions(new ConfigReader(spec.config(), spec.configPath()));
    if (options.endpoint != null) {
      try {
        URI uri = new URI(options.endpoint);
        if (uri.getScheme() == null || uri.getHost() == null) {
          throw new IllegalArgumentException("no scheme or host");
        }
      } catch (Exception e) {
        throw new ConfigException(spec.configPath() + ".endpoint", "not a URL: " + options.endpoint);
      }
    }
  }

  /** The same queues, region and endpoint, and the same directory of offloaded payloads; tuning may change. */
  @Override
  public boolean sameStore(BackendSpec before, BackendSpec after) {
    SqsBackendOptions was = new SqsBackendOptions(new ConfigReader(before.config(), before.configPath()));
    SqsBackendOptions is = new SqsBackendOptions(new ConfigReader(after.config(), after.configPath()));
    return java.util.Objects.equals(was.queue, is.queue) && java.util.Objects.equals(was.dlqQueue, is.dlqQueue)
        && java.util.Objects.equals(was.region, is.region) && java.util.Objects.equals(was.endpoint, is.endpoint)
        && java.util.Objects.equals(was.payloadStoreDir, is.payloadStoreDir);
  }

  @Override
  public Future<Backend> open(BackendSpec spec) {
    SqsBackendOptions options = new SqsBackendOptions(new ConfigReader(spec.config(), spec.configPath()));
    SqsAsyncClientBuilder builder = SqsAsyncClient.builder()
        .region(Region.of(options.region))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder());
    if (options.endpoint != null) {
      builder.endpointOverride(URI.create(options.endpoint));
    }
    builder.credentialsProvider(options.accessKeyId != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(options.accessKeyId, options.secretAccessKey))
        : DefaultCredentialsProvider.builder().build());
    SqsAsyncClient client = builder.build();
    Path payloads = options.payloadStoreDir != null ? Path.of(options.payloadStoreDir)
        : context().dataDir().resolve("payloads");
    return context().vertx().executeBlocking(() -> new PayloadStore(payloads.resolve(spec.namespace())))
        .compose(store -> new SqsBackend(context().vertx(), client, options, spec, store, idempotency()).open())
        .onFailure(e -> context().vertx().executeBlocking(() -> {
          client.close(); // waits out the SDK's 2 s quiet period: not on the event loop
          return null;
        }));
  }
}

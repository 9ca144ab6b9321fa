package io.walmesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The SQS baseline: a plain {@link SqsAsyncClient} producer on the same server, and a hand-written
 * consumer (receive up to 10, POST each to the sink, delete) with receive loops enough to keep
 * {@code concurrency} deliveries in flight.
 */
final class SqsBaseline implements AutoCloseable {
  private final Vertx vertx;
  private final SqsAsyncClient sqs;
  private final HttpClient http;
  private final int sinkPort;
  private final int concurrency;
  private final Map<String, String> urls = new ConcurrentHashMap<>();
  private volatile boolean consuming;

  SqsBaseline(Vertx vertx, String endpoint, int sinkPort, int concurrency) {
    this.vertx = vertx;
    this.sinkPort = sinkPort;
    this.concurrency = concurrency;
    this.sqs = SqsAsyncClient.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()).build();
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(concurrency));
  }

  private Future<String> url(String queue) {
    String known = urls.get(queue);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return Future.fromCompletionStage(sqs.createQueue(b -> b.queueName(queue))).map(r -> {
      urls.put(queue, r.queueUrl());
      return r.queueUrl();
    });
  }

  /** Sends one message; {@code delaySeconds} as walmesh would set it for the same entry. */
  Future<Void> send(String queue, byte[] payload, int delaySeconds) {
    String body = Base64.getEncoder().encodeToString(payload);
    return url(queue).compose(url -> Future.fromCompletionStage(sqs.sendMessage(b -> b.queueUrl(url).messageBody(body)
            .delaySeconds(delaySeconds))))
        .mapEmpty();
  }

  /** Empties {@code queue} (PurgeQueue; ElasticMQ purges at once, real SQS at most once a minute). */
  Future<Void> purge(String queue) {
    return url(queue).compose(url -> Future.fromCompletionStage(sqs.purgeQueue(b -> b.queueUrl(url)))).mapEmpty();
  }

  void startConsumer(String queue) {
    startConsumer(queue, Math.max(1, concurrency / 10));
  }

  /** {@code receivers} long polls (1 s) on the queue at all times, each POSTing what it receives to the sink. */
  void startConsumer(String queue, int receivers) {
    consuming = true;
    url(queue).onSuccess(url -> {
      for (int i = 0; i < receivers; i++) {
        vertx.runOnContext(v -> receive(url));
      }
    });
  }

  private void receive(String url) {
    if (!consuming) {
      return;
    }
    Future.fromCompletionStage(sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)),
        vertx.getOrCreateContext()).compose(response -> {
          List<Future<?>> deliveries = new ArrayList<>();
          for (Message message : response.messages()) {
            byte[] payload = Base64.getDecoder().decode(message.body());
            deliveries.add(http.request(HttpMethod.POST, sinkPort, "127.0.0.1", "/apply")
                .compose(req -> req.send(Buffer.buffer(payload)))
                .compose(resp -> resp.body())
                .compose(b -> Future.fromCompletionStage(sqs.deleteMessage(d -> d.queueUrl(url)
                    .receiptHandle(message.receiptHandle())))));
          }
          return Future.join(deliveries);
        }).onComplete(ar -> receive(url));
  }

  @Override
  public void close() {
    consuming = false;
    http.close();
    sqs.close();
  }
}

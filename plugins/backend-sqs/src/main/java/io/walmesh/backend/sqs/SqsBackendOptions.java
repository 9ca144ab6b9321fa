package io.walmesh.backend.sqs;

import io.walmesh.spi.config.ConfigReader;
import java.util.Set;

/**
 * The {@code backend.config} of an {@code sqs} namespace.
 * <ul>
 *   <li>{@code wal-queue} (required): the queue name; created when missing.</li>
 *   <li>{@code wal-dlq-queue}: the DLQ queue name, default {@code <wal-queue>-dlq}.</li>
 *   <li>{@code region} (default {@code us-east-1}), {@code endpoint} (e.g. an ElasticMQ URL),
 *       {@code access-key-id} / {@code secret-access-key} (default: the AWS default credentials chain).</li>
 *   <li>{@code queue.max-messages-per-poll}: 1-10, default 10.</li>
 *   <li>{@code wait-time-secs}: long-poll wait of a receive, 0-20, default 1.</li>
 *   <li>{@code visibility-timeout-secs}: how long a received entry stays leased; an entry not settled
 *       in that time (the node died) is received again. Default 60.</li>
 *   <li>{@code max-native-delay-secs}: SQS's delay cap, default 900; longer delays are re-enqueued.</li>
 *   <li>{@code max-message-bytes}: SQS's message size limit, default 262144; larger entries keep their
 *       payload in the payload store.</li>
 *   <li>{@code counts-lag-secs}: how long after this node's last send to a queue a fresh count (for a delete or a
 *       move without force) is refused as not yet trustworthy, default 60: Amazon SQS's counts are approximate and
 *       lag a send by up to a minute. 0 where the counts are exact (ElasticMQ).</li>
 *   <li>{@code payload-store-dir}: where out-of-line payloads live, default
 *       {@code <data-dir>/plugins/sqs/payloads}; in a mesh this must be a mount all nodes share.</li>
 * </ul>
 */
final class SqsBackendOptions {
  static final Set<String> FIELDS = Set.of("wal-queue", "wal-dlq-queue", "region", "endpoint", "access-key-id",
      "secret-access-key", "queue.max-messages-per-poll", "wait-time-secs", "visibility-timeout-secs",
      "max-native-delay-secs", "max-message-bytes", "payload-store-dir", "max-sends-in-flight", "counts-lag-secs");

  final String queue;
  final String dlqQueue;
  final String region;
  final String endpoint;
  final String accessKeyId;
  final String secretAccessKey;
  final int maxMessagesPerPoll;
  final int waitTimeSecs;
  final int visibilityTimeoutSecs;
  final int maxNativeDelaySecs;
  final int maxMessageBytes;
  /** {@code SendMessageBatch} calls in flight per namespace and node; writes that queue meanwhile share the next call. */
  final int maxSendsInFlight;
  /** A fresh count within this long of this node's last send is refused ({@code counts-lag-secs}, in ms). */
  final long countsLagMs;
  final String payloadStoreDir;

  SqsBackendOptions(ConfigReader reader) {
    reader.rejectUnknown(FIELDS);
    queue = reader.requireString("wal-queue");
    dlqQueue = reader.optString("wal-dlq-queue", queue + "-dlq");
    region = reader.optString("region", "us-east-1");
    endpoint = reader.optString("endpoint", null);
    accessKeyId = reader.optString("access-key-id", null);
    secretAccessKey = reader.optString("secret-access-key", null);
    if ((accessKeyId == null) != (secretAccessKey == null)) {
      throw new io.walmesh.spi.config.ConfigException(reader.field(accessKeyId == null ? "access-key-id" : "secret-access-key"),
          "access-key-id and secret-access-key go together");
    }
    maxMessagesPerPoll = reader.optInt("queue.max-messages-per-poll", 10, 1, 10);
    waitTimeSecs = reader.optInt("wait-time-secs", 1, 0, 20);
    visibilityTimeoutSecs = reader.optInt("visibility-timeout-secs", 60, 1, 43_200);
    maxNativeDelaySecs = reader.optInt("max-native-delay-secs", 900, 1, 900);
    maxMessageBytes = reader.optInt("max-message-bytes", 262_144, 1024, 262_144);
    // at most the SDK's 50 connections, so the other calls (receive, delete) always find one
    maxSendsInFlight = reader.optInt("max-sends-in-flight", 16, 1, 40);
    countsLagMs = reader.optInt("counts-lag-secs", 60, 0, 600) * 1000L;
    payloadStoreDir = reader.optString("payload-store-dir", null);
  }
}

package io.walmesh.backend.kafka;

import io.walmesh.kafka.support.KafkaSender;

import io.vertx.core.Future;
import io.walmesh.backend.support.IdempotentBackendFactory;
import io.walmesh.backend.support.IdempotentAppends;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.config.ConfigReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The {@code kafka} backend type; see {@link KafkaBackendOptions} for its config. */
public final class KafkaBackendFactory extends IdempotentBackendFactory {
  public static final String TYPE = "kafka";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public void validate(BackendSpec spec) {
    new KafkaBackendOptions(new ConfigReader(spec.config(), spec.configPath()), spec.namespace());
  }

  /**
   * The same cluster (a broker in common), topics (the main, DLQ and delay-tier topics) and consumer group (another
   * group starts from its own offsets, which may be past the stored entries); clients' settings and tuning may change.
   */
  @Override
  public boolean sameStore(BackendSpec before, BackendSpec after) {
    KafkaBackendOptions was = new KafkaBackendOptions(new ConfigReader(before.config(), before.configPath()), before.namespace());
    KafkaBackendOptions is = new KafkaBackendOptions(new ConfigReader(after.config(), after.configPath()), after.namespace());
    java.util.Set<String> brokers = brokers(was.bootstrapServers);
    brokers.retainAll(brokers(is.bootstrapServers));
    return !brokers.isEmpty() && was.topic.equals(is.topic) && was.dlqTopic.equals(is.dlqTopic)
        && was.delayTiersSecs.equals(is.delayTiersSecs) && was.consumerGroup.equals(is.consumerGroup);
  }

  private static java.util.Set<String> brokers(String bootstrapServers) {
    java.util.Set<String> brokers = new java.util.HashSet<>();
    for (String broker : bootstrapServers.split(",")) {
      if (!broker.isBlank()) {
        brokers.add(broker.trim().toLowerCase(java.util.Locale.ROOT));
      }
    }
    return brokers;
  }

  @Override
  public Future<Backend> open(BackendSpec spec) {
    KafkaBackendOptions options = new KafkaBackendOptions(new ConfigReader(spec.config(), spec.configPath()), spec.namespace());
    String clientId = "walmesh-" + context().nodeId() + "-" + spec.namespace();
    List<AutoCloseable> opened = new ArrayList<>();
    return context().vertx().executeBlocking(() -> {
      Admin admin = Admin.create(adminConfig(options, clientId));
      opened.add(admin);
      List<TopicPartition> queuePartitions = ensureTopics(admin, options);
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(options, clientId, options.consumerGroup),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      opened.add(consumer);
      KafkaConsumer<byte[], byte[]> dlqConsumer = new KafkaConsumer<>(consumerConfig(options, clientId + "-dlq",
          options.consumerGroup + ".dlq"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      opened.add(dlqConsumer);
      KafkaConsumer<byte[], byte[]> dlqReader = reader(options, clientId + "-dlq-reader");
      opened.add(dlqReader);
      return new Object[] {admin, consumer, dlqConsumer, queuePartitions, dlqReader};
    }).compose(parts -> {
      KafkaSender producer = new KafkaSender(context().vertx(), producerConfig(options, clientId), spec.namespace());
      opened.add(() -> producer.close(java.time.Duration.ofSeconds(5)));
      @SuppressWarnings("unchecked")
      KafkaBackend backend = new KafkaBackend(context().vertx(), spec, options, producer, (Admin) parts[0],
          (KafkaConsumer<byte[], byte[]>) parts[1], (KafkaConsumer<byte[], byte[]>) parts[2],
          (KafkaConsumer<byte[], byte[]>) parts[4], new IdempotentAppends(context().vertx(), idempotency(), spec), (List<TopicPartition>) parts[3]);
      return backend.open().onFailure(e -> backend.close());
    }).recover(e -> {
      for (AutoCloseable c : opened) {
        try {
          c.close();
        } catch (Exception ignored) {
          // best effort: the open already failed
        }
      }
      return Future.failedFuture(new IllegalStateException("cannot open Kafka topic " + options.topic + " at "
          + options.bootstrapServers + ": " + rootMessage(e), e));
    });
  }

  /** Creates the namespace's topics that are missing; answers the partitions of the queue and delay topics. */
  private static List<TopicPartition> ensureTopics(Admin admin, KafkaBackendOptions options) throws Exception {
    List<String> queueTopics = new ArrayList<>();
    queueTopics.add(options.topic);
    options.delayTiersSecs.forEach(t -> queueTopics.add(options.tierTopic(t)));
    List<String> all = new ArrayList<>(queueTopics);
    all.add(options.dlqTopic);
    Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
    List<NewTopic> missing = new ArrayList<>();
    for (String topic : all) {
      if (!existing.contains(topic)) {
        int partitions = topic.equals(options.dlqTopic) ? 1 : options.partitions;
        missing.add(new NewTopic(topic, Optional.of(partitions),
            options.replicationFactor < 0 ? Optional.empty() : Optional.of(options.replicationFactor)));
      }
    }
    if (!missing.isEmpty()) {
      try {
        admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e; // another node creating them at the same time is fine
        }
      }
    }
    List<TopicPartition> partitions = new ArrayList<>();
    describeWhenReady(admin, all, 15_000).forEach((name, d) -> {
      if (queueTopics.contains(name)) {
        d.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
      }
    });
    return partitions;
  }

  /**
   * Describes the topics once every partition has a leader. A topic just created is known to the
   * controller before every broker's metadata has it: a broker answers "does not host this
   * topic-partition" (a retriable error) or a partition without a leader for a short while, so this
   * asks again until {@code timeoutMs} has passed.
   */
  static Map<String, TopicDescription> describeWhenReady(Admin admin, List<String> topics, long timeoutMs)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      String waitingFor;
      try {
        Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
            .get(timeoutMs, TimeUnit.MILLISECONDS);
        waitingFor = described.values().stream()
            .filter(d -> d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty()))
            .map(TopicDescription::name).findFirst().orElse(null);
        if (waitingFor == null) {
          return described;
        }
        waitingFor = "a leader for every partition of topic " + waitingFor;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw e;
        }
        waitingFor = e.getCause().getMessage();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + topics + " not ready after " + timeoutMs + " ms: " + waitingFor);
      }
      Thread.sleep(100);
    }
  }

  private static Map<String, Object> common(KafkaBackendOptions options, String clientId) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", options.bootstrapServers);
    config.put("client.id", clientId);
    return config;
  }

  private static Map<String, Object> adminConfig(KafkaBackendOptions options, String clientId) {
    Map<String, Object> config = common(options, clientId + "-admin");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    config.putAll(options.kafka);
    return config;
  }

  static Map<String, Object> producerConfig(KafkaBackendOptions options, String clientId) {
    Map<String, Object> config = common(options, clientId);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(5_000, options.deliveryTimeoutMs));
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(5_000, options.deliveryTimeoutMs - 10));
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    config.putAll(options.kafka);
    // the guarantees: stored on every in-sync replica, and a producer retry never duplicates or reorders
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, options.deliveryTimeoutMs);
    return config;
  }

  /** A consumer in no group, for reading a topic by time (replays); it commits nothing. */
  static KafkaConsumer<byte[], byte[]> reader(KafkaBackendOptions options, String clientId) {
    Map<String, Object> config = common(options, clientId);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    config.putAll(options.kafka);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(config, new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }

  private static Map<String, Object> consumerConfig(KafkaBackendOptions options, String clientId, String group) {
    Map<String, Object> config = common(options, clientId);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, options.sessionTimeoutMs);
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, options.sessionTimeoutMs / 3);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    config.putAll(options.kafka);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // the backend creates its topics when it opens; a consumer still polling a namespace just deleted on another node
    // must not create them again on a broker that creates topics on demand
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return config;
  }

  /** Kafka client properties that hold key material under names walmesh does not read as secret. */
  @Override
  public java.util.Set<String> secretFields() {
    return java.util.Set.of("kafka.ssl.keystore.key", "kafka.ssl.keystore.certificate.chain");
  }
}

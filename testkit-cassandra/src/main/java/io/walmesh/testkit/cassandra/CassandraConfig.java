package io.walmesh.testkit.cassandra;

import java.nio.file.Path;
import java.util.List;

/** The files and JVM flags of a single-node test Cassandra: small, local, fast to start, nothing kept. */
final class CassandraConfig {
  /** The JPMS flags of Cassandra 5.0's {@code conf/jvm17-server.options}. */
  static final List<String> JVM17_MODULE_FLAGS = List.of(
      "-Djdk.attach.allowAttachSelf=true",
      "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
      "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
      "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
      "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.base/java.io=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/java.util=ALL-UNNAMED",
      "-Dio.netty.tryReflectionSetAccessible=true",
      "-Dio.netty.allocator.useCacheForAllThreads=true",
      "-Dio.netty.allocator.maxOrder=11");

  private CassandraConfig() {
  }

  /** A {@code cassandra.yaml} for one node on 127.0.0.1, with every directory under {@code dir}. */
  static String yaml(Path dir, int cqlPort, int storagePort) {
    return """
        cluster_name: walmesh-test
        num_tokens: 1
        partitioner: org.apache.cassandra.dht.Murmur3Partitioner
        endpoint_snitch: SimpleSnitch
        seed_provider:
          - class_name: org.apache.cassandra.locator.SimpleSeedProvider
            parameters:
              - seeds: "127.0.0.1:%2$d"
        listen_address: 127.0.0.1
        rpc_address: 127.0.0.1
        storage_port: %2$d
        native_transport_port: %1$d
        start_native_transport: true
        auto_bootstrap: false
        data_file_directories:
          - %3$s
        commitlog_directory: %4$s
        saved_caches_directory: %5$s
        hints_directory: %6$s
        cdc_raw_directory: %7$s
        commitlog_sync: periodic
        commitlog_sync_period: 10000ms
        commitlog_segment_size: 8MiB
        authenticator: AllowAllAuthenticator
        authorizer: AllowAllAuthorizer
        role_manager: CassandraRoleManager
        disk_failure_policy: stop
        commit_failure_policy: stop
        key_cache_size: 0MiB
        concurrent_compactors: 1
        compaction_throughput: 0MiB/s
        dynamic_snitch: false
        """.formatted(cqlPort, storagePort, dir.resolve("data"), dir.resolve("commitlog"), dir.resolve("saved_caches"),
        dir.resolve("hints"), dir.resolve("cdc_raw"));
  }

  /** A logback config: INFO and up to standard output, which the parent sends to a log file. */
  static String logback() {
    return """
        <configuration>
          <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
          </appender>
          <root level="INFO"><appender-ref ref="STDOUT"/></root>
        </configuration>
        """;
  }
}

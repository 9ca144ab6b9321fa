package io.walmesh.target.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.ColumnDefinitions;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import io.vertx.cassandra.CassandraClient;
import io.vertx.cassandra.CassandraClientOptions;
import io.vertx.core.Future;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Applies each delivery's {@link CassandraMutation} with prepared statements, every one
 * {@code USING TIMESTAMP} of the entry's write time in microseconds: a redelivered entry rewrites
 * the same cells with the same timestamp, and an older entry loses to a newer one cell by cell,
 * whatever the order of arrival. A batch payload is one logged batch. The session is opened on the
 * first delivery (on a worker thread, never an event loop) and opened again after a failure; a
 * refused statement goes to the DLQ, everything else is retried (see {@link CassandraFailures}).
 */
final class CassandraTarget implements Target {
  /** Prepared statements kept per target; the least recently used beyond this are prepared again. */
  static final int PREPARED_CACHE_SIZE = 1_024;

  private final CassandraTargetOptions options;
  private final String name;
  private final Duration timeout;
  private final CassandraClient client;
  private final Map<String, Future<PreparedStatement>> prepared =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Future<PreparedStatement>> eldest) {
          return size() > PREPARED_CACHE_SIZE;
        }
      };
  private Future<Void> connected;

  CassandraTarget(PluginContext context, String name, CassandraTargetOptions options) {
    this.options = options;
    this.name = name;
    this.timeout = Duration.ofMillis(options.timeoutMs);
    // lazy: no connection is opened until the first delivery
    this.client = CassandraClient.create(context.vertx(), clientOptions(name, options));
  }

  /** The driver's settings: contact points, data center, credentials, keyspace and every timeout. */
  static CassandraClientOptions clientOptions(String name, CassandraTargetOptions options) {
    Duration timeout = Duration.ofMillis(options.timeoutMs);
    ClassLoader loader = CassandraTarget.class.getClassLoader();
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder(loader)
        .withString(DefaultDriverOption.SESSION_NAME, "walmesh-" + name)
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, options.consistency.name())
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, timeout)
        // close in milliseconds, not the driver's default 2 s quiet period: targets close on every namespace update
        .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
        .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
        .build();
    CqlSessionBuilder builder = CqlSession.builder()
        .withClassLoader(loader)
        .withConfigLoader(config)
        .withLocalDatacenter(options.localDatacenter)
        .addContactPoints(options.contactPoints);
    if (options.keyspace != null) {
      builder.withKeyspace(options.keyspace);
    }
    if (options.username != null) {
      builder.withAuthCredentials(options.username, options.password);
    }
    return new CassandraClientOptions(builder);
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    CassandraMutation.Parsed parsed;
    try {
      parsed = CassandraMutation.parse(delivery.payload(), Math.multiplyExact(delivery.writeTimeMs(), 1_000L),
          options.keyspace);
    } catch (DeliveryException e) {
      return Future.failedFuture(DeliveryException.permanent(label() + ": " + e.getMessage()));
    }
    List<CqlStatement> statements = parsed.statements();
    for (CqlStatement statement : statements) {
      if (!options.tableAllowed(statement.table())) {
        return Future.failedFuture(DeliveryException.permanent(label() + ": " + statement.what() + " writes "
            + (statement.table() == null ? "a table of no keyspace" : "a table") + " not in the target's allowed-tables "
            + options.allowedTables));
      }
    }
    String what = switch (parsed.mode()) {
      case SINGLE -> statements.get(0).what();
      case BATCH -> "batch of " + statements.size();
      case SEQUENCE -> "sequence of " + statements.size();
    };
    // every statement is prepared (checked by Cassandra) before the first runs: a sequence with a
    // bad statement is refused before any of it is applied
    return connect()
        .compose(v -> prepareAll(statements))
        .compose(ready -> parsed.mode() == CassandraMutation.Mode.SEQUENCE ? inOrder(parsed, ready)
            : client.execute(statement(parsed, ready)).mapEmpty())
        .timeout((parsed.mode() == CassandraMutation.Mode.SEQUENCE ? statements.size() + 2 : 3) * options.timeoutMs,
            TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(CassandraFailures.classify(e, label() + " " + what, options.timeoutMs)));
  }

  private String label() {
    return "cassandra target " + name + " (" + options.displayContactPoints() + ")";
  }

  /** The session, opened once; a failed opening is tried again by the next delivery. */
  private synchronized Future<Void> connect() {
    if (connected == null || connected.failed()) {
      connected = client.metadata().mapEmpty();
    }
    return connected;
  }

  private Future<List<PreparedStatement>> prepareAll(List<CqlStatement> statements) {
    List<Future<PreparedStatement>> futures = new ArrayList<>();
    for (CqlStatement statement : statements) {
      futures.add(prepare(statement.cql()).recover(e -> Future.failedFuture(
          CassandraFailures.classify(e, label() + " " + statement.what(), options.timeoutMs))));
    }
    return Future.all(futures).map(all -> all.list());
  }

  /** The cached prepared statement of {@code cql}; a failed preparation is not kept. */
  private Future<PreparedStatement> prepare(String cql) {
    synchronized (prepared) {
      Future<PreparedStatement> cachedOrNew = prepared.get(cql);
      if (cachedOrNew == null || cachedOrNew.failed()) {
        Future<PreparedStatement> fresh = client.prepare(cql);
        prepared.put(cql, fresh);
        fresh.onFailure(e -> {
          synchronized (prepared) {
            prepared.remove(cql, fresh);
          }
        });
        cachedOrNew = fresh;
      }
      return cachedOrNew;
    }
  }

  /**
   * Runs a sequence's statements one after another; a failure stops it, and the retry runs it again
   * from the start: the statements already applied rewrite the same cells with the same timestamps.
   */
  private Future<Void> inOrder(CassandraMutation.Parsed parsed, List<PreparedStatement> ready) {
    // bind every statement first: a value that does not convert fails the set before any of it runs
    List<BoundStatement> bound = new ArrayList<>();
    for (int i = 0; i < ready.size(); i++) {
      bound.add(bind(parsed.statements().get(i), ready.get(i)));
    }
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < bound.size(); i++) {
      int index = i;
      chain = chain.compose(v -> client.execute(bound.get(index)).<Void>mapEmpty().recover(e -> Future.failedFuture(
          CassandraFailures.classify(e, label() + " sequence[" + index + "] " + parsed.statements().get(index).what(),
              options.timeoutMs))));
    }
    return chain;
  }

  private Statement<?> statement(CassandraMutation.Parsed parsed, List<PreparedStatement> ready) {
    List<BatchableStatement<?>> bound = new ArrayList<>();
    for (int i = 0; i < ready.size(); i++) {
      bound.add(bind(parsed.statements().get(i), ready.get(i)));
    }
    if (!parsed.batch()) {
      return bound.get(0);
    }
    return BatchStatement.newInstance(DefaultBatchType.LOGGED, bound)
        .setConsistencyLevel(options.consistency)
        .setTimeout(timeout);
  }

  /** Binds each value converted to its marker's type; a value that does not fit is a permanent failure. */
  private BoundStatement bind(CqlStatement statement, PreparedStatement ready) {
    ColumnDefinitions markers = ready.getVariableDefinitions();
    String where = label() + " " + statement.what();
    if (markers.size() != statement.values().size()) {
      throw DeliveryException.permanent(where + ": the statement has " + markers.size() + " bind markers but "
          + statement.values().size() + " values are given");
    }
    Object[] values = new Object[markers.size()];
    for (int i = 0; i < values.length; i++) {
      try {
        values[i] = CqlValues.convert(statement.values().get(i), markers.get(i).getType());
      } catch (CqlValues.Mismatch e) {
        throw DeliveryException.permanent(where + ": value for " + markers.get(i).getName().asCql(true) + ": "
            + e.getMessage());
      }
    }
    return ready.bind(values)
        .setConsistencyLevel(options.consistency)
        .setTimeout(timeout);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}

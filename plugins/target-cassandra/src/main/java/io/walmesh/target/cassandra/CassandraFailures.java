package io.walmesh.target.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.FunctionFailureException;
import com.datastax.oss.driver.api.core.servererrors.QueryExecutionException;
import com.datastax.oss.driver.api.core.servererrors.QueryValidationException;
import com.datastax.oss.driver.api.core.type.codec.CodecNotFoundException;
import io.walmesh.spi.target.DeliveryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * Sorts driver failures into retryable and permanent ones.
 *
 * <ul>
 *   <li>PERMANENT: Cassandra refused the statement itself ({@link QueryValidationException}: syntax
 *       errors, unknown column, a value of the wrong type, missing key parts, missing permission), a value that {@code fromJson()} cannot convert
 *       ({@link FunctionFailureException}), or a value the driver cannot bind.</li>
 *   <li>RETRYABLE: a keyspace or table that does not exist (yet: a schema change may still be on its
 *       way; the namespace's max-attempts bounds the wait), and everything else, notably
 *       unavailable replicas, timeouts, overload, failed connections and failed authentication (a
 *       config fix, not the entry, cures it).</li>
 * </ul>
 */
final class CassandraFailures {
  private CassandraFailures() {
  }

  /** The failure of a delivery described by {@code where}, with its kind. */
  static DeliveryException classify(Throwable e, String where, long timeoutMs) {
    Throwable cause = unwrap(e);
    if (cause instanceof DeliveryException known) {
      return known;
    }
    if (cause instanceof QueryValidationException missing && missingSchema(missing.getMessage())) {
      return DeliveryException.retryable(where + ": " + missing.getMessage() + " (retried: a schema change may still be"
          + " on its way; create it, or the entry goes to the DLQ after the namespace's max-attempts)");
    }
    if (cause instanceof QueryValidationException refused) {
      return DeliveryException.permanent(where + " refused by Cassandra: " + refused.getMessage());
    }
    if (cause instanceof FunctionFailureException failed) {
      return DeliveryException.permanent(where + " refused by Cassandra (a value does not convert): "
          + failed.getMessage());
    }
    if (cause instanceof CodecNotFoundException || cause instanceof IllegalArgumentException) {
      return DeliveryException.permanent(where + ": cannot bind a value: " + cause.getMessage());
    }
    if (cause instanceof TimeoutException || cause instanceof DriverTimeoutException) {
      return DeliveryException.retryable(where + ": no answer within " + timeoutMs + " ms (" + cause.getMessage() + ")");
    }
    if (cause instanceof AllNodesFailedException unreachable) {
      return DeliveryException.retryable(where + ": cannot reach Cassandra: " + unreachable.getMessage());
    }
    if (cause instanceof QueryExecutionException failed) {
      return DeliveryException.retryable(where + " failed in Cassandra: " + failed.getMessage());
    }
    return DeliveryException.retryable(where + " failed: " + cause);
  }

  /** Whether Cassandra refused a statement because its keyspace or table does not exist. */
  private static boolean missingSchema(String message) {
    String m = String.valueOf(message).toLowerCase(java.util.Locale.ROOT);
    return m.contains("unconfigured table") || (m.contains("does not exist")
        && (m.contains("table") || m.contains("keyspace")));
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}

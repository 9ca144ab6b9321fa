/**
 * A real Cassandra server for tests, run as a child JVM on a classpath computed at build time, so
 * that neither Cassandra nor its Netty 4.1 ever reaches the test's own classpath.
 */
package io.walmesh.testkit.cassandra;

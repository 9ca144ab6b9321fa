/**
 * The gateway: serves the {@code walmesh.v1.WriteAheadLog} gRPC service and routes each write over
 * the event bus to the producer that owns its namespace.
 */
package io.walmesh.node.gateway;

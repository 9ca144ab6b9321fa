/**
 * The walmesh wire contract beside the generated {@code io.walmesh.protocol.v1} messages: the
 * event-bus addresses of the write API and the failure codes both transports use.
 */
package io.walmesh.protocol;

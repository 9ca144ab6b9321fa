/**
 * The {@code walmesh} command line: {@code dev} and {@code start} run a node; the other commands
 * talk to a running node's admin API (namespaces, DLQ, health) or its gRPC gateway ({@code write}).
 */
package io.walmesh.node.cli;

/**
 * Who calls, and what they may do: caller identities (client certificates, bearer tokens),
 * per-namespace write and dead-letter permissions, admin roles, and the audit log.
 */
package io.walmesh.node.auth;

/**
 * The {@code http} target: POSTs each entry's payload to a URL with the entry's id, key, attempt
 * and headers; 2xx is delivered, a configured set of statuses is a permanent failure.
 */
package io.walmesh.target.http;

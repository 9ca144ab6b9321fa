package io.walmesh.spi.backend;

/**
 * The answer to a successful {@link Backend#append}.
 *
 * @param entryId the id of the stored entry
 * @param duplicate true when an earlier entry with the same idempotency key answered
 */
public record AppendResult(String entryId, boolean duplicate) {
}

/**
 * The {@code sqs} backend: a namespace's entries in an Amazon SQS queue (or any SQS-compatible
 * server), with a DLQ queue. Delays past SQS's native cap are honoured by re-enqueueing with the
 * remaining delay; payloads past the message size limit are kept out of line in a payload store.
 */
package io.walmesh.backend.sqs;

/**
 * How the client works inside: the retry loop ({@link io.walmesh.client.impl.RetryingCall}) and the
 * two transports behind {@link io.walmesh.client.impl.Transport}. Not public API: use
 * {@link io.walmesh.client.WalmeshClient}.
 */
package io.walmesh.client.impl;

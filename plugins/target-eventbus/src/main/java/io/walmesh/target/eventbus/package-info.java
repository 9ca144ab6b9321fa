/**
 * The {@code eventbus} target: sends each entry to a Vert.x event-bus address and waits for the
 * reply; a reply failure with a code from 400 to 499 is permanent.
 */
package io.walmesh.target.eventbus;

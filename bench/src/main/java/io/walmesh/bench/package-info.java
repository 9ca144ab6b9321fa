/**
 * The benchmark harness: drives walmesh and a hand-written baseline on the same backend, in the
 * same run, and reports each figure with the walmesh/baseline ratio. Not a test.
 */
package io.walmesh.bench;

/**
 * Real servers and helpers for walmesh tests: free ports, an HTTP sink that records deliveries and
 * can be told to fail, and walmesh nodes started as child processes that tests can kill -9. Also the
 * contract kits every backend and target runs ({@link io.walmesh.testkit.BackendContract},
 * {@link io.walmesh.testkit.TargetContract}), for this repository's plugins and third-party ones.
 */
package io.walmesh.testkit;

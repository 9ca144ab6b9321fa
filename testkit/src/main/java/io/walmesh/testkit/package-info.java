/**
 * Real servers and helpers for walmesh tests: free ports, an HTTP sink that records deliveries and
 * can be told to fail, and walmesh nodes started as child processes that tests can kill -9.
 */
package io.walmesh.testkit;

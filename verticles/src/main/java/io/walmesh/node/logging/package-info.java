/** Log output formats: the opt-in JSON lines for log pipelines. */
package io.walmesh.node.logging;

/**
 * Reading and validating plugin and namespace configuration. Every error names the field at fault
 * with its full path, e.g. {@code targets[0].config.url}.
 */
package io.walmesh.spi.config;

/**
 * An example walmesh target plugin: the {@code jsonl} target appends each delivered entry as one
 * JSON line to a file. Built as a plugin jar and hot-loaded into a running node; see docs/plugins.md.
 */
package com.example.walmesh.jsonl;

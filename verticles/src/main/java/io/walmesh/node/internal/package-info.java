/** Small building blocks shared by the node's packages; not an API. */
package io.walmesh.node.internal;

/**
 * TLS for the node's listeners (gRPC and admin) and its CLI clients: PEM options, certificate
 * reload, the SSL context of clients, and a development certificate authority ({@code walmesh certs create}).
 */
package io.walmesh.node.tls;

#!/bin/bash
# walmesh image entry point.
#   start (default)      run a node with $WALMESH_CONFIG (default /etc/walmesh/node.json)
#   healthcheck          exit 0 only if the node's admin API reports "status": "UP" (plain HTTP; over TLS
#                        when $WALMESH_HEALTH_CA names the CA that signed the node's certificate)
#   anything else        the walmesh command line (e.g. `write`, `certs create`, `--help`)
# $WALMESH_HOST defaults to this container's first IP address, for configs that say "${WALMESH_HOST}".
set -euo pipefail
jar=/opt/walmesh/walmesh-node.jar

if [ "${1:-start}" = healthcheck ]; then
  if [ -n "${WALMESH_HEALTH_CA:-}" ]; then
    # the admin API speaks TLS: ask with the CLI, trusting the node's CA (GET /v1/health needs no identity)
    java -XX:TieredStopAtLevel=1 -Xss512k -jar "$jar" health --admin "https://localhost:${WALMESH_ADMIN_PORT:-8080}" \
      --tls-ca "$WALMESH_HEALTH_CA" 2>/dev/null | grep -Eq '"status" *: *"UP"'
    exit $?
  fi
  exec 3<>"/dev/tcp/127.0.0.1/${WALMESH_ADMIN_PORT:-8080}"
  printf 'GET /v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  grep -Eq '"status" *: *"UP"' <&3
  exit $?
fi

if [ -z "${WALMESH_HOST:-}" ]; then
  WALMESH_HOST="$(hostname -i | awk '{print $1}')"
  export WALMESH_HOST
fi
export WALMESH_NODE_ID="${WALMESH_NODE_ID:-$(hostname)}"

if [ "${1:-start}" = start ]; then
  shift || true
  # shellcheck disable=SC2086
  exec java ${WALMESH_JAVA_OPTS:-} -jar "$jar" start --config "${WALMESH_CONFIG}" "$@"
fi
# shellcheck disable=SC2086
exec java ${WALMESH_JAVA_OPTS:-} -jar "$jar" "$@"

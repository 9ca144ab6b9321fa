#!/usr/bin/env bash
# Builds the Dockerfile's base images locally, for machines that cannot pull from a registry (CI here).
# A Debian bookworm root made with debootstrap, plus Debian's OpenJDK 17, tagged with the names the
# Dockerfile's FROM lines use, so `docker build -f docker/Dockerfile .` then needs no registry.
# Users with a registry do not need this: Docker pulls eclipse-temurin:17-jdk and :17-jre.
set -euo pipefail
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if docker image inspect eclipse-temurin:17-jdk eclipse-temurin:17-jre >/dev/null 2>&1; then
  echo "base-images: eclipse-temurin:17-jdk and :17-jre are present" >&2
  exit 0
fi
if ! docker image inspect localhost/debian:bookworm >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "base-images: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
  root="$(mktemp -d)"
  echo "base-images: debootstrap bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - localhost/debian:bookworm >/dev/null
fi
# The host's own extra CA certificates (a corporate or sandbox TLS proxy's) go into the base, so a Maven
# build inside `docker build` trusts what the host trusts.
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx" "${root:-}"' EXIT
mkdir -p "$ctx/ca"
cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
for kind in jdk jre; do
  echo "base-images: building eclipse-temurin:17-$kind from localhost/debian:bookworm + openjdk-17-$kind-headless" >&2
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM localhost/debian:bookworm
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates openjdk-17-$kind-headless >/dev/null && update-ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*
DOCKERFILE
  docker build --network host -q -t "localhost/walmesh-base:17-$kind" "$ctx" >/dev/null 2>&1 \
    || { echo "base-images: building localhost/walmesh-base:17-$kind failed" >&2; docker build --network host -t "localhost/walmesh-base:17-$kind" "$ctx" >&2; exit 1; }
  docker tag "localhost/walmesh-base:17-$kind" "eclipse-temurin:17-$kind"
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'eclipse-temurin|walmesh-base|debian' >&2

#!/usr/bin/env bash
# `bash tools/ci/buildx-builder.sh NAME` makes the buildx builder NAME (eks-delivery:images.builder)
# usable on this runner: @pulumi/docker-build looks a named builder up in the buildx store
# (pulumi/pulumi-docker-build@v0.0.22:provider/internal/host.go builderFor) and talks to it with its
# built-in remote driver, so no Docker daemon is needed; only the docker CLI with its buildx plugin
# writes the store entry. Run by the Deployment's pre-run commands (inside
# `pulumi env run <org>/<project>/buildkit`) and by the GitHub deploy jobs.
#   BUILDKIT_HOST                 the buildkitd endpoint, e.g. tcp://buildkit.build.internal:1234
#   BUILDKIT_CA_PEM, BUILDKIT_CERT_PEM, BUILDKIT_KEY_PEM
#                                 optional mTLS material (PEM text; all three or none)
# Remote driver options: https://docs.docker.com/build/builders/drivers/remote/
set -euo pipefail
name="${1:?usage: buildx-builder.sh BUILDER_NAME}"
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "buildx-builder: \"$name\" is not a buildx builder name" >&2; exit 2; }

if docker buildx inspect "$name" > /dev/null 2>&1; then
  echo "buildx builder $name is already registered"
else
  if [ -z "${BUILDKIT_HOST:-}" ]; then
    echo "buildx-builder: builder $name does not exist here and BUILDKIT_HOST is not set (see docs/private-clusters.md: a remote builder)" >&2
    exit 1
  fi
  opts=()
  if [ -n "${BUILDKIT_CA_PEM:-}${BUILDKIT_CERT_PEM:-}${BUILDKIT_KEY_PEM:-}" ]; then
    if [ -z "${BUILDKIT_CA_PEM:-}" ] || [ -z "${BUILDKIT_CERT_PEM:-}" ] || [ -z "${BUILDKIT_KEY_PEM:-}" ]; then
      echo "buildx-builder: set all of BUILDKIT_CA_PEM, BUILDKIT_CERT_PEM and BUILDKIT_KEY_PEM, or none" >&2
      exit 1
    fi
    # The store keeps paths, not contents: the files stay for the runner's lifetime.
    dir="${HOME}/.buildkit-tls/${name}"
    mkdir -p "$dir" && chmod 700 "$dir"
    printf '%s\n' "$BUILDKIT_CA_PEM" > "$dir/ca.pem"
    printf '%s\n' "$BUILDKIT_CERT_PEM" > "$dir/cert.pem"
    (umask 077 && printf '%s\n' "$BUILDKIT_KEY_PEM" > "$dir/key.pem")
    opts=(--driver-opt "cacert=$dir/ca.pem,cert=$dir/cert.pem,key=$dir/key.pem")
  fi
  docker buildx create --name "$name" --driver remote "${opts[@]}" "$BUILDKIT_HOST"
fi
# Fails here, with buildkitd's own error, when the endpoint cannot be reached.
docker buildx inspect --bootstrap "$name"

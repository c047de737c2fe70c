#!/usr/bin/env bash
# Builds the sandbox's Kubernetes half from the Go module proxy: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok. The binaries are cached outside the repo
# (see versions.sh) and not rebuilt when present. Cold: ~16-20 min on 2 cores, ~1 GB of modules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=$(cd "$here/../tools" && pwd)
. "$here/versions.sh"
log() { printf '[%s] sandbox build: %s\n' "$(date +%T)" "$*" >&2; }

need=()
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [ -x "$SANDBOX_BIN/$b" ] || need+=("$b")
done
if [ ${#need[@]} -eq 0 ]; then
  log "cached in $SANDBOX_BIN"
  exit 0
fi
mkdir -p "$SANDBOX_BIN"
# Build into a temporary folder and move into place, so an interrupted build never leaves a
# half-written binary that a later run would take for a good one.
tmp=$(mktemp -d "$SANDBOX_CACHE/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
t0=$SECONDS

# A ticker, so a CI log shows the long silent go build is alive.
( while sleep 60; do log "still building ($(( (SECONDS - t0) / 60 )) min)"; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null; rm -rf "$tmp"' EXIT

if [[ " ${need[*]} " == *" etcd "* ]]; then
  log "etcd v$ETCD_VERSION (1/3)"
  (cd "$tools/etcd" && go build -trimpath -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  mv "$tmp/etcd" "$SANDBOX_BIN/etcd"
fi
if [[ " ${need[*]} " == *" kube-"* ]]; then
  log "kube-apiserver, kube-controller-manager, kube-scheduler v$K8S_VERSION (2/3, the long one: ~12 min cold)"
  # Stamp the version so discovery reports v1.37.2 instead of v0.0.0-master.
  ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
  ldf="$ldf -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldf="$ldf -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$tools/k8s" && go build -trimpath -ldflags="$ldf" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
  mv "$tmp"/kube-* "$SANDBOX_BIN/"
fi
if [[ " ${need[*]} " == *" kwok "* ]]; then
  log "kwok v$KWOK_VERSION (3/3)"
  GOBIN="$tmp" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  mv "$tmp/kwok" "$SANDBOX_BIN/kwok"
fi
log "done in $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s: $SANDBOX_BIN"

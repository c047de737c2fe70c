# Versions of the sandbox's components, and where their binaries are cached.
# Sourced by the sandbox scripts; the cache folder is keyed by all three versions, so a bump
# builds into a new folder and an unchanged set is never rebuilt.
K8S_VERSION=1.37.2      # k8s.io/kubernetes; must match e2e/tools/k8s/go.mod
ETCD_VERSION=3.7.3      # go.etcd.io/etcd/server/v3; must match e2e/tools/etcd/go.mod
KWOK_VERSION=0.8.0      # sigs.k8s.io/kwok
SANDBOX_CACHE=${SHIPIT_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipit-sandbox}
SANDBOX_BIN=$SANDBOX_CACHE/bin/k8s-v$K8S_VERSION-etcd-v$ETCD_VERSION-kwok-v$KWOK_VERSION

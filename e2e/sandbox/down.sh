#!/usr/bin/env bash
# Stops the whole sandbox (ecssim, moto, then Kubernetes) by the PIDs up.sh recorded, checks
# that none of those processes, nor anything they started, is left, and removes .sandbox/env.
# Running it when the sandbox is down is fine. Certificates and logs stay in .sandbox/.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_lock

names=(ecssim moto kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

# Everything to be gone afterwards: each daemon and the members of its session.
leads=()
for n in "${names[@]}"; do
  if pid=$(daemon_pid "$n"); then leads+=("$pid"); fi
done
before=()
[ ${#leads[@]} -eq 0 ] || mapfile -t before < <(session_members "${leads[@]}")
rm -f "$SANDBOX_DIR/env"
if [ ${#before[@]} -eq 0 ]; then
  rm -f "$SANDBOX_PIDS"/*.pid 2>/dev/null || true
  log "not running"
  exit 0
fi

t0=$(date +%s%N)
rc=0
# The AWS half and the apiserver's clients at once, then k8s.sh stops the apiserver and etcd.
stop_daemons ecssim moto kwok kube-scheduler kube-controller-manager || rc=1
"$sandbox_here/k8s.sh" down || rc=1

left=()
for p in "${before[@]}"; do alive "$p" && left+=("$p"); done
if [ ${#left[@]} -gt 0 ]; then
  log "ERROR: processes left behind: ${left[*]}"
  ps -o pid,stat,cmd -p "$(IFS=,; echo "${left[*]}")" >&2 || true
  exit 1
fi
log "down in $(( ($(date +%s%N) - t0) / 1000000 )) ms (${#before[@]} processes stopped, none left)"
exit $rc

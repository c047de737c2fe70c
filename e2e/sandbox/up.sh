#!/usr/bin/env bash
# Starts the whole local sandbox, everything on 127.0.0.1:
#   - Kubernetes (k8s.sh up): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok
#   - moto_server (MOTO_PORT, 14566): the AWS APIs
#   - ecssim (ECSSIM_PORT, 14567): the ECS rollout simulator, a proxy in front of moto; this
#     is the AWS endpoint the tests and shipit use
# and writes .sandbox/env, so that `. .sandbox/env` points a shell (kubectl, aws, shipit) at it.
# Idempotent: what is already up and healthy is left as it is. On failure it prints the logs'
# tails and stops what this run started. Stop with down.sh.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_lock

ENV_FILE=$SANDBOX_DIR/env
KUBECONFIG_FILE=$SANDBOX_DIR/kubeconfig
MOTO_URL=http://127.0.0.1:$MOTO_PORT
ECSSIM_URL=http://127.0.0.1:$ECSSIM_PORT
ECSSIM_PKG=$SANDBOX_REPO/e2e/cmd/ecssim
ECSSIM_BIN=$SANDBOX_DIR/bin/ecssim

have_ecssim() { compgen -G "$ECSSIM_PKG/*.go" >/dev/null; }
k8s_up() { "$sandbox_here/k8s.sh" status >/dev/null 2>&1; }
moto_ready() { curl -fsS --max-time 2 -o /dev/null "$MOTO_URL/moto-api/data.json"; }
ecssim_ready() { curl -fsS --max-time 2 -o /dev/null "$ECSSIM_URL/_ecssim/healthz"; }
# One ECS call: moto loads each service's backend on first use (~1.6 s), so warm it here
# rather than in the first test.
moto_ecs_warm() {
  curl -fsS --max-time 30 -o /dev/null -X POST "$MOTO_URL/" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/$SANDBOX_AWS_REGION/ecs/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}'
}
aws_endpoint() { if have_ecssim; then echo "$ECSSIM_URL"; else echo "$MOTO_URL"; fi; }

all_up() {
  k8s_up && daemon_running moto && moto_ready || return 1
  if have_ecssim; then daemon_running ecssim && ecssim_ready || return 1; fi
}

write_env() {
  local ep
  ep=$(aws_endpoint)
  mkdir -p "$SANDBOX_DIR"
  cat >"$ENV_FILE.tmp" <<EOF
# Written by e2e/sandbox/up.sh; removed by down.sh. Use: . .sandbox/env
export KUBECONFIG='$KUBECONFIG_FILE'
export AWS_ENDPOINT_URL='$ep'
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=$SANDBOX_AWS_REGION
export AWS_DEFAULT_REGION=$SANDBOX_AWS_REGION
export SHIPIT_E2E_KUBECONFIG='$KUBECONFIG_FILE'
export SHIPIT_E2E_AWS_ENDPOINT='$ep'
export SHIPIT_E2E_MOTO_ENDPOINT='$MOTO_URL'
# kwok serves this file as every container's log; tests append what a container would print.
export SHIPIT_E2E_POD_LOG='$SANDBOX_DIR/k8s/containers.log'
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

summary() {
  echo
  echo "sandbox up:"
  echo "  kubeconfig    $KUBECONFIG_FILE"
  echo "  AWS endpoint  $(aws_endpoint)$(have_ecssim || echo '  (moto directly: no ecssim package yet)')"
  echo "  environment   . $ENV_FILE"
}

if all_up; then
  log "already up"
  write_env
  summary
  exit 0
fi

t0=$SECONDS
started=()
on_exit() {
  local rc=$?
  [ $rc = 0 ] && return
  log "FAILED; stopping what this run started: ${started[*]:-nothing}"
  local s
  for s in "${started[@]}"; do
    # (k8s.sh shows its own logs when it fails)
    [ "$s" = k8s ] || tail_logs "$s"
  done
  for s in "${started[@]}"; do
    case $s in
      k8s) "$sandbox_here/k8s.sh" down || true ;;
      *) stop_daemons "$s" || true ;;
    esac
  done
  exit $rc
}
trap on_exit EXIT

# moto first: its Python start-up overlaps the control plane's.
if daemon_running moto && moto_ready; then
  log "moto already up ($MOTO_URL)"
else
  stop_daemons moto
  require_ports_free MOTO_PORT:"$MOTO_PORT"
  command -v moto_server >/dev/null || die "moto_server is not on PATH (pip install 'moto[server]')"
  rm -f "$SANDBOX_LOGS/moto.log"
  start_daemon moto moto_server -H 127.0.0.1 -p "$MOTO_PORT"
  started+=(moto)
fi

if k8s_up; then
  log "kubernetes already up"
else
  started+=(k8s)
  "$sandbox_here/k8s.sh" up >/dev/null
fi

wait_ready moto "moto $MOTO_URL" 60 moto_ready
wait_ready moto "moto ECS backend" 60 moto_ecs_warm

if have_ecssim; then
  if daemon_running ecssim && ecssim_ready; then
    log "ecssim already up ($ECSSIM_URL)"
  else
    stop_daemons ecssim
    require_ports_free ECSSIM_PORT:"$ECSSIM_PORT"
    log "building ecssim"
    (cd "$SANDBOX_REPO" && go build -o "$ECSSIM_BIN" ./e2e/cmd/ecssim)
    rm -f "$SANDBOX_LOGS/ecssim.log"
    start_daemon ecssim "$ECSSIM_BIN" -listen "127.0.0.1:$ECSSIM_PORT" -moto "$MOTO_URL"
    started+=(ecssim)
    wait_ready ecssim "ecssim $ECSSIM_URL" 30 ecssim_ready
  fi
else
  log "WARNING: no ECS rollout simulator (e2e/cmd/ecssim is missing): the AWS endpoint is moto itself"
fi

write_env
trap - EXIT
log "up in $((SECONDS - t0)) s"
summary

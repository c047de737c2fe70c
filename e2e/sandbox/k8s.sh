#!/usr/bin/env bash
# The sandbox's Kubernetes half: a real control plane on 127.0.0.1 with no container runtime.
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler are the real binaries (built
# by build.sh from the Go module proxy and cached); kwok stands in for the kubelets, so pods are
# scheduled and turn Running/Ready without any image being pulled.
#
#   e2e/sandbox/k8s.sh up       start (builds first when the binaries are not cached yet)
#   e2e/sandbox/k8s.sh down     stop every process it started, by recorded PID
#   e2e/sandbox/k8s.sh status   exit 0 when all five run and the apiserver is ready
#
# State: .sandbox/k8s/ (certificates, kept between runs; etcd data, fresh at every `up`;
# kwok.yaml), .sandbox/kubeconfig, .sandbox/logs/, .sandbox/pids/.
# Ports (env): APISERVER_PORT 16443, ETCD_PORT 12379, ETCD_PEER_PORT 12380, KCM_PORT 10257,
# SCHEDULER_PORT 10259, KWOK_PORT (KCM_PORT - 10: 10247). SANDBOX_NODES (1) fake nodes.
#
# Pod logs: kwok also serves the kubelet's container log endpoint on 127.0.0.1:KWOK_PORT (TLS,
# its certificate signed by the sandbox CA, which the apiserver checks), and the nodes point the
# apiserver there, so `kubectl logs` and the pods/log API work end to end. Every container's log
# is one file, .sandbox/k8s/containers.log, in the CRI log format (kwok's ClusterLogs); it
# starts with one line at each `up`, and tests append to it (what a container would print).
#
# Pod scenarios for tests, chosen by the container image (any registry, name or tag):
#   image containing "never-ready"        Running, never Ready (readiness "fails")
#   image containing "image-pull-backoff" Pending, container waiting ImagePullBackOff
#   image containing "crash-loop"         Running, not Ready, container waiting
#                                         CrashLoopBackOff, restartCount 1 then +1 every 5 s
# and any pod annotated kwok.x-k8s.io/status=custom is left alone by kwok (stays Pending) so a
# test can write its status itself (kubectl patch --subresource=status). A Job's pod completes
# (kwok's pod-complete stage), or fails with exit code N when its command ends in "exit N"
# (kwok-job-stages.yaml).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

K8S_DIR=$SANDBOX_DIR/k8s
PKI=$K8S_DIR/pki
KUBECONFIG_FILE=$SANDBOX_DIR/kubeconfig
POD_LOG=$K8S_DIR/containers.log
SANDBOX_NODES=${SANDBOX_NODES:-1}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/16}   # fake: nothing routes to it
POD_CIDR=${POD_CIDR:-10.244.0.0/16}          # fake pod IPs written by kwok
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# --------------------------------------------------------------------------------------------
# Certificates: one CA, the apiserver's serving certificate, one admin client identity (group
# system:masters, used by kubectl, the controllers and kwok alike: fine for a sandbox) and the
# service-account signing key. ECDSA P-256: generated in a fraction of a second.
pki() {
  if [ -s "$PKI/admin.crt" ] && openssl x509 -checkend 86400 -noout -in "$PKI/ca.crt" >/dev/null 2>&1; then
    return 0
  fi
  log "generating certificates"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 3650 -subj "/CN=shipit-sandbox-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    openssl req "${ec[@]}" -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf '%s\n' \
      "subjectAltName=IP:127.0.0.1,IP:${SERVICE_CIDR%.*/*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
      "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -out apiserver.crt -extfile apiserver.ext 2>/dev/null
    openssl req "${ec[@]}" -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=shipit-sandbox-admin" 2>/dev/null
    printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" >client.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -out admin.crt -extfile client.ext 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key.tmp 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in sa.key.tmp -out sa.key && rm -f sa.key.tmp
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext
  ) || die "certificate generation failed (is openssl installed?)"
}

# kwok's serving certificate, for the apiserver's calls to its kubelet endpoint (logs):
# 127.0.0.1 only, signed by the sandbox CA.
kwok_pki() {
  [ -s "$PKI/kwok.crt" ] && openssl x509 -checkend 86400 -noout -in "$PKI/kwok.crt" >/dev/null 2>&1 && return 0
  (
    cd "$PKI"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout kwok.key -out kwok.csr \
      -subj "/CN=kwok-kubelet" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
      "keyUsage=critical,digitalSignature,keyEncipherment" >kwok.ext
    openssl x509 -req -in kwok.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -out kwok.crt -extfile kwok.ext 2>/dev/null
    rm -f kwok.csr kwok.ext
  ) || die "kwok certificate generation failed"
}

# The file kwok serves as every container's log (CRI format: time, stream, tag, message).
pod_log() {
  printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" \
    "sandbox: container started (kwok serves this file as every container's log)" >"$POD_LOG"
}

kubeconfig() {
  local tmp=$KUBECONFIG_FILE.tmp
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: shipit-sandbox
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: shipit-sandbox-admin
  user:
    client-certificate-data: $(base64 -w0 "$PKI/admin.crt")
    client-key-data: $(base64 -w0 "$PKI/admin.key")
contexts:
- name: shipit-sandbox
  context:
    cluster: shipit-sandbox
    user: shipit-sandbox-admin
current-context: shipit-sandbox
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$KUBECONFIG_FILE"
}

# --------------------------------------------------------------------------------------------
# kwok has no built-in stages: its config lists them. kwokctl's defaults come from the kwok
# module's own stage files (the module is in the Go module cache since build.sh installed kwok);
# the default pod-ready stage gets one more expression so that it leaves the scenario images
# to the scenario stages below.
SCENARIO_IMAGES='never-ready|image-pull-backoff|crash-loop'

kwok_config() {
  local dir
  dir=$(cd / && go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$dir/kustomize/stage" ] || die "kwok v$KWOK_VERSION stage files not found in the module cache"
  local out=$K8S_DIR/kwok.yaml
  {
    cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: true
  cidr: $POD_CIDR
  nodeLeaseDurationSeconds: 40
  # A config file is not defaulted: every parallelism must be set ("... must be greater than 0").
  nodeLeaseParallelism: 4
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enablePodsOnNodeSyncStreamWatch: false
  # Escape hatch: kwok leaves these pods alone; a test sets their status itself.
  disregardStatusWithAnnotationSelector: kwok.x-k8s.io/status=custom
  # The kubelet endpoint, for pod logs: the nodes get InternalIP 127.0.0.1 and this port
  # (kwok's node-initialize stage), which the apiserver connects to over TLS. The debugging
  # handlers serve the logs; they must be said in a config file (not defaulted here).
  nodeIP: 127.0.0.1
  nodePort: $KWOK_PORT
  serverAddress: 127.0.0.1:$KWOK_PORT
  tlsCertFile: $PKI/kwok.crt
  tlsPrivateKeyFile: $PKI/kwok.key
  enableDebuggingHandlers: true
  enableProfilingHandler: false
  enableContentionProfiling: false
---
# Every container of every pod logs $POD_LOG (kwok v0.8.0's ClusterLogs: no selector = all pods;
# follow: true keeps a followed stream open for new lines).
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: sandbox-container-logs
spec:
  logs:
  - logsFile: $POD_LOG
    follow: true
EOF
    local f
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---"
      if [ "$f" = pod/fast/pod-ready.yaml ]; then
        # after "matchExpressions:", add: no container image is a scenario image
        sed '/^    matchExpressions:$/a\
    - key: '"'"'.spec.containers.[].image | test("'"$SCENARIO_IMAGES"'")'"'"'\
      operator: NotIn\
      values: ["true"]' "$dir/kustomize/stage/$f"
      elif [ "$f" = pod/fast/pod-complete.yaml ]; then
        job_complete_stage "$dir/kustomize/stage/$f"
      else
        cat "$dir/kustomize/stage/$f"
      fi
    done
    scenario_stages
    echo "---"
    cat "$JOB_STAGES"
  } >"$out"
  [ "$(grep -cF "test(\"$SCENARIO_IMAGES\")" "$out")" = 1 ] ||
    die "could not add the scenario exclusion to kwok's pod-ready stage (its file changed?)"
  [ "$(grep -cF "$(job_exit_key)" "$out")" = 2 ] && [ "$(grep -cF "$(job_sleep_from)" "$out")" = 2 ] ||
    die "could not add the failing-exit exclusion and the sleep delay to kwok's pod-complete stage (its file changed?)"
}

# One-off Jobs (shipit run): a Job's pod whose command ends in "exit N" (N not 0) fails with
# that exit code; see kwok-job-stages.yaml. kwok's pod-complete stage is kept for the others.
JOB_STAGES=$SANDBOX_REPO/e2e/sandbox/kwok-job-stages.yaml
job_exit_key() { sed -n '/# SHIPIT_JOB_EXIT_NONZERO/{n;p;}' "$JOB_STAGES"; }
job_sleep_from() { sed -n '/# SHIPIT_JOB_SLEEP/{n;p;}' "$JOB_STAGES"; }
job_complete_stage() { # $1 kwok's pod-complete.yaml, with the exclusion and the sleep delay
  KEY=$(job_exit_key) SLEEP=$(job_sleep_from) awk '{ print }
    /^spec:$/ { print "  delay:"; print "    durationMilliseconds: 0"; print "    durationFrom:"; print ENVIRON["SLEEP"] }
    /^    matchExpressions:$/ { print ENVIRON["KEY"]; print "      operator: NotIn"; print "      values: [\"true\"]" }' "$1"
}

# The scenario stages (the single-quoted arguments are kwok templates, not shell). Each matches a pod that is not being deleted and has a container whose
# image contains the scenario's word; containers with other images in the same pod run Ready.
# shellcheck disable=SC2016
scenario_stages() {
  # $1 name, $2 word, $3 phase the pod must be in, $4 extra selector lines, $5 event
  # reason, $6 event message, $7 resulting phase, $8 per-container status of a matching
  # container (template, indented 4 spaces under "- "), $9 extra spec lines (delay)
  stage() {
    cat <<EOF
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: $1
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['$3']
    - key: '.spec.containers.[].image | test("$2")'
      operator: In
      values: ['true']
$4
$9
  next:
    event:
      type: Warning
      reason: $5
      message: '$6'
    statusTemplate: |
      {{ \$now := Now }}
      {{ \$root := . }}
      conditions:
      - lastTransitionTime: {{ \$now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ \$now | Quote }}
        status: "False"
        reason: ContainersNotReady
        message: "containers with unready status"
        type: Ready
      - lastTransitionTime: {{ \$now | Quote }}
        status: "False"
        reason: ContainersNotReady
        message: "containers with unready status"
        type: ContainersReady
      containerStatuses:
      {{ range \$index, \$item := .spec.containers }}
      {{ \$prev := dict }}
      {{ with \$root.status.containerStatuses }}{{ if lt \$index (len .) }}{{ \$prev = index . \$index }}{{ end }}{{ end }}
      {{ if regexMatch "$2" \$item.image }}
      - image: {{ \$item.image | Quote }}
        name: {{ \$item.name | Quote }}
$8
      {{ else }}
      - image: {{ \$item.image | Quote }}
        name: {{ \$item.name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ \$now | Quote }}
      {{ end }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ \$now | Quote }}
            reason: Completed
            startedAt: {{ \$now | Quote }}
      {{ end }}
      {{ if not .status.podIP }}{{/* allocate once: a second allocation would add a second IP */}}
      {{ \$hostIPs := NodeIPsWith .spec.nodeName }}
      {{ with \$hostIPs }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ \$podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with \$podIPs }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ end }}
      phase: $7
      startTime: {{ or .status.startTime \$now | Quote }}
EOF
  }

  # Running, never Ready: as if every readiness probe failed.
  stage shipit-scenario-never-ready never-ready Pending "" \
    Unhealthy "Readiness probe failed: scenario never-ready" Running '        ready: false
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}' ""

  # Pending, image never pulled. Not matched again once the reason is set (no update loop).
  stage shipit-scenario-image-pull-backoff image-pull-backoff Pending \
    "    - key: '.status.containerStatuses.[].state.waiting.reason'
      operator: NotIn
      values: ['ImagePullBackOff']" \
    BackOff "Back-off pulling image (scenario image-pull-backoff)" Pending '        ready: false
        started: false
        restartCount: 0
        state:
          waiting:
            reason: ImagePullBackOff
            message: {{ printf "Back-off pulling image %q: not found (scenario image-pull-backoff)" $item.image | Quote }}' ""

  # The container keeps exiting: first Pending -> Running with restartCount 1, then the next
  # stage adds one restart every 5 s while the pod lives.
  local crash='        ready: false
        started: false
        restartCount: {{ add1 (or $prev.restartCount 0) }}
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off restarting failed container %s (scenario crash-loop)" $item.name | Quote }}'
  stage shipit-scenario-crash-loop crash-loop Pending "" \
    BackOff "Back-off restarting failed container (scenario crash-loop)" Running "$crash" ""
  stage shipit-scenario-crash-loop-restart crash-loop Running "" \
    BackOff "Back-off restarting failed container (scenario crash-loop)" Running "$crash" \
    "  delay:
    durationMilliseconds: 5000"
}

# --------------------------------------------------------------------------------------------
kcurl() { # PATH: GET on the apiserver as the admin identity
  curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT$1"
}

start_apiserver() {
  start_daemon kube-apiserver "$SANDBOX_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=RBAC \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --profiling=false
  wait_ready kube-apiserver "kube-apiserver https://127.0.0.1:$APISERVER_PORT" 90 kcurl /readyz
}

# For tests of clients that must survive an API server restart: stop the apiserver (its
# clients see their connections drop) and start it again on the same data.
restart_apiserver() {
  status || die "kubernetes is not up"
  local t0=$SECONDS
  stop_daemons -t 3 kube-apiserver
  start_apiserver
  log "kube-apiserver restarted in $((SECONDS - t0)) s"
}

status() {
  local c
  for c in "${COMPONENTS[@]}"; do daemon_running "$c" || return 1; done
  kcurl /readyz >/dev/null 2>&1
}

up() {
  if status; then
    log "kubernetes already up (apiserver https://127.0.0.1:$APISERVER_PORT)"
    echo "KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  local c
  for c in "${COMPONENTS[@]}"; do
    if daemon_running "$c"; then
      log "kubernetes partly up: stopping it first"
      down
      break
    fi
  done
  "$sandbox_here/build.sh"
  require_ports_free ETCD_PORT:"$ETCD_PORT" ETCD_PEER_PORT:"$ETCD_PEER_PORT" APISERVER_PORT:"$APISERVER_PORT" \
    KCM_PORT:"$KCM_PORT" SCHEDULER_PORT:"$SCHEDULER_PORT" KWOK_PORT:"$KWOK_PORT"
  local t0=$SECONDS
  mkdir -p "$K8S_DIR" "$SANDBOX_LOGS" "$SANDBOX_PIDS"
  for c in "${COMPONENTS[@]}"; do rm -f "$SANDBOX_LOGS/$c.log"; done
  trap 'rc=$?; if [ $rc != 0 ]; then log "kubernetes failed to start"; tail_logs "${COMPONENTS[@]}"; down; fi' EXIT

  pki
  kwok_pki
  kubeconfig
  kwok_config
  pod_log
  rm -rf "$K8S_DIR/etcd" # a fresh cluster every time

  local B=$SANDBOX_BIN
  # Throwaway data: no fsync.
  start_daemon etcd "$B/etcd" --name=sandbox --data-dir="$K8S_DIR/etcd" --unsafe-no-fsync \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="sandbox=http://127.0.0.1:$ETCD_PEER_PORT" --log-level=warn
  wait_ready etcd etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

  start_apiserver

  # No --authentication-kubeconfig/--authorization-kubeconfig: only /healthz is needed (always
  # allowed), and with them both log requestheader CA errors.
  start_daemon kube-controller-manager "$B/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false --controllers='*' --use-service-account-credentials=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --profiling=false
  start_daemon kube-scheduler "$B/kube-scheduler" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false --profiling=false
  start_daemon kwok "$B/kwok" --kubeconfig="$KUBECONFIG_FILE" --config="$K8S_DIR/kwok.yaml" \
    --manage-all-nodes=true --node-lease-duration-seconds=40

  wait_ready kube-controller-manager kube-controller-manager 60 curl -fsSk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
  wait_ready kube-scheduler kube-scheduler 60 curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_ready kwok "kwok's kubelet endpoint https://127.0.0.1:$KWOK_PORT" 60 \
    curl -fsS --max-time 2 --cacert "$PKI/ca.crt" "https://127.0.0.1:$KWOK_PORT/healthz"

  local i nodes=""
  for ((i = 0; i < SANDBOX_NODES; i++)); do
    nodes+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    node.alpha.kubernetes.io/ttl: \"0\"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    node-role.kubernetes.io/agent: \"\"
    type: kwok
"
  done
  kubectl --kubeconfig="$KUBECONFIG_FILE" apply -f - <<<"$nodes" >/dev/null
  wait_ready kwok "$SANDBOX_NODES node(s) Ready" 60 nodes_ready
  # kwok's nodes have cpu, memory and pods but no disk: give them the ephemeral storage a real
  # node has, or a pod that requests ephemeral-storage is never scheduled.
  for ((i = 0; i < SANDBOX_NODES; i++)); do
    kubectl --kubeconfig="$KUBECONFIG_FILE" patch node "kwok-node-$i" --subresource=status --type=merge \
      -p '{"status":{"capacity":{"ephemeral-storage":"100Gi"},"allocatable":{"ephemeral-storage":"100Gi"}}}' >/dev/null
  done
  # Pods are refused in a namespace until the serviceaccount controller made its "default".
  wait_ready kube-controller-manager "default service account" 60 kcurl /api/v1/namespaces/default/serviceaccounts/default
  trap - EXIT
  log "kubernetes up in $((SECONDS - t0)) s"
  echo "KUBECONFIG=$KUBECONFIG_FILE"
}

nodes_ready() {
  local n
  n=$(kubectl --kubeconfig="$KUBECONFIG_FILE" get nodes \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$') || return 1
  [ "$n" -ge "$SANDBOX_NODES" ]
}

# In order: the apiserver's clients, the apiserver, etcd. (An apiserver whose etcd is gone
# first hangs in its shutdown until killed.)
down() {
  local rc=0
  stop_daemons kwok kube-scheduler kube-controller-manager || rc=1
  # About every other time its graceful shutdown stalls in http.Server.Shutdown on an HTTP/2
  # connection that stays open (seen with nothing else running; it normally exits in ~1.5 s),
  # and it would wait out its 60 s shutdown timeout: kill it after 3 s. Its data is thrown
  # away anyway.
  stop_daemons -t 3 kube-apiserver || rc=1
  stop_daemons etcd || rc=1
  return $rc
}

case ${1:-} in
  up) up ;;
  down) down ;;
  restart-apiserver) sandbox_lock && restart_apiserver ;;
  status)
    if status; then echo "kubernetes up: KUBECONFIG=$KUBECONFIG_FILE"; else echo "kubernetes down"; exit 1; fi ;;
  kwok-config) mkdir -p "$K8S_DIR" && kwok_config && cat "$K8S_DIR/kwok.yaml" ;; # for debugging
  *) echo "usage: $0 up|down|status|restart-apiserver|kwok-config" >&2; exit 2 ;;
esac

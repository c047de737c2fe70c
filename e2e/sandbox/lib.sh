# shellcheck shell=bash
# Shared helpers of the sandbox scripts (k8s.sh, up.sh, down.sh). Sourced, not run.
#
# Every daemon is started in its own session (setsid) so that a Ctrl-C on the terminal or the
# test run does not reach it, its PID is recorded in $SANDBOX_DIR/pids/NAME.pid and its output
# goes to $SANDBOX_DIR/logs/NAME.log. Stopping is by recorded PID only, never by name.

sandbox_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SANDBOX_REPO=$(cd "$sandbox_here/../.." && pwd)
# shellcheck source=SCRIPTDIR/versions.sh
. "$sandbox_here/versions.sh"

# All run state lives here (gitignored): logs/, pids/, bin/, k8s/ (certificates, etcd data,
# kwok config), kubeconfig and env.
SANDBOX_DIR=${SHIPIT_SANDBOX_DIR:-$SANDBOX_REPO/.sandbox}
SANDBOX_LOGS=$SANDBOX_DIR/logs
SANDBOX_PIDS=$SANDBOX_DIR/pids

# Ports, all on 127.0.0.1. The defaults stay clear of the usual 2379/6443/4566 so that a real
# local cluster or LocalStack can run beside the sandbox.
APISERVER_PORT=${APISERVER_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-12379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-12380}
KCM_PORT=${KCM_PORT:-10257}
SCHEDULER_PORT=${SCHEDULER_PORT:-10259}
# kwok's kubelet-like server (pod logs): 10247, kwok's own default, beside the controller
# manager's port; it moves with KCM_PORT so that sandboxes on other ports do not clash.
KWOK_PORT=${KWOK_PORT:-$((KCM_PORT - 10))}
MOTO_PORT=${MOTO_PORT:-14566}
ECSSIM_PORT=${ECSSIM_PORT:-14567}
SANDBOX_AWS_REGION=${SANDBOX_AWS_REGION:-us-east-1}

log() { printf '[%s] sandbox: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The program name a daemon's process must have for its recorded PID to be trusted (guards
# against a PID reused by an unrelated process after a crash or a reboot).
daemon_marker() {
  case $1 in
    moto) echo moto_server ;;
    *) echo "$1" ;;
  esac
}

# alive PID: the process exists and is not a zombie. Daemons are re-parented once the script
# that started them exits, and a zombie answers `kill -0` until it is reaped.
alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }           # the fields after "(comm)", which may itself hold spaces
  [ "${stat%% *}" != Z ]
}

# daemon_pid NAME: prints the recorded PID if that process is alive and still ours.
#
# The PID stays through every exec from the `sh -c` that recorded it to the daemon itself, but
# the command line changes on the way: moto_server's pyenv shim runs as
#   sh -c '…' PIDFILE moto_server …  →  bash …/pyenv exec moto_server …
#   →  bash …/pyenv-exec moto_server …  →  …/python …/moto_server …
# and reads empty for an instant at each exec. So the process is ours when one of the first
# arguments that is no option is named like the daemon, or, with an empty command line, when it
# still leads the session setsid made for it (a reused PID does not).
daemon_pid() {
  local f="$SANDBOX_PIDS/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  local argv marker a i
  mapfile -d '' -t argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
  if [ ${#argv[@]} -eq 0 ]; then
    session_leader "$pid" || return 1
    echo "$pid"
    return 0
  fi
  marker=$(daemon_marker "$1")
  for ((i = 0; i < ${#argv[@]} && i < 5; i++)); do
    a=${argv[i]}
    if [ "${a#-}" = "$a" ] && [ "${a##*/}" = "$marker" ]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# session_leader PID: the process leads its own session (as setsid leaves a daemon).
session_leader() {
  local stat fields
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  read -r -a fields <<<"$stat"
  [ ${#fields[@]} -gt 3 ] && [ "${fields[3]}" = "$1" ]
}

daemon_running() { daemon_pid "$1" >/dev/null; }

# start_daemon NAME COMMAND...: starts COMMAND in a new session, output to its log. The PID is
# written by the process itself just before exec, so it is right however setsid forks.
start_daemon() {
  local name=$1 pidf="$SANDBOX_PIDS/$1.pid"
  shift
  mkdir -p "$SANDBOX_LOGS" "$SANDBOX_PIDS"
  rm -f "$pidf"
  log "starting $name"
  # 9>&-: the daemon must not inherit the lock of sandbox_lock.
  # shellcheck disable=SC2016 # expanded by sh -c
  setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >"$SANDBOX_LOGS/$name.log" 2>&1 </dev/null 9>&- &
  local i
  for ((i = 0; i < 100; i++)); do
    # the PID is written just before the exec: wait for the program itself
    daemon_running "$name" && return 0
    if [ -s "$pidf" ] && ! alive "$(cat "$pidf")"; then break; fi
    sleep 0.05
  done
  die "$name did not start (see $SANDBOX_LOGS/$name.log)"
}

# session_members PID...: the PIDs in the sessions those PIDs lead (each daemon and any
# children it forked), so that nothing they spawned is left behind. Builtins only: one pass
# over /proc.
session_members() {
  local f stat fields lead
  for f in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null <"$f" || continue
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    # fields: 0 state, 1 ppid, 2 pgrp, 3 session (a line cut short is no process of ours,
    # and must not stop the script on an unbound index under set -u)
    [ ${#fields[@]} -gt 3 ] || continue
    [ "${fields[0]}" = Z ] && continue
    for lead in "$@"; do
      if [ "${fields[3]}" = "$lead" ]; then f=${f#/proc/}; echo "${f%/stat}"; fi
    done
  done
}

# stop_daemons [-t SECONDS] NAME...: SIGTERM to each daemon and its session, wait up to
# SECONDS (15), then SIGKILL.
stop_daemons() {
  local name pid p pids=() leads=() grace=15
  if [ "${1:-}" = -t ]; then grace=$2; shift 2; fi
  for name in "$@"; do
    if pid=$(daemon_pid "$name"); then
      log "stopping $name (pid $pid)"
      leads+=("$pid")
    fi
    rm -f "$SANDBOX_PIDS/$name.pid"
  done
  [ ${#leads[@]} -eq 0 ] && return 0
  local all
  mapfile -t all < <(session_members "${leads[@]}")
  for p in $(printf '%s\n' "${leads[@]}" "${all[@]}" | sort -un); do
    kill -TERM "$p" 2>/dev/null && pids+=("$p")
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  local i left
  for ((i = 0; i < grace * 10; i++)); do
    left=()
    for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  log "killing ${left[*]} (still running $grace s after SIGTERM)"
  for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    left=()
    for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  log "ERROR: still alive after SIGKILL: ${left[*]}"
  return 1
}

# wait_ready NAME DESCRIPTION TIMEOUT COMMAND...: polls COMMAND until it succeeds; fails early
# when daemon NAME has exited (NAME "-" for none).
wait_ready() {
  local name=$1 what=$2 deadline=$((SECONDS + $3))
  shift 3
  until "$@" >/dev/null 2>&1; do
    if [ "$name" != - ] && ! daemon_running "$name"; then
      log "ERROR: $name exited while waiting for $what"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "ERROR: timed out waiting for $what"
      return 1
    fi
    sleep 0.2
  done
  log "ready: $what"
}

# port_free PORT: nothing listens on it (a daemon of ours would then fail with an unclear error).
# (Output captured, not piped into `grep -q`: an early-closing reader can SIGPIPE ss under pipefail.)
port_free() {
  [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

require_ports_free() { # NAME:PORT...
  local np
  for np in "$@"; do
    port_free "${np#*:}" || die "port ${np#*:} (${np%%:*}) is in use by another process; set ${np%%:*} to a free port"
  done
}

# sandbox_lock: one up.sh or down.sh at a time (two test runs starting the sandbox at once).
sandbox_lock() {
  mkdir -p "$SANDBOX_DIR"
  exec 9>"$SANDBOX_DIR/lock"
  if ! flock -n 9; then
    log "waiting for another up.sh/down.sh to finish"
    flock -w 600 9 || die "another up.sh/down.sh holds $SANDBOX_DIR/lock"
  fi
}

tail_logs() { # NAME...
  local name
  for name in "$@"; do
    [ -s "$SANDBOX_LOGS/$name.log" ] || continue
    echo "----- last lines of $SANDBOX_LOGS/$name.log" >&2
    tail -n 25 "$SANDBOX_LOGS/$name.log" >&2
  done
}

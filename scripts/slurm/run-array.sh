#!/usr/bin/env bash
# Runs a command as a Slurm array job on a one-node cluster that this
# script starts on this machine, then a gather command, then stops the
# cluster.
#
#   scripts/slurm/run-array.sh [--tasks N] [--gather 'SHELL COMMAND'] [--keep] -- COMMAND [ARGS...]
#
# COMMAND runs once per array task (sbatch --wait --array=0-(N-1)), with
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and the caller's environment,
# in the current directory. When every task has ended, the gather command
# runs here with bash -c, whether the tasks succeeded or not (as a gather
# job with --dependency=afterany would). The exit status is the gather's
# when it fails, else the array's. Task output goes to stderr.
#
# It needs root: as another user it prints why it skips and exits 0. It
# installs Debian's slurm-wlm and munge when missing. Everything it starts
# (munged, slurmctld, slurmd) runs from a fresh temporary directory, with
# its own munge key and socket, a generated slurm.conf and free ports, so
# it touches no system configuration and can run beside another copy of
# itself; on exit, whatever the cause, it stops those daemons by their pids
# and removes the directory (--keep keeps it, for the logs).
set -euo pipefail

tasks=4
gather=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --gather) gather="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; break ;;
    *) echo "run-array.sh: unknown option $1 (usage: run-array.sh [--tasks N] [--gather CMD] [--keep] -- COMMAND...)" >&2; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "run-array.sh: no command (usage: run-array.sh [--tasks N] [--gather CMD] -- COMMAND...)" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "run-array.sh: skipped: starting a Slurm cluster needs root"
  exit 0
fi

t0=$(date +%s)
phase() { echo "run-array.sh: $1 ($(( $(date +%s) - t0 )) s)" >&2; }

# --- install ----------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  phase "installing slurm-wlm and munge"
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; }
  install || { apt-get update -q >/dev/null && install; }
fi
t_install=$(date +%s)

# --- state directory and cleanup -------------------------------------------
state=$(mktemp -d /tmp/slurm-one-node.XXXXXX)
chmod 755 "$state"  # munged runs as munge and must reach its own directory

stop_pid() { # stop_pid NAME PIDFILE: TERM, then KILL after 10 s
  local name=$1 file=$2 pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "run-array.sh: $name (pid $pid) did not stop; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  t_stop0=$(date +%s)
  if [ -n "${sbatch_pid:-}" ]; then kill "$sbatch_pid" 2>/dev/null || true; fi
  # Jobs still running (an interrupted run) are cancelled first, so that
  # no task outlives the daemons.
  if [ -s "$state/slurmctld.pid" ] && [ -n "$(squeue -h -o %A 2>/dev/null)" ]; then
    scancel --user=root 2>/dev/null || true
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  stop_pid slurmd "$state/slurmd.pid"
  stop_pid slurmctld "$state/slurmctld.pid"
  stop_pid munged "$state/munge/munged.pid"
  if [ "$keep" = 1 ]; then
    echo "run-array.sh: kept $state" >&2
  else
    rm -rf "$state"
  fi
  echo "run-array.sh: timings: install $(( t_install - t0 )) s, start $(( ${t_started:-$t_stop0} - t_install )) s, run $(( t_stop0 - ${t_started:-$t_stop0} )) s, stop $(( $(date +%s) - t_stop0 )) s" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- munge ------------------------------------------------------------------
mkdir -p "$state/munge"
dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$state/munge"
chmod 700 "$state/munge"
chmod 400 "$state/munge/munge.key"
socket="$state/munge/munge.socket"
su -s /bin/sh munge -c "/usr/sbin/munged --force --key-file='$state/munge/munge.key' --socket='$socket' \
  --pid-file='$state/munge/munged.pid' --log-file='$state/munge/munged.log' --seed-file='$state/munge/munged.seed'"
munge --socket="$socket" -n | unmunge --socket="$socket" | grep -q 'STATUS: *Success' || {
  echo "run-array.sh: munge does not work" >&2; cat "$state/munge/munged.log" >&2; exit 1; }

# --- slurm.conf -------------------------------------------------------------
free_port() { # a port nothing listens on, from 20000 up
  local p
  for _ in $(seq 200); do
    p=$(( 20000 + RANDOM % 20000 ))
    if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && [ -z "$(ss -Hltn "sport = :$((p + 1))" 2>/dev/null)" ]; then
      echo "$p"; return
    fi
  done
  echo 26817
}
host=$(hostname -s)
memory=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
port=$(free_port)
mkdir -p "$state/ctld" "$state/d"
cat >"$state/slurm.conf" <<EOF
ClusterName=onenode
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MaxArraySize=10001
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=one Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$state/slurm.conf"

# --- start ------------------------------------------------------------------
phase "starting munged, slurmctld and slurmd in $state"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for i in $(seq 120); do
  [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && break
  if [ "$i" = 120 ]; then
    echo "run-array.sh: the node did not become idle in 60 s" >&2
    sinfo >&2 || true; tail -20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
t_started=$(date +%s)

# --- run --------------------------------------------------------------------
{
  echo '#!/usr/bin/env bash'
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$state/task.sh"
phase "submitting an array of $tasks tasks: $*"
array_rc=0
# In the background, so that a signal to this script runs the cleanup at
# once rather than when the array ends.
sbatch --wait --quiet --array="0-$((tasks - 1))" --cpus-per-task=1 --chdir="$PWD" --export=ALL \
  --output="$state/task-%a.out" --job-name=run-array "$state/task.sh" &
sbatch_pid=$!
wait "$sbatch_pid" || array_rc=$?
sbatch_pid=""
for i in $(seq 0 $((tasks - 1))); do
  if [ -s "$state/task-$i.out" ]; then
    echo "--- task $i" >&2
    cat "$state/task-$i.out" >&2
  fi
done
phase "array ended with status $array_rc"
gather_rc=0
if [ -n "$gather" ]; then
  phase "gathering: $gather"
  bash -c "$gather" || gather_rc=$?
fi
if [ "$gather_rc" != 0 ]; then exit "$gather_rc"; fi
exit "$array_rc"

#!/usr/bin/env bash
# A one-node Slurm on localhost for tests, started and stopped by the test itself: munged with its own
# key and socket, slurmctld and slurmd in the foreground (children of the test), everything in a fresh
# folder under /tmp (unix socket paths must stay short). No cgroups (proctrack/linuxproc, task/none), no
# accounting database. Source it, then:
#   start_local_slurm     sets SLURM_CONF (exported) and slurm_dir; fails, with the daemons' logs, if the
#                         node is not idle within 30 s
#   stop_local_slurm      cancels what is left of our jobs, stops the daemons, removes slurm_dir
# Needs Debian's slurm-wlm and munge (scripts/setup.sh installs them).

slurm_pids=()

slurm_fail() {
  echo "local Slurm: $*" >&2
  for log in "$slurm_dir"/log/* "$slurm_dir"/munge/munged.log; do
    [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; }
  done
  return 1
}

# A TCP port on 127.0.0.1 that nothing listens on.
slurm_free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    (echo > "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return 0; }
  done
  return 1
}

start_local_slurm() {
  local missing=()
  for program in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v "$program" > /dev/null || missing+=("$program")
  done
  ((${#missing[@]} == 0)) || { echo "local Slurm: not installed (missing ${missing[*]}): install slurm-wlm and munge (scripts/setup.sh)" >&2; return 1; }
  slurm_dir=$(mktemp -d /tmp/harness-slurm.XXXXXX)
  mkdir -p "$slurm_dir"/{munge,state,spool,log}
  chmod 755 "$slurm_dir" "$slurm_dir/munge"  # munged wants its socket's folders searchable by all

  mungekey --create --keyfile="$slurm_dir/munge/munge.key" || slurm_fail "mungekey could not make a key" || return 1
  chmod 600 "$slurm_dir/munge/munge.key"
  local socket="$slurm_dir/munge/munge.socket"
  munged --foreground --socket="$socket" --key-file="$slurm_dir/munge/munge.key" \
         --pid-file="$slurm_dir/munge/munged.pid" --log-file="$slurm_dir/munge/munged.log" \
         --seed-file="$slurm_dir/munge/munged.seed" > "$slurm_dir/log/munged.out" 2>&1 &
  slurm_pids+=($!)
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  munge -S "$socket" -n | unmunge -S "$socket" > /dev/null || slurm_fail "munged did not start" || return 1

  local ctld_port slurmd_port node user
  ctld_port=$(slurm_free_port) && slurmd_port=$(slurm_free_port) || slurm_fail "no free TCP port" || return 1
  node=$(hostname -s)
  user=$(id -un)
  # The node as slurmd sees it (CPUs, sockets, cores, memory), so the controller does not drain it.
  local hardware
  hardware=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ UpTime=.*//')
  export SLURM_CONF="$slurm_dir/slurm.conf"
  cat > "$SLURM_CONF" <<CONF
ClusterName=harnesstest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool
SlurmctldPidFile=$slurm_dir/slurmctld.pid
SlurmdPidFile=$slurm_dir/slurmd.pid
SlurmctldLogFile=$slurm_dir/log/slurmctld.log
SlurmdLogFile=$slurm_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -D -i > "$slurm_dir/log/slurmctld.out" 2>&1 &
  slurm_pids+=($!)
  slurmd -D -N "$node" > "$slurm_dir/log/slurmd.out" 2>&1 &
  slurm_pids+=($!)
  for _ in $(seq 300); do
    [ "$(sinfo -h -n "$node" -o %T 2> /dev/null)" = idle ] && { echo "local Slurm: node $node idle (port $ctld_port)"; return 0; }
    sleep 0.1
  done
  slurm_fail "node $node not idle after 30 s: $(sinfo 2>&1 | tr '\n' ' ')"
}

stop_local_slurm() {
  [ -n "${slurm_dir:-}" ] || return 0
  scancel --full --user="$(id -un)" 2> /dev/null || true
  local pid
  for ((i = ${#slurm_pids[@]} - 1; i >= 0; i--)); do
    pid=${slurm_pids[i]}
    { kill "$pid" && wait "$pid"; } 2> /dev/null || true
  done
  slurm_pids=()
  rm -rf "$slurm_dir"
  slurm_dir=
}

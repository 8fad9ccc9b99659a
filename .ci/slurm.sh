#!/usr/bin/env bash
# A real single-node SLURM cluster for CI (Debian, root, no systemd needed).
#
#   bash .ci/slurm.sh up     # install slurmd slurmctld slurm-client munge if missing, start the daemons
#   export SLURM_CONF=/tmp/invtl-slurm/slurm.conf   # then sbatch, squeue, sinfo and submitit use it
#   bash .ci/slurm.sh down   # stop the daemons (by their pid files) and remove the state directory
#
# Every file (configuration, munge key and socket, spool, state, logs, pid files) lives under
# $INVTL_SLURM_STATE (default /tmp/invtl-slurm); nothing under /etc is changed. The node is this machine
# under the name "localhost" (slurmd -N), with all its cores; no cgroups (proctrack/linuxproc, task/none)
# and no accounting daemon (so `sacct` fails: wait on results, never on submitit's job state).
# `up` exits non-zero with one line saying why when SLURM cannot run here (not root, not Debian, a daemon
# that does not start).
set -euo pipefail

STATE="${INVTL_SLURM_STATE:-/tmp/invtl-slurm}"
PACKAGES=(slurmd slurmctld slurm-client munge)

fail() {
    echo "slurm.sh: $*" >&2
    exit 1
}

install_packages() {
    [ "$(id -u)" -eq 0 ] || fail "not root: cannot install and start SLURM's daemons"
    command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "no apt-get (not Debian): cannot install SLURM"
    if ! dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then
        apt-get update -qq || fail "apt-get update failed (no package mirror reachable?)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null \
            || fail "apt-get install ${PACKAGES[*]} failed"
    fi
}

write_config() {
    local cpus mem
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    cat >"$STATE/slurm.conf" <<EOF
ClusterName=invtl-ci
SlurmctldHost=localhost
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# pid in a pid file, if that process runs the named program
running() {
    local file="$1" name="$2" pid
    [ -f "$file" ] || return 1
    pid=$(cat "$file")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && echo "$pid"
}

# on a failed start: show the daemons' last log lines, then stop whatever part of the cluster did start
failed_start() {
    [ "$1" -eq 0 ] && return
    tail -n 3 "$STATE"/*.log "$STATE"/munge/*.log >&2 2>/dev/null || true
    down >/dev/null 2>&1
}

up() {
    install_packages
    if running "$STATE/slurmctld.pid" slurmctld >/dev/null; then fail "a cluster is already up under $STATE"; fi
    trap 'failed_start $?' EXIT
    rm -rf "$STATE"
    mkdir -p "$STATE/munge" "$STATE/ctld" "$STATE/d"
    chmod 0755 "$STATE"
    chown munge:munge "$STATE/munge"
    chmod 0755 "$STATE/munge"  # munged wants its socket directory searchable by every client
    runuser -u munge -- mungekey --create --keyfile="$STATE/munge/munge.key" || fail "mungekey could not create a key"
    runuser -u munge -- munged --socket="$STATE/munge/munge.socket" --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
        --seed-file="$STATE/munge/munged.seed" || fail "munged did not start"
    write_config
    export SLURM_CONF="$STATE/slurm.conf"
    slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
    slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
    local state=""
    for _ in $(seq 1 60); do
        state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
        [ "$state" = "idle" ] && break
        sleep 0.5
    done
    [ "$state" = "idle" ] || fail "the node is '${state:-not reported}', not idle, after 30 s"
    trap - EXIT
    echo "slurm.sh: single-node cluster up ($(sinfo --version), $(nproc) CPUs); export SLURM_CONF=$SLURM_CONF"
}

down() {
    local file name pid
    for entry in "$STATE/slurmd.pid:slurmd" "$STATE/slurmctld.pid:slurmctld" "$STATE/munge/munged.pid:munged"; do
        file="${entry%%:*}"
        name="${entry##*:}"
        if pid=$(running "$file" "$name"); then
            kill "$pid"
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
        fi
    done
    rm -rf "$STATE"
    echo "slurm.sh: cluster down, $STATE removed"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) fail "usage: $0 up|down" ;;
esac

#!/usr/bin/env bash
# Issue 8 target: TCP throughput through a published port from the host
# (iperf3), at least Podman's in the same run. The container runs the
# host's iperf3 from a read-only bind of / (busybox has none); the client
# runs on the host against 127.0.0.1. Rows: the default networks (skiff
# rootless: pasta; as root: the built-in bridge, the kernel forwarding;
# podman's default beside), a user-defined network of each.
# Results are Gbit/s (higher is better), appended to bench/RESULTS.md.
source "$(dirname "$0")/lib.sh"
command -v iperf3 >/dev/null || { echo "bench: iperf3 is not installed (apt-get install iperf3)" >&2; exit 1; }
busybox_stores
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# gbps NETWORK ENGINE_CMD... : starts an iperf3 server container on
# NETWORK ("" = the default), measures, removes it.
gbps() {
    local net=$1 port; port=$(free_port)
    shift
    local extra=() tmpfs=/host/tmp
    # runc as root here refuses podman's default rlimits (see bench/containers.sh);
    # podman copies a tmpfs mount point's content up unless told not to.
    [ "$1" != S ] && extra=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024) && tmpfs=/host/tmp:notmpcopyup
    # iperf3 wants a writable /tmp for its buffers.
    "$@" run -d --name iperf "${extra[@]}" ${net:+--network "$net"} -v /:/host:ro --tmpfs "$tmpfs" -p "127.0.0.1:$port:5201" localhost/busybox \
        chroot /host /usr/bin/iperf3 -s >/dev/null
    local out=""
    for _ in $(seq 1 50); do
        out=$(iperf3 -c 127.0.0.1 -p "$port" -t "$SECONDS_PER_RUN" -J 2>/dev/null) && break
        sleep 0.2
    done
    "$@" rm -f iperf >/dev/null 2>&1
    echo "$out" | jq '.end.sum_received.bits_per_second / 1e9' | awk '{ printf "%.1f", $1 }'
}

row() { # LABEL SKIFF_GBPS OTHER_GBPS
    local ratio="n/a"
    [ -n "$3" ] && [ "$3" != "n/a" ] && ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2fx", a / b }')
    printf '| %s | %s | %s | %s Gbit/s | %s Gbit/s | %s |\n' "$(date -u +%Y-%m-%d)" "$(nproc) cores, $(uname -r)" \
        "$1" "$2" "$3" "$ratio" >> "$RESULTS"
    echo "$1: skiff $2 Gbit/s, podman $3 Gbit/s, ratio (skiff/podman) $ratio"
}

p_default="n/a"
[ -n "$pd" ] && p_default=$(gbps "" $pd)
row "TCP through -p, default network (iperf3; ratio = skiff/podman)" "$(gbps "" S)" "$p_default"
S network create tputnet >/dev/null
p_user="n/a"
# Podman keeps root's networks in /etc/containers/networks, whatever --root says.
pnet=skiffbench$$
[ -n "$pd" ] && $pd network create "$pnet" >/dev/null 2>&1 && p_user=$(gbps "$pnet" $pd) && $pd network rm -f "$pnet" >/dev/null 2>&1
row "TCP through -p, user-defined network (iperf3; ratio = skiff/podman)" "$(gbps tputnet S)" "$p_user"

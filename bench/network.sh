#!/usr/bin/env bash
# Issue 8 target: `run --rm IMAGE true` with the default network ≤ 60 ms
# median (rootless: a private network through pasta; as root: the built-in
# bridge network, the network daemon lingering between runs as it does
# between a user's commands); podman side by side in one run, with its own
# private network (pasta, else slirp4netns). Both engines get a private
# store loaded with the same busybox image; the containers send no traffic.
source "$(dirname "$0")/lib.sh"
busybox_stores
# Podman's own private network for the user: pasta where it works, else slirp4netns.
pnet=pasta
if [ -n "$pd" ] && ! $pd run --rm --network pasta localhost/busybox true >/dev/null 2>&1; then pnet=slirp4netns; fi
pprivate="$(p_or_empty run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network "${pnet:-pasta}" localhost/busybox true)"

if [ "$(id -u)" = 0 ]; then
    compare "run --rm IMAGE true (default network: root's bridge; podman: its private network)" \
        "$sk run --rm localhost/busybox true" "$pprivate"
    compare "run --rm --network pasta IMAGE true (private network, pasta)" \
        "$sk run --rm --network pasta localhost/busybox true" "$pprivate"
else
    compare "run --rm IMAGE true (private network, pasta)" "$sk run --rm localhost/busybox true" "$pprivate"
fi
compare "run --rm --network slirp4netns IMAGE true" "$sk run --rm --network slirp4netns localhost/busybox true" \
    "$(p_or_empty run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network slirp4netns localhost/busybox true)"

# A user-defined network (bridge, veth, the DNS responder): skiff's own,
# and podman's bridge network, both created for this run.
S network create benchnet >/dev/null
pdnet=""
# Podman keeps root's networks in /etc/containers/networks, whatever --root says.
pbridge=skiffbench$$
if [ -n "$pd" ] && $pd network create "$pbridge" >/dev/null 2>&1 &&
    $pd run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network "$pbridge" localhost/busybox true >/dev/null 2>&1; then
    pdnet="$pd run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network $pbridge localhost/busybox true"
fi
compare "run --rm --network USERNET IMAGE true (bridge)" "$sk run --rm --network benchnet localhost/busybox true" "$pdnet"
[ -n "$pd" ] && $pd network rm -f "$pbridge" >/dev/null 2>&1 || true

#!/usr/bin/env bash
# Issue 7 target: commit of a container that changed 100 MB ≥ 2x faster than
# `podman commit`. Both engines get a private store with the same busybox
# image and a stopped container that wrote 100 files of 1 MiB (random, so
# nothing compresses away); each run commits it anew (committed images are
# pruned before each run). podman uses its overlay driver where it works,
# else vfs (BENCH_PODMAN_DRIVER overrides).
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
work=$(mktemp -d)
trap 'S rm -af >/dev/null 2>&1; [ -n "${pd:-}" ] && P rm -af >/dev/null 2>&1; S unshare rm -rf "$work" 2>/dev/null; rm -rf "$work" 2>/dev/null' EXIT
"$top/tests/system/lib/mkimage.sh" "$work/img" >/dev/null
S() { "$SKIFF" --root "$work/s-root" --runroot "$work/s-run" "$@"; }
sk="$SKIFF --root $work/s-root --runroot $work/s-run"
write='for i in $(seq 100); do dd if=/dev/urandom of=/data-$i bs=1048576 count=1 2>/dev/null; done'
S load -q -i "$work/img/docker-archive.tar"
S run --name bench-commit localhost/busybox sh -c "$write"
echo "skiff storage driver: $(S info --format '{{.Driver}}')" >&2

pd=""
if have_podman; then
    for driver in ${BENCH_PODMAN_DRIVER:-overlay vfs}; do
        pd="podman --root $work/p-root-$driver --runroot $work/p-run-$driver --storage-driver $driver --runtime runc --cgroup-manager cgroupfs --events-backend file"
        P() { $pd "$@"; }
        if P load -q -i "$work/img/docker-archive.tar" >/dev/null 2>&1 &&
            P run --name bench-commit --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none \
                localhost/busybox sh -c "$write" >/dev/null 2>&1; then
            echo "podman storage driver: $driver" >&2
            break
        fi
        pd=""
    done
fi

prep=(--prepare "$sk image prune -af")
[ -n "$pd" ] && prep+=(--prepare "$pd image prune -af")
compare "commit of a container that changed 100 MB" "$sk commit -q bench-commit" \
    "$([ -n "$pd" ] && echo "$pd commit -q bench-commit")" "${prep[@]}"

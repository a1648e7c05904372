#!/usr/bin/env bash
# Issue 4 target: pulling a one-layer Debian minbase image (≈ 170 MB
# unpacked, ≈ 58 MB gzip) from a local registry is ≥ 4x faster than
# `podman pull` of the same image from the same registry. Every run starts
# from an empty store and a clean page cache state (sync): a command does
# not pay for the previous one's writeback. The previous store is moved
# aside, not deleted: ext4 skips inodes freed in the last minute when it
# allocates new ones, and creating 10,000 files right after deleting as
# many costs both engines seconds of kernel time that no user sees.
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
source "$(dirname "$0")/lib.sh"
source "$top/tests/system/lib/registry_bench.sh"
bench_setup
settle_fs

# shellcheck disable=SC2086
compare "pull debian minbase (local registry)" \
    "$SKIFF $SK pull -q $IMAGE" \
    "podman $PM pull -q --tls-verify=false $IMAGE" \
    --prepare "sh -c 'mkdir -p $WORK/trash && mv $WORK/skiff \$(mktemp -d -p $WORK/trash) 2>/dev/null; sync'" \
    --prepare "sh -c 'mkdir -p $WORK/trash && mv $WORK/podman \$(mktemp -d -p $WORK/trash) 2>/dev/null; sync'"

#!/usr/bin/env bash
# Issue 4 target: pulling a one-layer Debian minbase image (≈ 170 MB
# unpacked, ≈ 58 MB gzip) from a local registry is ≥ 4x faster than
# `podman pull` of the same image from the same registry. Every run starts
# from an empty store.
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
source "$(dirname "$0")/lib.sh"
source "$top/tests/system/lib/registry_bench.sh"
bench_setup

# shellcheck disable=SC2086
compare "pull debian minbase (local registry)" \
    "$SKIFF $SK pull -q $IMAGE" \
    "podman $PM pull -q --tls-verify=false $IMAGE" \
    --prepare "rm -rf $WORK/skiff" \
    --prepare "podman $PM rmi -a -f"

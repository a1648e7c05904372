#!/usr/bin/env bash
# Issue 4 target: pushing the Debian minbase image (see pull.sh) to a local
# registry is ≥ 2x faster than `podman push`. Before every run the registry
# forgets every blob, so each push uploads the whole layer.
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
source "$(dirname "$0")/lib.sh"
source "$top/tests/system/lib/registry_bench.sh"
bench_setup

# Both stores hold the image as pulled.
# shellcheck disable=SC2086
"$SKIFF" $SK pull -q "$IMAGE" > /dev/null
if have_podman; then
    # shellcheck disable=SC2086
    podman $PM pull -q --tls-verify=false "$IMAGE" > /dev/null
fi

# Distribution runs without a blob cache here: removing its storage is a
# clean slate without a restart.
compare "push debian minbase (local registry)" \
    "$SKIFF $SK push -q $IMAGE $REG/bench/pushed:1" \
    "podman $PM push -q --tls-verify=false $IMAGE $REG/bench/pushed:1" \
    --prepare "rm -rf $REG_DIR/data/docker"

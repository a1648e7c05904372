#!/usr/bin/env bash
# Issue 7 target: `skiff cp` of a 1 GB file into a container within 1.3x of
# plain `cp` of the same file on the same disk. The container runs (cp
# joins it); the file lands in its rootfs (overlay upper dir), which lives
# on the same file system as the plain copy's target. Before each run the
# previous copy is removed and dirty pages are written back (sync).
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
work=$(mktemp -d -p "${BENCH_TMP:-/var/tmp}" skiff-bench-cp.XXXXXX)
S() { "$SKIFF" --root "$work/s-root" --runroot "$work/s-run" "$@"; }
trap 'S rm -af >/dev/null 2>&1; S unshare rm -rf "$work" 2>/dev/null; rm -rf "$work" 2>/dev/null' EXIT
"$top/tests/system/lib/mkimage.sh" "$work/img" >/dev/null
S load -q -i "$work/img/docker-archive.tar"
S run -d --network none --name bench-cp localhost/busybox sleep 3600 >/dev/null
head -c 1000000000 /dev/urandom > "$work/big"
mkdir -p "$work/plain"
sk="$SKIFF --root $work/s-root --runroot $work/s-run"
compare_baseline "cp of a 1 GB file into a running container" "cp" \
    "$sk cp $work/big bench-cp:/big" "cp $work/big $work/plain/big" \
    --prepare "sh -c '$sk exec bench-cp rm -f /big; sync'" --prepare "sh -c 'rm -f $work/plain/big; sync'"

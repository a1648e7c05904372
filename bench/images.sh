#!/usr/bin/env bash
# Issue 3 target: `skiff images` with 1,000 tagged images (one image tagged
# 1,000 times) <= 20 ms median.
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d -p "${BENCH_TMP:-/var/tmp}" skiff-bench-images.XXXXXX)
S="$SKIFF --root $work/skiff/root --runroot $work/skiff/run"
P="podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --events-backend none"
cleanup() {
    if [ "$(id -u)" = 0 ]; then
        rm -rf "$work/skiff" "$work/podman"
    else
        $S unshare rm -rf "$work/skiff" 2>/dev/null || true
        have_podman && { $P unshare rm -rf "$work/podman" 2>/dev/null || true; }
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The busybox test image (no network needed).
"$top/tests/system/lib/mkimage.sh" "$work/img" >/dev/null
names=()
for i in $(seq 1 1000); do names+=("localhost/bench/img$i:v$i"); done
$S load -q -i "$work/img/docker-archive.tar"
$S tag localhost/busybox "${names[@]}"
[ "$($S images --format "{{.ID}}" | wc -l)" -eq 1001 ] || { echo "bench: expected 1001 rows from skiff images" >&2; exit 1; }
if have_podman; then
    $P load -q -i "$work/img/docker-archive.tar" >/dev/null
    $P tag localhost/busybox "${names[@]}"
fi

compare "images (1,000 tags)" "$S images" "$P images"

#!/usr/bin/env bash
# Issue 3 target: `skiff load` of a one-layer docker-archive of a Debian
# minbase tree (debootstrap --variant=minbase bookworm, ~170 MB unpacked)
# within 1.5x of plain `tar -x` of the same layer tarball to the same disk,
# and >= 2x faster than `podman load` (each into a fresh temp store).
#
# The archive is built once (needs root and debootstrap; apt mirrors must
# be reachable) and kept in $BENCH_CACHE (default /var/tmp/skiff-bench).
# Stores and the tar target live in one temp dir under $BENCH_TMP (default
# /var/tmp): the same disk for all three.
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
source "$(dirname "$0")/lib.sh"

cache=${BENCH_CACHE:-/var/tmp/skiff-bench}
archive=$cache/minbase-docker-archive.tar
layer=$cache/minbase-layer.tar

build_archive() {
    [ "$(id -u)" = 0 ] || { echo "bench: building $archive needs root (debootstrap); run once as root" >&2; exit 1; }
    command -v debootstrap >/dev/null || { echo "bench: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
    mkdir -p "$cache"
    local tree=$cache/minbase
    if [ ! -d "$tree/usr" ]; then
        rm -rf "$tree.tmp"
        echo "bench: debootstrap --variant=minbase bookworm (a few minutes)…" >&2
        debootstrap --variant=minbase bookworm "$tree.tmp" >&2
        mv "$tree.tmp" "$tree"
    fi
    local d; d=$(mktemp -d -p "$cache")
    tar --sort=name --numeric-owner --xattrs -C "$tree" -cf "$layer.tmp" .
    mv "$layer.tmp" "$layer"
    local diff_id config cid
    diff_id=$(sha256sum "$layer" | cut -d' ' -f1)
    config=$(printf '{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Cmd":["bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"debootstrap --variant=minbase bookworm"}]}' "$diff_id")
    cid=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
    mkdir -p "$d/$diff_id"
    ln "$layer" "$d/$diff_id/layer.tar" 2>/dev/null || cp "$layer" "$d/$diff_id/layer.tar"
    printf '%s' "$config" > "$d/$cid.json"
    printf '[{"Config":"%s.json","RepoTags":["localhost/minbase:bookworm"],"Layers":["%s/layer.tar"]}]' "$cid" "$diff_id" \
        > "$d/manifest.json"
    tar -C "$d" -cf "$archive.tmp" .
    mv "$archive.tmp" "$archive"
    rm -rf "$d"
}

[ -f "$archive" ] && [ -f "$layer" ] || build_archive
chmod a+r "$archive" "$layer" 2>/dev/null || true

work=$(mktemp -d -p "${BENCH_TMP:-/var/tmp}" skiff-bench-load.XXXXXX)
# Between runs the previous store (or tar target) is moved aside, not
# deleted (see settle_fs in lib.sh); the trash goes at the end.
mkdir -p "$work/trash"
wipe_skiff="mv $work/skiff \$(mktemp -d -p $work/trash) 2>/dev/null; true"
wipe_podman="mv $work/podman \$(mktemp -d -p $work/trash) 2>/dev/null; true"
wipe_tar="mv $work/tar \$(mktemp -d -p $work/trash) 2>/dev/null; mkdir $work/tar"
cleanup() {
    # Files of subordinate IDs: rootless, only the user namespace may remove them.
    if [ "$(id -u)" = 0 ]; then
        rm -rf "$work"
    else
        "$SKIFF" --root "$work/x/root" --runroot "$work/x/run" unshare rm -rf "$work" 2>/dev/null || rm -rf "$work"
    fi
}
trap cleanup EXIT

skiff_load="$SKIFF --root $work/skiff/root --runroot $work/skiff/run load -q -i $archive"
tar_x="tar -x --numeric-owner -f $layer -C $work/tar"
echo "bench: $(du -sh --apparent-size "$layer" | cut -f1) layer; store driver: $($SKIFF --root "$work/skiff/root" --runroot "$work/skiff/run" info --format '{{.Driver}}')" >&2

# Every run starts from an empty target and a clean page cache state
# (sync): a command does not pay for the previous one's writeback.
settle_fs
compare_baseline "load minbase docker-archive" "tar -x" "$skiff_load" "$tar_x" \
    --prepare "sh -c '$wipe_skiff && sync'" --prepare "sh -c '$wipe_tar && sync'"
if have_podman; then
    compare "load minbase docker-archive" "$skiff_load" \
        "podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --events-backend none load -q -i $archive" \
        --prepare "sh -c '$wipe_skiff && sync'" --prepare "sh -c '$wipe_podman && sync'"
fi

# Shared by bench/pull.sh and bench/push.sh: a one-layer Debian bookworm
# minbase image (≈ 170 MB unpacked) in a local Distribution registry, plus
# private stores for skiff and podman. Source after bench/lib.sh.

source "$top/tests/system/lib/registry.sh"

BENCH_CACHE=${BENCH_CACHE:-/var/tmp/skiff-bench}

# $BENCH_CACHE/rootfs.tar: debootstrap's minbase (apt's caches dropped, as
# images do), or, without debootstrap or a mirror, a synthetic tree of the
# same size and a similar mix of small and large files.
bench_rootfs() {
    [ -s "$BENCH_CACHE/rootfs.tar" ] && return 0
    mkdir -p "$BENCH_CACHE"
    local root=$BENCH_CACHE/rootfs
    if [ ! -d "$root/usr" ] && command -v debootstrap >/dev/null &&
        debootstrap --variant=minbase bookworm "$root.tmp" http://deb.debian.org/debian > "$BENCH_CACHE/debootstrap.log" 2>&1; then
        mv "$root.tmp" "$root"
        echo "Debian bookworm minbase (debootstrap)" > "$BENCH_CACHE/what"
    elif [ ! -d "$root/usr" ]; then
        rm -rf "$root.tmp" "$root"
        mkdir -p "$root"
        echo "bench: debootstrap unavailable; using a synthetic tree" >&2
        python3 - "$root" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(4)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz_ .\n") for _ in range(rng.randint(3, 12))) for _ in range(4000)]
total = 0
i = 0
while total < 170 << 20:
    d = os.path.join(root, "usr", "share", "d%03d" % (i % 300))
    os.makedirs(d, exist_ok=True)
    size = rng.choice([200, 1500, 6000, 40000, 400000])
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        if i % 5 == 0:  # binaries: poorly compressible
            f.write(rng.randbytes(size // 2) + b"".join(rng.choice(words) for _ in range(size // 16)))
        else:
            f.write(b"".join(rng.choice(words) for _ in range(size // 7)))
    total += size
    i += 1
PY
        echo "synthetic tree (170 MB)" > "$BENCH_CACHE/what"
    fi
    rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar --sort=name --numeric-owner -C "$root" -cf "$BENCH_CACHE/rootfs.tar.tmp" . &&
        mv "$BENCH_CACHE/rootfs.tar.tmp" "$BENCH_CACHE/rootfs.tar"
}

# Sets WORK, REG_DIR, REG, IMAGE (in the registry, gzip) and the store
# options SK (skiff) and PM (podman). Cleans up on exit.
bench_setup() {
    bench_rootfs
    WORK=$(mktemp -d /var/tmp/skiff-bench-run.XXXXXX)
    trap bench_cleanup EXIT
    REG_DIR=$WORK/registry
    REG=$(start_registry "$REG_DIR") || exit 1
    IMAGE=$REG/bench/debian:bookworm
    SK="--root $WORK/skiff/root --runroot $WORK/skiff/run"
    PM="--root $WORK/podman/root --runroot $WORK/podman/run --storage-driver overlay"
    local seed="--root $WORK/seed/root --runroot $WORK/seed/run"
    # shellcheck disable=SC2086
    "$SKIFF" $seed import -q "$BENCH_CACHE/rootfs.tar" bench/debian:bookworm > /dev/null
    # shellcheck disable=SC2086
    "$SKIFF" $seed push -q docker.io/bench/debian:bookworm "$IMAGE" > /dev/null
    # The seed store stays until the end: deleting its 10,000 files now
    # would slow the file creation of the first measured runs (ext4 skips
    # recently freed inodes).
    local blob
    blob=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/bench/debian/manifests/bookworm" |
        jq '.layers[0].size')
    echo "bench image: $(cat "$BENCH_CACHE/what" 2>/dev/null), $(($(stat -c %s "$BENCH_CACHE/rootfs.tar") >> 20)) MB tar," \
        "$((blob >> 20)) MB gzip" >&2
}

bench_cleanup() {
    set +e  # lib.sh runs with -e: clean up as much as possible
    stop_registry "$REG_DIR"
    if have_podman; then
        # shellcheck disable=SC2086
        podman $PM rmi -a -f > /dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}

#!/usr/bin/env bats
# Round trips with podman: archives it writes load here with the same image
# ID and the same files, and archives skiff writes load there. Podman runs
# on a throwaway store (vfs, under the test's temp dir): the user's own
# podman store is never touched.

load helpers

# helpers.bash's teardown, kept under another name.
eval "$(declare -f teardown | sed '1s/^teardown/helpers_teardown/')"

setup() {
    setup_store
    command -v podman >/dev/null || skip "podman is not installed"
    PM=$BATS_TEST_TMPDIR/podman
    mkdir -p "$PM/root" "$PM/run" "$PM/tmp"
    local out
    if ! out=$(podman_ info --format '{{.Store.GraphDriverName}}' 2>&1); then
        skip "podman does not work in this environment: $(printf '%s' "$out" | grep -m1 -i error || printf '%s' "$out" | head -n1)"
    fi
}

teardown() {
    # A rootless podman store holds files of subordinate IDs.
    if [ -n "${PM:-}" ] && [ -d "$PM" ]; then
        if is_rootless; then podman_ unshare rm -rf "$PM/root" "$PM/run" 2>/dev/null || true; fi
        rm -rf "$PM" 2>/dev/null || true
    fi
    helpers_teardown
}

podman_() {
    podman --root "$PM/root" --runroot "$PM/run" --tmpdir "$PM/tmp" --storage-driver vfs \
        --events-backend none --cgroup-manager cgroupfs "$@"
}

# An image made by podman itself (import), with what archives must carry
# through: a foreign owner, a setuid bit, a symlink and a hard link.
podman_image() {
    local src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src/etc" "$src/bin"
    echo hello > "$src/etc/hello"
    ln -s hello "$src/etc/link"
    ln "$src/etc/hello" "$src/etc/hard"
    cp "$TEST_IMAGES/rootfs/bin/busybox" "$src/bin/busybox"
    chmod 4755 "$src/bin/busybox"
    tar --owner=33 --group=33 --numeric-owner -C "$src" -cf "$BATS_TEST_TMPDIR/src.tar" .
    podman_ import -q "$BATS_TEST_TMPDIR/src.tar" localhost/owned:1 >/dev/null
}

# Image IDs as hex, as podman prints them.
podman_id() { podman_ image inspect --format '{{.Id}}' "$1"; }
skiff_id() { skiff image inspect --format '{{.Id}}' "$1" | sed 's/^sha256://'; }

# The config digest an oci-archive names: the ID any engine must give it.
oci_archive_id() {
    local d=$BATS_TEST_TMPDIR/oci-x m
    rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xf "$1"
    m=$(jq -r '.manifests[0].digest' "$d/index.json")
    jq -r '.config.digest' "$d/blobs/sha256/${m#sha256:}" | sed 's/^sha256://'
}

# Checks the files of localhost/owned:1 in skiff's store.
check_skiff_files() {
    local layer
    layer=$(skiff image inspect --format '{{.GraphDriver.Data.LowerDir}}' localhost/owned:1)
    [ -n "$layer" ]
    run skiff unshare stat -c '%u:%g %a %h' "$layer/etc/hello" "$layer/bin/busybox"
    assert_status 0
    [ "${lines[0]}" = "33:33 644 2" ]
    [ "${lines[1]}" = "33:33 4755 1" ]
    run skiff unshare readlink "$layer/etc/link"
    [ "$output" = hello ]
    run skiff unshare cat "$layer/etc/hard"
    [ "$output" = hello ]
}

@test "podman save (docker-archive) loads here with the same image ID and files" {
    podman_image
    podman_ save -q --format docker-archive -o "$BATS_TEST_TMPDIR/p.tar" localhost/owned:1
    run skiff load -i "$BATS_TEST_TMPDIR/p.tar"
    assert_status 0
    [ "$output" = "Loaded image: localhost/owned:1" ]
    [ "$(skiff_id localhost/owned:1)" = "$(podman_id localhost/owned:1)" ]
    check_skiff_files
}

@test "podman save (oci-archive) loads here with the same image ID and files" {
    podman_image
    podman_ save -q --format oci-archive -o "$BATS_TEST_TMPDIR/p.tar" localhost/owned:1
    run skiff load -i "$BATS_TEST_TMPDIR/p.tar"
    assert_status 0
    assert_output_contains "localhost/owned:1"
    [ "$(skiff_id localhost/owned:1)" = "$(podman_id localhost/owned:1)" ]
    [ "$(skiff_id localhost/owned:1)" = "$(oci_archive_id "$BATS_TEST_TMPDIR/p.tar")" ]
    check_skiff_files
}

@test "podman save of the test image keeps its ID" {
    podman_ load -q -i "$TEST_IMAGES/docker-archive.tar" >/dev/null
    [ "$(podman_id localhost/busybox)" = "$(busybox_id)" ]
    podman_ save -q -o "$BATS_TEST_TMPDIR/p.tar" localhost/busybox
    skiff load -q -i "$BATS_TEST_TMPDIR/p.tar"
    run skiff images --no-trunc -q
    [ "$output" = "sha256:$(busybox_id)" ]
}

@test "skiff save (docker-archive and oci-archive) loads in podman" {
    podman_image
    podman_ save -q -o "$BATS_TEST_TMPDIR/p.tar" localhost/owned:1
    skiff load -q -i "$BATS_TEST_TMPDIR/p.tar"
    podman_ rmi -a -f >/dev/null
    want=$(skiff_id localhost/owned:1)
    for fmt in docker-archive oci-archive; do
        skiff save --format "$fmt" -o "$BATS_TEST_TMPDIR/s-$fmt.tar" localhost/owned:1
        run podman_ load -i "$BATS_TEST_TMPDIR/s-$fmt.tar"
        assert_status 0
        assert_output_contains "Loaded image: localhost/owned:1"
        [ "$(podman_id localhost/owned:1)" = "$want" ]
        # The files, as podman's vfs driver unpacked them.
        local check="stat -c '%u:%g %a' \"$PM\"/root/vfs/dir/*/etc/hello \"$PM\"/root/vfs/dir/*/bin/busybox"
        if is_rootless; then run podman_ unshare sh -c "$check"; else run sh -c "$check"; fi
        assert_status 0
        [ "${lines[0]}" = "33:33 644" ]
        [ "${lines[1]}" = "33:33 4755" ]
        podman_ rmi -a -f >/dev/null
    done
}

@test "skiff save of several images loads in podman" {
    load_busybox
    podman_image
    podman_ save -q -o "$BATS_TEST_TMPDIR/p.tar" localhost/owned:1
    skiff load -q -i "$BATS_TEST_TMPDIR/p.tar"
    podman_ rmi -a -f >/dev/null
    skiff save -o "$BATS_TEST_TMPDIR/both.tar" localhost/busybox localhost/owned:1
    run podman_ load -i "$BATS_TEST_TMPDIR/both.tar"
    assert_status 0
    run podman_ images --format '{{.Repository}}:{{.Tag}}'
    assert_output_contains "localhost/busybox:latest"
    assert_output_contains "localhost/owned:1"
    [ "$(podman_id localhost/busybox)" = "$(busybox_id)" ]
}

@test "round trip: skiff save, podman load and save, skiff load into a fresh store" {
    load_busybox
    skiff save -o "$BATS_TEST_TMPDIR/s.tar" localhost/busybox
    podman_ load -q -i "$BATS_TEST_TMPDIR/s.tar" >/dev/null
    [ "$(podman_id localhost/busybox)" = "$(busybox_id)" ]
    # Podman rewrites a Docker-style config in OCI field order for an
    # oci-archive: the ID is then that config's digest, for every engine.
    podman_ save -q --format oci-archive -o "$BATS_TEST_TMPDIR/p.tar" localhost/busybox
    skiff system reset -f
    skiff load -q -i "$BATS_TEST_TMPDIR/p.tar"
    [ "$(skiff_id localhost/busybox)" = "$(oci_archive_id "$BATS_TEST_TMPDIR/p.tar")" ]
    podman_ rmi -a -f >/dev/null
    podman_ load -q -i "$BATS_TEST_TMPDIR/p.tar" >/dev/null
    [ "$(skiff_id localhost/busybox)" = "$(podman_id localhost/busybox)" ]
    layer=$(skiff image inspect --format '{{.GraphDriver.Data.LowerDir}}' localhost/busybox)
    run skiff unshare cat "$layer/etc/motd"
    [ "$output" = "skiff test image" ]
}

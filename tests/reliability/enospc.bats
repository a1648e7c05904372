#!/usr/bin/env bats
# Issue 16.6: a store whose file system is full. Read-only commands work;
# rm, volume rm and prune free space; the monitor survives and records the
# exit; commit says "no space left on device". The store lives on a small
# tmpfs (tests/run.sh mounts one for the rootless run; as root each test
# mounts its own).

load ../system/helpers

setup() {
    if [ -n "${SKIFF_TEST_SMALLFS:-}" ]; then
        SMALL=$SKIFF_TEST_SMALLFS
    elif ! is_rootless; then
        SMALL=$(mktemp -d "$BATS_TEST_TMPDIR/small.XXXXXX")
        mount -t tmpfs -o size=64m tmpfs "$SMALL"
        OWN_MOUNT=1
    else
        skip "needs a small file system (tests/run.sh mounts one as root)"
    fi
    STORE=$(mktemp -d "$SMALL/store.XXXXXX")
    export SKIFF_ROOT=$STORE/root SKIFF_RUNROOT=$BATS_TEST_TMPDIR/run
    mkdir -p "$SKIFF_ROOT" "$SKIFF_RUNROOT"
    chmod 0700 "$SKIFF_RUNROOT"
    load_busybox >/dev/null
}

teardown() {
    rm -f "$SMALL/filler"
    if [ -n "${STORE:-}" ]; then
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" rm -af >/dev/null 2>&1 || true
        is_rootless && "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" unshare rm -rf "$STORE" 2>/dev/null
        rm -rf "$STORE" 2>/dev/null || true
    fi
    [ -n "${OWN_MOUNT:-}" ] && umount "$SMALL"
    true
}

fill() {
    dd if=/dev/zero of="$SMALL/filler" bs=1M 2>/dev/null || true
    [ "$(df --output=avail -k "$SMALL" | tail -1 | tr -d ' ')" -lt 1024 ]
}

@test "a full store: read-only commands work, rm, volume rm and prune free it" {
    skiff run -d --name up busybox sleep 1000 >/dev/null
    skiff run --name done busybox true
    skiff volume create v1 >/dev/null
    skiff commit done doneimg >/dev/null
    fill
    run -0 skiff ps -a --format '{{.Names}} {{.State}}'
    assert_output_contains "up running"
    assert_output_contains "done exited"
    run -0 skiff images -q
    run -0 skiff inspect --format '{{.State.Status}}' up
    run -0 skiff logs done
    run -0 skiff volume ls -q
    run -0 skiff rm -f done
    run -0 skiff rmi doneimg
    run -0 skiff volume rm v1
    run -0 skiff rm -f up
    run -0 skiff system prune -f
    run -0 skiff ps -aq
    [ -z "$output" ]
    rm -f "$SMALL/filler"
    run -0 skiff run --rm busybox echo again
    [ "$output" = again ]
}

@test "a full store: the monitor survives and records the exit" {
    skiff run -d --name ends busybox sh -c 'trap "exit 7" USR1; while :; do sleep 0.1; done' >/dev/null
    fill
    run -0 skiff kill -s USR1 ends
    run -0 skiff wait ends
    [ "$output" = 7 ]
    run -0 skiff inspect --format '{{.State.Status}} {{.State.ExitCode}}' ends
    [ "$output" = "exited 7" ]
}

@test "a full store: commit says no space left on device and leaves nothing" {
    skiff run -d --name big busybox sleep 1000 >/dev/null
    skiff exec big sh -c 'head -c 12000000 /dev/zero > /big'
    fill
    rm -f "$SMALL/filler"
    # Room for the database's writes, not for a 12 MB layer.
    avail=$(df --output=avail -k "$SMALL" | tail -1 | tr -d ' ')
    dd if=/dev/zero of="$SMALL/filler" bs=1k count=$((avail - 6000)) 2>/dev/null
    run -125 skiff commit big bigimg
    assert_output_contains "No space left on device"
    [[ "$output" != *"Broken pipe"* ]]
    run -0 skiff images --format '{{.Repository}}'
    [ "$output" = localhost/busybox ]
    [ -z "$(ls -A "$SKIFF_ROOT/tmp" 2>/dev/null)" ]
}

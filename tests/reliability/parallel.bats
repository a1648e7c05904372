#!/usr/bin/env bats
# Issue 16: 50-way parallel run and rm against one store, and rm -af racing
# containers that remove themselves (run --rm) as they exit. Every command
# succeeds or fails with a one-line error of skiff's own (never a C++
# exception's text), and nothing is left behind.

load ../system/helpers

setup() {
    setup_store
    load_busybox >/dev/null
}

# bats's own watchdog is a background job too: wait for ours only.
pids=()

# Nothing of any container left: records, directories, locks, processes, mounts.
assert_store_empty() {
    run -0 skiff ps -aq
    [ -z "$output" ] || { echo "containers left: $output" >&2; return 1; }
    [ -z "$(ls -A "$SKIFF_ROOT/containers" 2>/dev/null)" ] || { ls -A "$SKIFF_ROOT/containers" >&2; return 1; }
    [ -z "$(ls -A "$SKIFF_RUNROOT/containers" 2>/dev/null)" ] || { ls -A "$SKIFF_RUNROOT/containers" >&2; return 1; }
    for _ in $(seq 100); do pgrep -f "$SKIFF_RUNROOT/containers" >/dev/null || break; sleep 0.1; done
    ! pgrep -af "$SKIFF_RUNROOT/containers"
    if ! is_rootless; then
        ! grep -q "$STORE" /proc/self/mountinfo
    fi
}

no_raw_errors() {  # $1: a file of stderr
    ! grep -E "internal error|basic_string|bad_alloc|std::|terminate called" "$1"
    # Every line is skiff's one-line error (or a warning).
    ! grep -vE '^(Error|WARNING|Warning): ' "$1"
}

@test "50 parallel run -d, then 50 parallel rm -f" {
    errs=$BATS_TEST_TMPDIR/errs
    for i in $(seq 50); do
        skiff run -d --name p$i --network none busybox sleep 1000 >/dev/null 2>>"$errs" &
        pids+=($!)
    done
    wait "${pids[@]}"
    no_raw_errors "$errs"
    run -0 skiff ps -q
    [ "${#lines[@]}" -eq 50 ]
    pids=()
    for i in $(seq 50); do
        skiff rm -f p$i >/dev/null 2>>"$errs" &
        pids+=($!)
    done
    wait "${pids[@]}"
    [ ! -s "$errs" ] || { cat "$errs" >&2; return 1; }
    assert_store_empty
}

@test "rm -af racing run --rm -d containers that exit on their own" {
    errs=$BATS_TEST_TMPDIR/errs
    for i in $(seq 25); do
        skiff run -d --rm --network none busybox sh -c "sleep 0.$((i % 5))" >/dev/null 2>>"$errs" &
        pids+=($!)
        skiff rm -af >/dev/null 2>>"$errs" &
        pids+=($!)
    done
    wait "${pids[@]}"
    no_raw_errors "$errs"
    # What a race may say: a container removed before its start.
    ! grep -v "removed before it started" "$errs"
    skiff rm -af >/dev/null
    assert_store_empty
}

@test "parallel run --rm in the foreground: every exit code comes back" {
    for i in $(seq 30); do
        (
            code=0
            skiff run --rm --network none busybox sh -c "exit $((i % 7))" || code=$?
            echo "$i $code" >>"$BATS_TEST_TMPDIR/codes"
        ) 2>>"$BATS_TEST_TMPDIR/errs" &
        pids+=($!)
    done
    wait "${pids[@]}"
    [ ! -s "$BATS_TEST_TMPDIR/errs" ] || { cat "$BATS_TEST_TMPDIR/errs" >&2; return 1; }
    [ "$(wc -l <"$BATS_TEST_TMPDIR/codes")" -eq 30 ]
    while read -r i code; do [ "$code" -eq $((i % 7)) ]; done <"$BATS_TEST_TMPDIR/codes"
    assert_store_empty
}

#!/usr/bin/env bash
# Runs every test: Catch2 unit tests, then the bats system tests rootless (as
# an unprivileged user with subordinate ID ranges) and as root. The last line
# is the summary "N passed, N failed, N skipped".
#
# Usage: tests/run.sh [BUILD_DIR]      (default: build)
# As root it runs the system tests twice: as $SKIFF_TEST_USER (default
# skiffci, created by .ci/run) and as root. As a normal user, once, as you.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
test_user=${SKIFF_TEST_USER:-skiffci}
filter=${SKIFF_TEST_FILTER:-}

passed=0 failed=0 skipped=0
tally() {  # reads TAP on stdin, echoes it, counts it
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
        "not ok "*) failed=$((failed + 1)) ;;
        "ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "ok "*) passed=$((passed + 1)) ;;
        esac
    done
}

echo "== include rules"
if layers_out=$(python3 "$top/tools/check-layers" 2>&1); then
    echo "ok - $layers_out"; passed=$((passed + 1))
else
    printf '%s\n' "$layers_out"; echo "not ok - include rules (tools/check-layers)"; failed=$((failed + 1))
fi

echo "== unit tests"
# Catch2 counts test cases in its last line: "All tests passed (N assertions
# in M test cases)" or "test cases: M | P passed | F failed".
unit_out=$("$build/skiff-unit" 2>&1)
unit_rc=$?
printf '%s\n' "$unit_out" | tail -n 40
summary=$(printf '%s\n' "$unit_out" | grep -E 'test cases' | tail -n 1)
if [[ $summary =~ in\ ([0-9]+)\ test\ case ]]; then
    passed=$((passed + BASH_REMATCH[1]))
elif [[ $summary =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
    passed=$((passed + BASH_REMATCH[2])); failed=$((failed + BASH_REMATCH[3]))
else
    echo "not ok - unit tests did not report (exit $unit_rc)"; failed=$((failed + 1))
fi
[ "$unit_rc" -ne 0 ] && [ "$failed" -eq 0 ] && { echo "not ok - unit tests exited $unit_rc"; failed=$((failed + 1)); }

# The system tests run from a world-readable copy: the unprivileged user must
# be able to reach the binary even when the checkout lives under /root.
stage=$(mktemp -d /tmp/skiff-tests.XXXXXX)
chmod 0755 "$stage"
# A small file system the reliability suite fills (tests/reliability/
# enospc.bats): only root can mount it, for the rootless run too.
smallfs=$stage/smallfs
cleanup() {
    umount "$smallfs" 2>/dev/null
    rm -rf "$stage"
}
trap cleanup EXIT
mkdir -p "$stage/build" "$stage/tests"
cp "$build/skiff" "$stage/build/skiff"
ln -s skiff "$stage/build/skiff-runtime"
cp "$build/src/init/skiff-init" "$stage/build/skiff-init"
# The idle monitor (issue 6): skiff finds it next to itself.
cp "$build/src/monitor_idle/skiff-monitor" "$stage/build/skiff-monitor"
cp -r "$top/tests/system" "$stage/tests/system"
# The reliability suite (issue 16): hostile inputs, faults, load.
cp -r "$top/tests/reliability" "$stage/tests/reliability"
cp -r "$top/man" "$top/completions" "$stage/"
echo "== building the busybox test image"
if ! "$top/tests/system/lib/mkimage.sh" "$stage/build/test-images" >/dev/null; then
    echo "not ok - building the test image failed"
    failed=$((failed + 1))
fi
chmod -R a+rX "$stage"

files=("$stage/tests/system" "$stage/tests/reliability")
if [ -n "$filter" ]; then  # one or more bats files, space-separated (reliability/F for that suite)
    files=()
    for f in $filter; do
        case $f in
        reliability/*) files+=("$stage/tests/$f") ;;
        *) files+=("$stage/tests/system/$f") ;;
        esac
    done
fi

# A hung test fails after this many seconds instead of stalling the run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}

run_bats() {  # $1: label; rest: command prefix
    local label=$1; shift
    echo "== system tests ($label)"
    tally < <("$@" bats --tap "${files[@]}" 2>&1 | sed -u "s/^\(\(not \)\?ok [0-9]*\)/\1 [$label]/")
}

if [ "$(id -u)" = 0 ]; then
    if id "$test_user" >/dev/null 2>&1; then
        uid=$(id -u "$test_user")
        rt=/run/user/$uid
        mkdir -p "$rt" && chown "$test_user:" "$rt" && chmod 0700 "$rt"
        home=$(getent passwd "$test_user" | cut -d: -f6)
        mkdir -p "$smallfs" && mount -t tmpfs -o size=64m,mode=0700 tmpfs "$smallfs" && chown "$test_user:" "$smallfs" &&
            export SKIFF_TEST_SMALLFS=$smallfs
        run_bats rootless runuser -u "$test_user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME="$home" USER="$test_user" XDG_RUNTIME_DIR="$rt" TMPDIR=/tmp BATS_TEST_TIMEOUT="$BATS_TEST_TIMEOUT" \
            ${SKIFF_TEST_SMALLFS:+SKIFF_TEST_SMALLFS="$SKIFF_TEST_SMALLFS"}
        umount "$smallfs" 2>/dev/null
        unset SKIFF_TEST_SMALLFS
    else
        echo "not ok - rootless tests need the user $test_user (created by .ci/run)"
        failed=$((failed + 1))
    fi
    run_bats root env
else
    run_bats rootless env
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

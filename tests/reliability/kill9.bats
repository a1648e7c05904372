#!/usr/bin/env bats
# kill -9 at each step of load, commit, run and rm (issue 16, the standing
# reliability suite), for load -i, commit, run -d, run --rm, rm -f, create
# and volume rm. Each command is traced once with strace (its own process,
# not its children) to list the system calls it makes; then, for a spread
# of them, it is run again with strace's fault injection sending it SIGKILL
# on entering that call (`-e inject=CALL:signal=SIGKILL:when=K`,
# deterministic where timing is not). Then it is killed at moments spread
# over the time it takes: rootless, most of the work is done by a child in
# the user namespace, which dies with the command (parent-death signal) and
# which strace cannot follow (newuidmap is not setuid under ptrace).
# After each kill:
#   - the next commands work: ps -a, images, volume ls, running every image
#     listed (no half-written image), rm -af, system prune -af --volumes,
#     volume rm of what is left, and a fresh load and run --rm;
#   - nothing leaked: no mount of the store's paths in any mount namespace
#     we can see (the host's, every process's, rootless the storage
#     namespace's), no process that names the store or the kill point's
#     marker (netd, which leaves two seconds after its last container, is
#     waited for at the end), no container directory, lock, network
#     namespace or runtime state left in the runroot, no layer, container
#     directory, volume or temporary file left in the store.
# Each test prints its counts as a TAP comment (`# kill -9 …: tried N,
# survived N, not reached N`); a kill point the command did not reach (it
# took another path this time, or ended first) is counted apart, and
# checked all the same. The last tests kill at the windows the spread
# found, on purpose.

load ../system/helpers
bats_require_minimum_version 1.5.0

# Kill points per command, at system calls and at moments; raise them for
# a longer run.
POINTS=${SKIFF_KILL9_POINTS:-5}
TIMED=${SKIFF_KILL9_TIMED:-3}

# System calls that only read or map and change nothing the next command
# sees: killing there says the same as killing at the next call that does.
QUIET_CALLS='^(read|pread64|readv|newfstatat|fstat|fstatfs|statfs|statx|lseek|mmap|munmap|mprotect|madvise|brk|futex|fcntl|getpid|gettid|getppid|getuid|geteuid|getgid|getegid|getrandom|rt_sigaction|rt_sigprocmask|rt_sigreturn|arch_prctl|set_tid_address|set_robust_list|rseq|prlimit64|access|faccessat|faccessat2|readlink|readlinkat|getdents64|uname|sysinfo|clock_gettime|getcwd|ioctl|getsockopt|getsockname|sched_getaffinity|sched_yield|restart_syscall|exit_group)$'

setup() {
    command -v strace >/dev/null || skip "needs strace (tools/setup-host.sh installs it)"
    setup_store
    MARK=k9m$$x$RANDOM
    TRIED=0 SURVIVED=0 MISSED=0 MISSED_AT=()
    FAILS=()
}

teardown() {
    # Anything a failed check left running must not outlive the test: a
    # container left frozen (cgroup v1 freezer, as root) is thawed so that
    # its SIGKILL lands.
    pkill -KILL -f -- "$MARK" 2>/dev/null || true
    local f pid
    for f in /sys/fs/cgroup/freezer/skiff/*/freezer.state; do
        [ -w "$f" ] && [ "$(cat "$f" 2>/dev/null)" != THAWED ] || continue
        for pid in $(cat "${f%/*}/cgroup.procs" 2>/dev/null); do
            if grep -qsF -- "$MARK" "/proc/$pid/cmdline"; then
                echo THAWED >"$f" 2>/dev/null || true
                break
            fi
        done
    done
    "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" rm -af >/dev/null 2>&1 || true
    if is_rootless; then
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" unshare rm -rf "$STORE" 2>/dev/null || true
    fi
    rm -rf "$STORE" 2>/dev/null || true
}

# The system calls skiff's own process makes for "$@", one name a line.
calls_of() {
    local trace=$BATS_TEST_TMPDIR/trace
    strace -qq -o "$trace" -- "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@" >/dev/null 2>&1
    sed -n 's/^\([a-z0-9_]*\)(.*/\1/p' "$trace"
}

# POINTS kill points spread over the calls that change something, as
# "CALL K" (the Kth call of CALL), first and last included.
kill_points() {
    local -a all=() cand=() names=()
    mapfile -t all < <(calls_of "$@")
    local i
    declare -A seen=()
    local -a nth=()
    for i in "${!all[@]}"; do
        seen[${all[$i]}]=$((${seen[${all[$i]}]:-0} + 1))
        nth[$i]=${seen[${all[$i]}]}
        # Not the first: the execve that strace starts it with.
        [ "$i" -eq 0 ] || [[ ${all[$i]} =~ $QUIET_CALLS ]] || cand+=("$i")
    done
    local n=${#cand[@]} p last=-1 j
    [ "$n" -gt 0 ] || return 0
    for ((p = 0; p < POINTS; p++)); do
        if [ "$POINTS" -gt 1 ]; then j=$((p * (n - 1) / (POINTS - 1))); else j=0; fi
        [ "$j" -ne "$last" ] || continue
        last=$j
        i=${cand[$j]}
        echo "${all[$i]} ${nth[$i]}"
    done
}

fail_point() { FAILS+=("$POINT: $*"); }

# Runs "$@" (a skiff command line), its output in OUT, and notes a
# failure unless it exits 0.
ok() {
    if ! OUT=$(skiff "$@" 2>&1); then
        fail_point "skiff $* failed: $OUT"
        return 1
    fi
}

# Every mount line that names the store, in every mount namespace we can
# read (the host's, each process's, rootless the storage namespace).
store_mounts() {
    find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%l %h\n' 2>/dev/null |
        awk '!seen[$1]++ { sub("/ns$", "/mountinfo", $2); print $2 }' |
        xargs -r grep -hF -- "$STORE/" 2>/dev/null || true
    if is_rootless; then
        skiff unshare cat /proc/self/mountinfo 2>/dev/null | grep -F -- "$STORE/" || true
    fi
}

# Processes that belong to the store or to this test's containers. netd
# (the networks' daemon) leaves on its own two seconds after its last
# container; it is waited for at the end of the test.
store_procs() {
    pgrep -af -- "$STORE/|$MARK" | grep -v -e '__netd' -e "^$BASHPID " || true
}

# Waits (up to ~15 s) for the store's processes, netd included, to be gone.
wait_no_procs() {
    local i
    for i in $(seq 1 150); do
        pgrep -f -- "$STORE/|$MARK" >/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Files the store keeps although nothing is in it any more.
store_leftovers() {
    local d
    for d in "$SKIFF_ROOT/tmp" "$SKIFF_ROOT/containers" "$SKIFF_ROOT/layers" "$SKIFF_ROOT/volumes" \
        "$SKIFF_RUNROOT/containers"; do
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -maxdepth 1 2>/dev/null
    done
    [ -d "$SKIFF_RUNROOT/runtime" ] && find "$SKIFF_RUNROOT/runtime" -mindepth 1 -maxdepth 1 ! -name .seccomp-cache
    true
}

# rm -rf, rootless in the storage namespace (files of subordinate IDs).
remove() {
    if is_rootless; then skiff unshare rm -rf "$@"; else rm -rf "$@"; fi
}

# The checks after a kill: the store works and nothing leaked.
check_after_kill() {
    local before=${#FAILS[@]} out id
    ok ps -a
    ok volume ls
    if ok images -q --no-trunc; then
        for id in $OUT; do
            ok run --rm --network none "$id" true
        done
    fi
    ok rm -af
    ok system prune -af --volumes
    if ok volume ls -q; then
        for id in $OUT; do ok volume rm -f "$id"; done
    fi
    ok ps -aq && [ -n "$OUT" ] && fail_point "containers left after rm -af: $OUT"
    ok images -q && [ -n "$OUT" ] && fail_point "images left after prune -af: $OUT"
    out=$(store_mounts) && [ -n "$out" ] && fail_point "mounts left: $out"
    out=$(store_procs) && [ -n "$out" ] && fail_point "processes left: $out"
    out=$(store_leftovers)
    if [ -n "$out" ]; then
        fail_point "files left: $(echo $out)"
        # Gone, so that the next kill point is judged on its own.
        remove $out
    fi
    if ok load -q -i "$TEST_IMAGES/docker-archive.tar"; then
        ok run --rm busybox echo fresh && [ "$OUT" != fresh ] && fail_point "fresh run printed: $OUT"
    fi
    [ "${#FAILS[@]}" -eq "$before" ]
}

# Waits (up to ~5 s) until no process runs the command line "$*" of this
# store: a killed command's children (rootless, the one that does the work
# in the user namespace) die with it, a moment later. A monitor forked by
# run carries the same command line until it becomes skiff-monitor, after
# its first idle second.
wait_gone() {
    local i pid cmd busy
    for i in $(seq 1 50); do
        busy=
        for pid in $(pgrep -f -- "$STORE/"); do
            cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
            [[ $cmd == *"--runroot $SKIFF_RUNROOT $*"* ]] && busy=1
        done
        [ -n "$busy" ] || return 0
        sleep 0.1
    done
}

# One kill: "$@" is the command line that runs skiff and gets killed.
# Counts it and checks the store after it.
one_kill() {
    local rc=0
    # In a subshell, so that the shell's "Killed" goes nowhere.
    ("$@" >/dev/null 2>&1; exit $?) 2>/dev/null || rc=$?
    wait_gone "${ARGS[@]}"
    if [ "$rc" -eq 137 ]; then
        TRIED=$((TRIED + 1))
        if check_after_kill; then SURVIVED=$((SURVIVED + 1)); fi
    else
        MISSED=$((MISSED + 1))
        MISSED_AT+=("${POINT#* at }")
        check_after_kill || true
    fi
}

# Runs skiff "$@" and kills it (SIGKILL) after $1 seconds.
kill_after() {
    local delay=$1
    shift
    "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
}

# kill9 NAME PREPARE -- ARGS…: kills `skiff ARGS…` at each kill point (the
# store prepared by the function PREPARE first, each time) and checks the
# store after it: at POINTS system calls of its own process, then at TIMED
# moments spread over the time the command takes (these reach the work a
# rootless command does in its child in the user namespace, which dies
# with it and which strace cannot follow: newuidmap is not setuid under
# ptrace).
kill9() {
    local name=$1 prepare=$2
    shift 3
    ARGS=("$@")
    local -a points=()
    POINT="$name, not killed"
    $prepare
    local t0=$EPOCHREALTIME
    skiff "$@" >/dev/null
    local took=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))  # ms
    check_after_kill || { printf '%s\n' "${FAILS[@]}" >&2; return 1; }
    $prepare
    mapfile -t points < <(kill_points "$@")
    check_after_kill || { printf '%s\n' "${FAILS[@]}" >&2; return 1; }
    [ "${#points[@]}" -gt 0 ] || { echo "no system calls traced for $*" >&2; return 1; }
    local pt call k i ms
    for pt in "${points[@]}"; do
        read -r call k <<<"$pt"
        POINT="$name at $call #$k"
        $prepare
        one_kill strace -qq -o /dev/null -e trace="$call" -e inject="$call:signal=SIGKILL:when=$k" -- \
            "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@"
    done
    for ((i = 1; i <= TIMED; i++)); do
        ms=$((took * i / (TIMED + 1)))
        POINT="$name at ${ms} ms"
        $prepare
        one_kill kill_after "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))" "$@"
    done
    wait_no_procs || fail_point "processes left at the end: $(pgrep -af -- "$STORE/|$MARK")"
    echo "# kill -9 $name ($(is_rootless && echo rootless || echo root)): tried $TRIED, survived $SURVIVED, not reached $MISSED${MISSED_AT:+ (${MISSED_AT[*]})}" >&3
    if [ "${#FAILS[@]}" -gt 0 ]; then
        printf '%s\n' "${FAILS[@]}" >&2
        return 1
    fi
}

# Each test's store starts with busybox loaded (check_after_kill loads it
# again after pruning).
loaded() { skiff images -q busybox | grep -q . || load_busybox >/dev/null; }

prep_load() { skiff rmi -f busybox >/dev/null 2>&1 || true; }
prep_commit() {
    loaded
    skiff run -d --name src busybox sh -c "head -c 300000 /dev/urandom > /f; mkdir -p /d/e; echo x > /d/e/g; sleep 1000; : $MARK" >/dev/null
    skiff exec src test -s /f 2>/dev/null || skiff exec src sh -c 'while [ ! -s /f ]; do sleep 0.05; done'
}
prep_run() { loaded; }
prep_rm() {
    loaded
    skiff run -d --name victim -v "vol$MARK:/v" busybox sh -c "sleep 1000; : $MARK" >/dev/null
}
prep_volume() {
    loaded
    skiff volume create vic >/dev/null
    skiff run --rm -v vic:/v busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do echo $i > /v/f$i; done; mkdir -p /v/a/b'
}

@test "kill -9 during load -i ARCHIVE" {
    kill9 "load" prep_load -- load -q -i "$TEST_IMAGES/docker-archive.tar"
}

@test "kill -9 during commit" {
    kill9 "commit" prep_commit -- commit src committed
}

@test "kill -9 during run -d" {
    kill9 "run -d" prep_run -- run -d --name det busybox sh -c "sleep 1000; : $MARK"
}

@test "kill -9 during run --rm" {
    kill9 "run --rm" prep_run -- run --rm -v /anon busybox sh -c "echo hi > /anon/f; : $MARK"
}

@test "kill -9 during rm -f" {
    kill9 "rm -f" prep_rm -- rm -f -v victim
}

@test "kill -9 during create" {
    kill9 "create" prep_run -- create --name made -v /anon busybox sh -c ": $MARK"
}

@test "kill -9 during volume rm" {
    kill9 "volume rm" prep_volume -- volume rm vic
}

# The two windows the spread above found, killed at on purpose: create
# killed before its record is committed (its lock file stays), rm -f
# killed after its record is gone (as root its own process then removes
# the directories; rootless a child in the user namespace does, which
# strace cannot follow). rm -af cannot see them; the prunes remove them.
@test "kill -9: what a create or rm leaves of a container with no record goes at the next prune" {
    load_busybox >/dev/null
    skiff create --name keep busybox true >/dev/null
    local keep
    keep=$(skiff inspect --format '{{.Id}}' keep)
    (strace -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=SIGKILL:when=1 -- \
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" create --name made busybox true; exit $?) 2>/dev/null || rc=$?
    [ "${rc:-0}" -eq 137 ]
    if ! is_rootless; then
        skiff run -d --name victim busybox sleep 1000 >/dev/null
        rc=0
        (strace -qq -o /dev/null -e trace=rmdir -e inject=rmdir:signal=SIGKILL:when=1 -- \
            "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" rm -f victim; exit $?) 2>/dev/null || rc=$?
        [ "$rc" -eq 137 ]
    fi
    run -0 skiff ps -a --format '{{.Names}}'
    [ "$output" = keep ]
    # Debris with no record: a lock file, and as root the rm's directories.
    n=$(ls "$SKIFF_RUNROOT/containers" | grep -v "^$keep" | wc -l)
    [ "$n" -ge 1 ]
    run -0 skiff container prune -f --filter label=none
    # The container with a record keeps its files; only the debris went.
    [ "$(ls "$SKIFF_RUNROOT/containers" | grep -v "^$keep")" = "" ]
    [ "$(ls "$SKIFF_ROOT/containers")" = "$keep" ]
    [ -d "$SKIFF_RUNROOT/containers/$keep" ]
    run -0 skiff start -a keep
}

# A killed command's child is a zombie until init reaps it, and that can
# take a while: its scratch directory is debris all the same.
@test "kill -9: a scratch directory of a zombie process goes at the next prune, a live one's stays" {
    load_busybox >/dev/null
    python3 -c '
import os, sys, time
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
sys.stdout.close()
time.sleep(60)
' >"$BATS_TEST_TMPDIR/zombie" &
    local parent=$! zombie live
    for i in $(seq 1 50); do [ -s "$BATS_TEST_TMPDIR/zombie" ] && break; sleep 0.1; done
    zombie=$(cat "$BATS_TEST_TMPDIR/zombie")
    for i in $(seq 1 50); do [ "$(awk '{print $3}' "/proc/$zombie/stat" 2>/dev/null)" = Z ] && break; sleep 0.1; done
    sleep 60 &
    live=$!
    mkdir -p "$SKIFF_ROOT/tmp/layer-$zombie-AbCdEf" "$SKIFF_ROOT/tmp/layer-$live-GhIjKl"
    touch "$SKIFF_ROOT/tmp/layer-$zombie-AbCdEf.blob"
    run -0 skiff system prune -af
    kill "$parent" "$live" 2>/dev/null || true
    [ ! -e "$SKIFF_ROOT/tmp/layer-$zombie-AbCdEf" ]
    [ ! -e "$SKIFF_ROOT/tmp/layer-$zombie-AbCdEf.blob" ]
    [ -d "$SKIFF_ROOT/tmp/layer-$live-GhIjKl" ]
}

# commit pauses a running container. Killed between freezing it and
# recording it paused, it left a frozen container recorded as running:
# rm -f did not thaw it, its SIGKILL stayed pending, and rm -af removed
# the record and left the monitor, the frozen processes and their mounts.
@test "kill -9 of commit while it pauses: rm -f still ends the container" {
    is_rootless && skip "rootless containers have no freezer here"
    load_busybox >/dev/null
    local pt call k rc i
    for pt in "pwrite64 1" "pwrite64 2" "write 1" "write 2"; do
        read -r call k <<<"$pt"
        skiff run -d --name src busybox sh -c "sleep 1000; : $MARK" >/dev/null
        rc=0
        (strace -qq -o /dev/null -e trace="$call" -e inject="$call:signal=SIGKILL:when=$k" -- \
            "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" commit src frozen; exit $?) 2>/dev/null || rc=$?
        [ "$rc" -eq 137 ]
        run -0 skiff rm -f src
        for i in $(seq 1 50); do pgrep -f -- "$MARK" >/dev/null || break; sleep 0.1; done
        if pgrep -f -- "$MARK" >/dev/null; then
            echo "commit killed at $call #$k: the container outlived rm -f" >&2
            return 1
        fi
    done
}

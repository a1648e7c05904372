#!/usr/bin/env bats
# cp symlink races (issue 16): while cp works, a loop in the container
# swaps a path component between a directory and a symlink to / or to the
# host path of a canary. Whatever the timing, cp may only read and write
# the container's own files: the host's canary stays as it was, no host
# secret is ever copied out, and a copy that loses the race fails with one
# "Error:" line. Each test reports its counts (tried, refused, survived).

load ../system/helpers
bats_require_minimum_version 1.5.0

ROUNDS=${SKIFF_CP_RACE_ROUNDS:-20}

setup() {
    setup_store
    load_busybox >/dev/null
    CANARY=$BATS_TEST_TMPDIR/canary
    mkdir -p "$CANARY"
    echo precious >"$CANARY/file"
    SECRET=$BATS_TEST_TMPDIR/secret
    mkdir -p "$SECRET"
    echo HOSTSECRET >"$SECRET/file"
}

# The host's canary: names, sizes and the precious file's content.
canary_state() { (cd "$CANARY" && find . -printf '%p %y %s\n' | sort && cat file); }

# Waits (bounded) until PATH exists in container box.
wait_in_box() {
    local i
    for i in $(seq 100); do
        skiff exec box sh -c "test -e '$1' || test -L '$1'" && return 0
    done
    return 1
}

# Starts box with a loop that flips PATH (a directory holding "file" with
# the text inside) for a link to / and a link to TARGET, as fast as it can.
# Extra run flags go before the image.
start_swapper() {
    local path=$1 target=$2
    shift 2
    skiff run -d --name box "$@" localhost/busybox sh -c "
        mkdir -p '$CANARY' '$SECRET' && echo decoy >'$SECRET/file'
        while :; do
            mkdir -p '$path.d' && echo inside >'$path.d/file'
            mv -T '$path.d' '$path' 2>/dev/null || rm -rf '$path.d'
            ln -sfn / '$path.l'; mv -T '$path.l' '$path' 2>/dev/null
            ln -sfn '$target' '$path.t'; mv -T '$path.t' '$path' 2>/dev/null
            rm -rf '$path.old'; mv -T '$path' '$path.old' 2>/dev/null
        done" >/dev/null
    wait_in_box "$path.old"
}

# Runs one cp (arguments as given); counts it, checks that a failure is
# one "Error:" line.
try_cp() {
    tried=$((tried + 1))
    run skiff cp "$@"
    if [ "$status" -eq 0 ]; then
        survived=$((survived + 1))
        return
    fi
    refused=$((refused + 1))
    if [ "$status" -ne 125 ] || [ "${#lines[@]}" -ne 1 ] || [[ ${lines[0]} != Error:* ]]; then
        problems+="cp $*: exit $status: $output"$'\n'
    fi
}

report() {
    echo "# $1: $tried copies tried, $refused refused, $survived survived" >&3
    if [ -n "$problems" ]; then
        printf '%s\n' "$problems" >&2
        return 1
    fi
}

@test "cp races: copies into a path swapped for links to / and the host never write outside" {
    start_swapper /tmp/x "$CANARY"
    before=$(canary_state)
    tried=0 refused=0 survived=0 problems=""
    echo evil >"$BATS_TEST_TMPDIR/evil"
    mkdir -p "$BATS_TEST_TMPDIR/evildir/sub"
    echo evil >"$BATS_TEST_TMPDIR/evildir/sub/inner"
    tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/evil.tar" evil evildir
    for _ in $(seq "$ROUNDS"); do
        try_cp "$BATS_TEST_TMPDIR/evil" box:/tmp/x/                 # one file: the kernel's copy
        try_cp "$BATS_TEST_TMPDIR/evil" "box:/tmp/x$CANARY/"         # through the link to /
        try_cp "$BATS_TEST_TMPDIR/evildir" box:/tmp/x/              # a tree: tar applied
        try_cp "$BATS_TEST_TMPDIR/evildir/." "box:/tmp/x$CANARY/"
        try_cp "$BATS_TEST_TMPDIR/evil" box:/tmp/x/file             # onto the file the loop writes
        try_cp - box:/tmp/x/ <"$BATS_TEST_TMPDIR/evil.tar"     # a tar on stdin
    done
    [ "$(canary_state)" = "$before" ] || problems+="the host's canary changed: $(canary_state)"$'\n'
    [ ! -e /evil ] && [ ! -e /evildir ] && [ ! -e /inner ] || problems+="a copy reached the host's /"$'\n'
    report "cp into a swapped path"
}

@test "cp races: copies out of a path swapped for links to / and the host never read the host" {
    start_swapper /tmp/y "$SECRET"
    tried=0 refused=0 survived=0 problems=""
    out=$BATS_TEST_TMPDIR/out
    for i in $(seq "$ROUNDS"); do
        mkdir -p "$out/$i"
        try_cp box:/tmp/y/file "$out/$i/f1"
        try_cp "box:/tmp/y$SECRET/file" "$out/$i/f2"
        try_cp box:/tmp/y "$out/$i/tree"
        try_cp "box:/tmp/y$SECRET/." "$out/$i/contents"
        try_cp -L "box:/tmp/y$SECRET/file" "$out/$i/followed"
        # A tar on stdout (what bats' run would keep is kept in a file).
        tried=$((tried + 1))
        if skiff cp "box:/tmp/y$SECRET/." - >"$out/$i/stream.tar" 2>"$out/$i/stream.err"; then
            survived=$((survived + 1))
        else
            refused=$((refused + 1))
            [ "$(wc -l <"$out/$i/stream.err")" -eq 1 ] || problems+="cp to stdout: $(cat "$out/$i/stream.err")"$'\n'
        fi
    done
    # The container's decoy and its own files, never the host's secret.
    if grep -rl HOSTSECRET "$out" >/dev/null 2>&1; then
        problems+="the host's secret was copied out: $(grep -rl HOSTSECRET "$out")"$'\n'
    fi
    [ "$survived" -gt 0 ] || problems+="no copy out ever succeeded"$'\n'
    report "cp out of a swapped path"
}

@test "cp races: a swapped path inside a volume stays inside the container" {
    start_swapper /vol/x "$CANARY" -v racevol:/vol
    before=$(canary_state)
    tried=0 refused=0 survived=0 problems=""
    echo evil >"$BATS_TEST_TMPDIR/evil"
    for _ in $(seq "$ROUNDS"); do
        try_cp "$BATS_TEST_TMPDIR/evil" box:/vol/x/
        try_cp "$BATS_TEST_TMPDIR/evil" "box:/vol/x$CANARY/"
        try_cp box:/vol/x/file "$BATS_TEST_TMPDIR/back"
    done
    [ "$(canary_state)" = "$before" ] || problems+="the host's canary changed: $(canary_state)"$'\n'
    report "cp through a swapped path in a volume"
}

@test "cp races: symlink loops in the container end in one error line, never a hang" {
    skiff run -d --name box localhost/busybox sh -c '
        mkdir -p /tmp/loop && ln -s ../loop /tmp/loop/up && ln -s /tmp/l2 /tmp/l1 && ln -s /tmp/l1 /tmp/l2
        ln -s self /tmp/self; exec sleep 600' >/dev/null
    wait_in_box /tmp/self
    tried=0 refused=0 survived=0 problems=""
    echo f >"$BATS_TEST_TMPDIR/f"
    try_cp "$BATS_TEST_TMPDIR/f" box:/tmp/l1/
    try_cp "$BATS_TEST_TMPDIR/f" box:/tmp/self/x
    try_cp -L box:/tmp/l1 "$BATS_TEST_TMPDIR/o1"
    try_cp box:/tmp/self/. "$BATS_TEST_TMPDIR/o2"
    try_cp box:/tmp/loop/up/up/up/up/up "$BATS_TEST_TMPDIR/o3"
    try_cp "$BATS_TEST_TMPDIR/f" box:/tmp/loop/up/up/up/up/
    [ "$refused" -ge 4 ] || problems+="loops were followed: $refused of $tried refused"$'\n'
    report "cp through symlink loops"
}

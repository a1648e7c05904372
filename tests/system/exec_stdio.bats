#!/usr/bin/env bats
# exec's standard streams (issue 16.2): the process gets pipes (or a pty, or
# /dev/null when detached) that skiff relays, never the caller's own
# descriptors.

load helpers

setup() {
    setup_store
    load_busybox >/dev/null
    skiff run -d --name ex busybox sleep 1000 >/dev/null
}

@test "exec: the process's stdio are pipes and /dev/null, not the caller's files" {
    run -0 bash -c "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec ex \
        sh -c 'for i in 0 1 2; do readlink /proc/self/fd/\$i; done' > '$BATS_TEST_TMPDIR/out' 2>&1"
    run cat "$BATS_TEST_TMPDIR/out"
    [ "${lines[0]}" = /dev/null ]
    [[ "${lines[1]}" == pipe:* ]]
    [[ "${lines[2]}" == pipe:* ]]
}

@test "exec: reopening /proc/self/fd/2 cannot truncate the caller's file" {
    f=$BATS_TEST_TMPDIR/appended
    echo SECRET-BEFORE > "$f"
    chmod 0666 "$f"
    "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" exec ex sh -c 'echo X > /proc/self/fd/2' 2>> "$f"
    run cat "$f"
    [ "${lines[0]}" = SECRET-BEFORE ]
    [ "${lines[1]}" = X ]
}

@test "exec: stdout and stderr stay apart, stdin with -i, the exit code" {
    run -3 bash -c "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec ex sh -c 'echo out; echo err >&2; exit 3' 2>/dev/null"
    [ "$output" = out ]
    run -0 bash -c "printf 'one\ntwo\n' | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec -i ex wc -l"
    [ "$output" = 2 ]
    # Without -i the process reads nothing of ours.
    run -0 bash -c "echo leaked | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec ex cat"
    [ -z "$output" ]
}

@test "exec: a background child left holding the output does not keep exec waiting" {
    run -0 timeout 20 "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" exec ex sh -c 'sleep 1000 & echo started'
    [ "$output" = started ]
}

@test "exec -d: returns at once and holds none of the caller's output" {
    # With the caller's stdout, the command substitution would wait for the process.
    run -0 timeout 20 bash -c "out=\$('$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec -d ex sleep 1000); echo \"[\$out]\""
    [ "$output" = "[]" ]
    run -0 skiff exec ex sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/cmdline 2>/dev/null | tr "\0" " ")" = "sleep 1000 " ] && readlink $p/fd/1; done; true'
    [[ "$output" == *"/dev/null"* ]]
}

@test "run -it and exec -it with an input that is no terminal: Docker's error, exit 1, nothing made" {
    run -1 bash -c "echo 'echo hi' | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run -it --rm busybox sh"
    [ "$output" = "Error: the input device is not a TTY" ]
    run -0 skiff ps -aq
    [ "$output" = "$(skiff inspect --format '{{.Id}}' ex | cut -c1-12)" ]
    run -1 bash -c "echo true | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec -it ex sh"
    [ "$output" = "Error: the input device is not a TTY" ]
    # -t alone, or -i alone, on a non-terminal still works.
    run -0 bash -c "echo 'echo hi' | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run -i --rm busybox sh"
    [ "$output" = hi ]
    run -0 bash -c "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run -t --rm busybox echo tty </dev/null"
    [[ "$output" == tty* ]]
}

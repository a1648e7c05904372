#!/usr/bin/env bats
# The idle monitor (issue 6): once a container ran for a second, its monitor
# execs the small static skiff-monitor (same pid), which execs skiff again
# (`__monitor-resume`) when the container exits. Everything a monitor does
# must keep working across both handoffs.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox >/dev/null
}

# The monitor: the parent of the container's init.
monitor_of() {
    local pid
    pid=$(skiff inspect --format '{{.State.Pid}}' "$1")
    ps -o ppid= -p "$pid" | tr -d ' '
}

# Waits (up to 10 s) until the monitor of $1 runs skiff-monitor; prints its pid.
wait_handoff() {
    local mon i
    for i in $(seq 100); do
        mon=$(monitor_of "$1" 2>/dev/null)
        if [ -n "$mon" ] && [ "$(cat /proc/"$mon"/comm 2>/dev/null)" = skiff-monitor ]; then
            echo "$mon"
            return 0
        fi
        sleep 0.1
    done
    echo "the monitor of $1 never became skiff-monitor (comm: $(cat /proc/"$mon"/comm 2>/dev/null))" >&2
    return 1
}

# Waits (up to 20 s) until `inspect --format $2 $1` prints $3.
wait_inspect() {
    local i
    for i in $(seq 200); do
        [ "$(skiff inspect --format "$2" "$1" 2>/dev/null)" = "$3" ] && return 0
        sleep 0.1
    done
    echo "inspect $2 $1: $(skiff inspect --format "$2" "$1" 2>&1), expected $3" >&2
    return 1
}

@test "the monitor of a running container becomes skiff-monitor, well under 2 MiB" {
    skiff run -d --name idle --network none busybox sleep 1000 >/dev/null
    mon=$(wait_handoff idle)
    [ "$(readlink /proc/"$mon"/exe)" != "$(readlink -f "$SKIFF")" ]
    sleep 0.5
    grep -E '^(VmRSS|RssAnon|RssFile|RssShmem):' /proc/"$mon"/status | tr -s ' \t' ' ' | sed 's/^/# monitor /' >&3
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$mon"/status)
    [ "$rss" -lt 2048 ]
    # Still the container's parent: the same process.
    [ "$(monitor_of idle)" = "$mon" ]
    run skiff ps --format '{{.Names}} {{.State}}'
    [ "$output" = "idle running" ]
    skiff rm -f idle >/dev/null
}

@test "after the handoff: logs, exec, kill -s, wait and the exit code" {
    skiff run -d --name h busybox sh -c 'trap "echo got-usr1; exit 7" USR1; sleep 1.5; echo after-handoff; while true; do sleep 0.1; done' >/dev/null
    wait_handoff h >/dev/null
    for i in $(seq 50); do
        skiff logs h | grep -q after-handoff && break
        sleep 0.1
    done
    run skiff logs h
    assert_output_contains "after-handoff"
    run skiff exec h echo exec-ok
    assert_status 0
    [ "$output" = "exec-ok" ]
    skiff kill -s USR1 h >/dev/null
    run -0 skiff wait h
    [ "$output" = 7 ]
    run skiff logs h
    assert_output_contains "got-usr1"
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "h exited" ]
    run skiff inspect --format '{{.State.ExitCode}}' h
    [ "$output" = 7 ]
}

@test "after the handoff: stop records 137 (SIGKILL after the timeout) and 143 (SIGTERM)" {
    skiff run -d --name s1 busybox sleep 1000 >/dev/null
    skiff run -d --name s2 busybox sh -c 'trap "exit 143" TERM; while true; do sleep 0.1; done' >/dev/null
    wait_handoff s1 >/dev/null
    wait_handoff s2 >/dev/null
    skiff stop -t 1 s1 >/dev/null
    run skiff inspect --format '{{.State.Status}} {{.State.ExitCode}}' s1
    [ "$output" = "exited 137" ]
    skiff stop -t 10 s2 >/dev/null
    run skiff inspect --format '{{.State.Status}} {{.State.ExitCode}}' s2
    [ "$output" = "exited 143" ]
    # A stopped container is not restarted and can start (and hand off) again.
    skiff start s1 >/dev/null
    wait_handoff s1 >/dev/null
    skiff rm -f s1 s2 >/dev/null
}

@test "after the handoff: --rm removes the container when it exits" {
    skiff run -d --rm --name gone busybox sh -c 'sleep 2; exit 0' >/dev/null
    wait_handoff gone >/dev/null
    for i in $(seq 100); do
        [ -z "$(skiff ps -aq)" ] && break
        sleep 0.1
    done
    run skiff ps -aq
    [ -z "$output" ]
}

@test "after the handoff: --restart on-failure:2 restarts, hands off again, and records each exit" {
    skiff run -d --name rf --restart on-failure:2 busybox sh -c 'sleep 2.5; exit 3' >/dev/null
    wait_handoff rf >/dev/null
    wait_inspect rf '{{.RestartCount}}' 1
    wait_handoff rf >/dev/null
    wait_inspect rf '{{.RestartCount}}' 2
    run -0 skiff wait rf
    [ "$output" = 3 ]
    run skiff inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' rf
    [ "$output" = "exited 3 2" ]
}

@test "after the handoff: restart starts a new container process that hands off again" {
    skiff run -d --name rs busybox sleep 1000 >/dev/null
    wait_handoff rs >/dev/null
    old=$(skiff inspect --format '{{.State.Pid}}' rs)
    skiff restart -t 1 rs >/dev/null
    new=$(skiff inspect --format '{{.State.Pid}}' rs)
    [ "$old" != "$new" ]
    wait_handoff rs >/dev/null
    run skiff ps --format '{{.Names}} {{.State}}'
    [ "$output" = "rs running" ]
    skiff rm -f rs >/dev/null
}

@test "after the handoff: kill -9 of skiff-monitor leaves the container exited" {
    skiff run -d --name orphan busybox sleep 1000 >/dev/null
    mon=$(wait_handoff orphan)
    pid=$(skiff inspect --format '{{.State.Pid}}' orphan)
    kill -9 "$mon"
    sleep 0.2
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "orphan exited" ]
    ! kill -0 "$pid" 2>/dev/null
    run skiff rm orphan
    assert_status 0
}

@test "after the handoff: kill -9 of skiff-monitor kills the container with no command run" {
    skiff run -d --name orphan2 busybox sleep 1000 >/dev/null
    mon=$(wait_handoff orphan2)
    pid=$(skiff inspect --format '{{.State.Pid}}' orphan2)
    kill -9 "$mon"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$pid" 2>/dev/null
    run -0 skiff inspect --format '{{.State.ExitCode}} {{.State.Error}}' orphan2
    [[ "$output" == "137 its monitor"* ]]
}

@test "after the handoff: --log-opt max-size rotates as before, in both log formats" {
    for driver in k8s-file json-file; do
        skiff run -d --name rot-$driver --log-driver $driver --log-opt max-size=2k busybox sh -c \
            'echo before; sleep 1.5; i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; sleep 1000' >/dev/null
        wait_handoff rot-$driver >/dev/null
        log=$(skiff inspect --format '{{.LogPath}}' rot-$driver)
        for i in $(seq 50); do
            skiff logs rot-$driver | grep -q line-99- && break
            sleep 0.1
        done
        [ -e "$log.1" ]
        size=$(stat -c %s "$log")
        [ "$size" -lt 2300 ]
        run skiff logs rot-$driver
        [[ "${lines[-1]}" == line-99-* ]]
        if [ $driver = json-file ]; then grep -q '"log":"line-99-' "$log"; else grep -q ' stdout F line-99-' "$log"; fi
        skiff rm -f rot-$driver >/dev/null
    done
}

@test "after the handoff: attach, then detach with the keys; the container keeps running" {
    command -v script >/dev/null || skip "script(1) not installed"
    skiff run -d -it --name at busybox sh >/dev/null
    wait_handoff at >/dev/null
    run timeout 10 script -qec "(sleep 0.5; printf 'echo attached-ok\r'; sleep 0.5; printf '\020\021') | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' attach at" /dev/null
    assert_output_contains "attached-ok"
    run skiff inspect --format '{{.State.Running}}' at
    [ "$output" = true ]
    # The custom keys of a second attach.
    run timeout 10 script -qec "(sleep 0.5; printf 'echo second-ok\r'; sleep 0.5; printf 'x') | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' attach --detach-keys x at" /dev/null
    assert_output_contains "second-ok"
    run skiff inspect --format '{{.State.Running}}' at
    [ "$output" = true ]
    skiff rm -f at >/dev/null
}

@test "a foreground run outlives the handoff: stdin, output and the exit code reach the client" {
    run -5 bash -c "(sleep 2; echo piped-in) | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run -i --name fg busybox sh -c 'read x; echo got-\$x; exit 5'"
    [ "$output" = "got-piped-in" ]
    run skiff inspect --format '{{.State.ExitCode}}' fg
    [ "$output" = 5 ]
}

@test "a foreground run -t outlives the handoff" {
    command -v script >/dev/null || skip "script(1) not installed"
    run timeout 20 script -qec "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run -t --rm busybox sh -c 'sleep 2; echo tty-ok; exit 4'" /dev/null
    assert_output_contains "tty-ok"
    run skiff ps -aq
    [ -z "$output" ]
}

@test "without skiff-monitor next to skiff the monitor stays skiff and works as before" {
    cp "$SKIFF" "$BATS_TEST_TMPDIR/skiff"
    lone() { "$BATS_TEST_TMPDIR/skiff" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@"; }
    lone run -d --name big busybox sleep 1000 >/dev/null
    sleep 2
    mon=$(monitor_of big)
    [ "$(cat /proc/"$mon"/comm)" = skiff ]
    lone stop -t 1 big >/dev/null
    run lone inspect --format '{{.State.Status}} {{.State.ExitCode}}' big
    [ "$output" = "exited 137" ]
}

@test "when skiff cannot be exec'd again, skiff-monitor leaves the exit code for ps" {
    cp "$SKIFF" "$(dirname "$SKIFF")/skiff-monitor" "$BATS_TEST_TMPDIR/"
    moved() { "$BATS_TEST_TMPDIR/skiff" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@"; }
    moved run -d --name lost busybox sh -c 'sleep 2; exit 9' >/dev/null
    pid=$(moved inspect --format '{{.State.Pid}}' lost)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    for i in $(seq 50); do [ "$(cat /proc/"$mon"/comm)" = skiff-monitor ] && break; sleep 0.1; done
    [ "$(cat /proc/"$mon"/comm)" = skiff-monitor ]
    rm "$BATS_TEST_TMPDIR/skiff"
    for i in $(seq 100); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$mon" 2>/dev/null
    run skiff ps -a --format '{{.Names}} {{.State}} {{.Status}}'
    assert_output_contains "lost exited Exited (9)"
}

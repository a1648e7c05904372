#!/usr/bin/env bats
# --userns keep-id; --ipc/--pid/--uts container:X; pause/unpause; stats.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox >/dev/null
}

cgroup2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

@test "--userns keep-id: the caller's uid and gid inside, with a passwd entry and HOME" {
    if ! is_rootless; then
        run -125 skiff run --rm --userns keep-id busybox true
        assert_one_line_error
        assert_output_contains "keep-id is only supported in rootless mode"
        return
    fi
    run -0 skiff run --rm --userns keep-id busybox sh -c 'id -u; id -g; id -un; echo $HOME; touch /tmp/f && stat -c %u /tmp/f'
    [ "${lines[0]}" = "$(id -u)" ]
    [ "${lines[1]}" = "$(id -g)" ]
    [ "${lines[2]}" = "$(id -un)" ]
    [ "${lines[3]}" = "$(getent passwd "$(id -u)" | cut -d: -f6)" ]
    [ "${lines[4]}" = "$(id -u)" ]
    # Only the user is at its own ID: root of the container is another one.
    run -0 skiff run --rm --userns keep-id busybox cat /proc/self/uid_map
    [[ "$output" == *" $(id -u)          0          1"* ]]
    # exec runs as the same user; --user still wins.
    skiff run -d --name k --userns keep-id busybox sleep 1000 >/dev/null
    run -0 skiff exec k id -u
    [ "$output" = "$(id -u)" ]
    run -0 skiff run --rm --userns keep-id -u 0 busybox id -u
    [ "$output" = 0 ]
    run -0 skiff inspect --format '{{.HostConfig.UsernsMode}}' k
    [ "$output" = keep-id ]
    skiff rm -f k >/dev/null
}

@test "--userns keep-id:uid=N,gid=N puts the caller at those IDs" {
    is_rootless || skip "keep-id is rootless only (the root error is tested above)"
    run -0 skiff run --rm --userns keep-id:uid=200,gid=210 busybox sh -c 'id -u; id -g; cat /proc/self/uid_map'
    [ "${lines[0]}" = 200 ]
    [ "${lines[1]}" = 210 ]
    [[ "$output" == *"       200          0          1"* ]]
}

@test "--userns: unsupported values are errors" {
    for v in nomap auto bogus keep-id:uid=x keep-id:size=2; do
        run -125 skiff run --rm --userns "$v" busybox true
        assert_one_line_error
    done
    run -125 skiff run --rm --userns nomap busybox true
    assert_output_contains "unsupported"
}

@test "--ipc container:X shares the IPC namespace" {
    skiff run -d --name a busybox sleep 1000 >/dev/null
    a_ns=$(skiff exec a readlink /proc/self/ns/ipc)
    run -0 skiff run --rm --ipc container:a busybox readlink /proc/self/ns/ipc
    [ "$output" = "$a_ns" ]
    run -0 skiff run --rm busybox readlink /proc/self/ns/ipc
    [ "$output" != "$a_ns" ]
    # System V IPC made in one is seen by the other.
    skiff run -d --name b --ipc container:a busybox sleep 1000 >/dev/null
    run -0 skiff inspect --format '{{.HostConfig.IpcMode}}' b
    [ "$output" = "container:$(skiff inspect --format '{{.Id}}' a)" ]
    skiff rm -f b a >/dev/null
}

@test "--pid container:X sees the other container's processes" {
    skiff run -d --name a busybox sleep 1001 >/dev/null
    a_ns=$(skiff exec a readlink /proc/self/ns/pid)
    run -0 skiff run --rm --pid container:a busybox sh -c 'readlink /proc/self/ns/pid; ps'
    [ "${lines[0]}" = "$a_ns" ]
    assert_output_contains "sleep 1001"
    skiff run -d --name b --pid container:a busybox sleep 1002 >/dev/null
    run -0 skiff exec a ps
    assert_output_contains "sleep 1002"
    run -0 skiff inspect --format '{{.HostConfig.PidMode}}' b
    [[ "$output" == container:* ]]
    skiff rm -f b a >/dev/null
}

@test "--uts container:X shares the hostname" {
    skiff run -d --name a --hostname a-host busybox sleep 1000 >/dev/null
    run -0 skiff run --rm --uts container:a busybox sh -c 'hostname; readlink /proc/self/ns/uts'
    [ "${lines[0]}" = a-host ]
    [ "${lines[1]}" = "$(skiff exec a readlink /proc/self/ns/uts)" ]
    run -125 skiff run --rm --uts container:a --hostname other busybox true
    assert_output_contains "conflicting options: --hostname and --uts"
    run -0 skiff create --name b --uts container:a busybox true
    run -0 skiff inspect --format '{{.HostConfig.UTSMode}}' b
    [[ "$output" == container:* ]]
    skiff rm -f b a >/dev/null
}

@test "container:X: a missing or stopped container is an error" {
    run -125 skiff run --rm --ipc container:nothere busybox true
    assert_one_line_error
    assert_output_contains 'no container with name or ID "nothere" found'
    skiff create --name stopped busybox true >/dev/null
    run -125 skiff run --rm --pid container:stopped busybox true
    assert_output_contains "cannot join the pid namespace of container stopped: it is not running"
    run -125 skiff run --rm --uts container: busybox true
    assert_one_line_error
}

# A container that prints a line every 0.1 s: its log stops growing while paused.
log_lines() { skiff logs "$1" | wc -l; }

@test "pause and unpause freeze the container's processes" {
    skiff run -d --name p busybox sh -c 'while :; do echo tick; sleep 0.1; done' >/dev/null
    if is_rootless && ! cgroup2; then
        run -125 skiff pause p
        assert_one_line_error
        assert_output_contains "pause is not supported for cgroupv1 rootless containers"
        run -0 skiff ps --format '{{.Names}} {{.State}}'
        [ "$output" = "p running" ]
        skiff rm -f p >/dev/null
        return
    fi
    run skiff pause p
    if is_rootless && [ "$status" -ne 0 ]; then
        assert_output_contains "without using cgroups"
        skip "cgroup v2 is not delegated to $(id -un) here"
    fi
    [ "$status" -eq 0 ]
    [ "$output" = p ]
    run -0 skiff ps --format '{{.Names}} {{.State}} {{.Status}}'
    [[ "$output" == "p paused Up "*"(Paused)" ]]
    run -0 skiff inspect --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' p
    [ "$output" = "paused true true" ]
    run -0 skiff ps -q --filter status=paused
    [ "${#lines[@]}" -eq 1 ]
    run -0 skiff ps -q --filter status=running
    [ -z "$output" ]
    n1=$(log_lines p)
    sleep 0.6
    n2=$(log_lines p)
    [ "$n1" -eq "$n2" ]
    run -125 skiff pause p
    assert_output_contains "is already paused"
    run -125 skiff exec p true
    run -0 skiff top p
    assert_output_contains "echo tick"
    run -0 skiff unpause p
    [ "$output" = p ]
    sleep 0.6
    n3=$(log_lines p)
    [ "$n3" -gt "$n2" ]
    run -0 skiff inspect --format '{{.State.Status}} {{.State.Paused}}' p
    [ "$output" = "running false" ]
    run -125 skiff unpause p
    assert_output_contains "is not paused"
    skiff rm -f p >/dev/null
}

@test "stop, kill and rm -f work on a paused container" {
    if is_rootless; then
        skiff run -d --name probe busybox sleep 1000 >/dev/null
        skiff pause probe >/dev/null 2>&1 || skip "pausing needs a delegated cgroup v2 rootless (tested above)"
        skiff rm -f probe >/dev/null
    fi
    skiff run -d --name p busybox sleep 1000 >/dev/null
    skiff pause p >/dev/null
    run -0 skiff stop -t 1 p
    run -0 skiff inspect --format '{{.State.Status}}' p
    [ "$output" = exited ]
    skiff start p >/dev/null
    skiff pause p >/dev/null
    run -0 skiff kill p
    run -0 skiff wait p
    [ "$output" = 137 ]
    skiff start p >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' p)
    skiff pause p >/dev/null
    run -0 skiff rm -f p
    ! kill -0 "$pid" 2>/dev/null
}

@test "pause: a stopped or missing container is an error" {
    skiff create --name c busybox true >/dev/null
    run -125 skiff pause c
    assert_output_contains "is not running"
    run -1 skiff unpause nothere
    assert_one_line_error
}

@test "stats --no-stream: Docker's columns and fields" {
    skiff run -d --name busy busybox sh -c 'while :; do :; done' >/dev/null
    skiff run -d --name mem --network none busybox sh -c 'x=$(head -c 30000000 /dev/zero | tr "\0" a); sleep 1000 & sleep 1000 & wait' >/dev/null
    # Until the shell holds its 30 MB and both sleeps run (a loaded machine is slow).
    for _ in $(seq 200); do
        [ "$(skiff stats --no-stream --format '{{.PIDs}}' mem)" = 3 ] && break
        sleep 0.1
    done
    run -0 skiff stats --no-stream
    [[ "${lines[0]}" == "CONTAINER ID"*"NAME"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
    [ "${#lines[@]}" -eq 3 ]
    # The busy loop's share is not checked: a loaded CI machine gives it little.
    run -0 skiff stats --no-stream --format '{{.CPUPerc}}' busy
    [[ "$output" =~ ^[0-9]+\.[0-9][0-9]%$ ]]
    # 30 MB held by the shell; three processes.
    run -0 skiff stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}|{{.NetIO}}|{{.BlockIO}}' mem
    IFS='|' read -r name usage memperc pids netio blockio <<<"$output"
    [ "$name" = mem ]
    [[ "$usage" =~ ^([0-9.]+)MiB\ /\ [0-9.]+[KMGT]iB$ ]]
    [ "${BASH_REMATCH[1]%%.*}" -ge 25 ]
    [[ "$memperc" =~ ^[0-9]+\.[0-9][0-9]%$ ]]
    [ "$pids" = 3 ]
    [ "$netio" = "0B / 0B" ]  # --network none: only lo, which is not counted
    [[ "$blockio" =~ ^[0-9.]+[kMGT]?B\ /\ [0-9.]+[kMGT]?B$ ]]
    run -0 skiff stats --no-stream --format '{{.Container}} {{.ID}}' mem
    id=$(skiff inspect --format '{{.Id}}' mem)
    [ "$output" = "mem ${id:0:12}" ]
    run -0 skiff stats --no-stream --no-trunc --format '{{.ID}}' mem
    [ "$output" = "$id" ]
    run -0 skiff stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}' mem
    [[ "${lines[0]}" == NAME*PIDS ]]
    run -0 skiff stats --no-stream --format json mem
    assert_output_contains '"PIDs":"3"'
    skiff rm -f busy mem >/dev/null
}

@test "stats: -a shows stopped containers, a missing one is an error" {
    skiff create --name idle busybox true >/dev/null
    run -0 skiff stats --no-stream --format '{{.Name}}'
    [ -z "$output" ]
    run -0 skiff stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}'
    [ "$output" = "idle -- --" ]
    run -125 skiff stats --no-stream nothere
    assert_one_line_error
}

@test "stats streams a new table every second" {
    skiff run -d --name s busybox sleep 1000 >/dev/null
    run timeout 2.5 "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" stats --format '{{.Name}} {{.PIDs}}' s
    [ "$status" -eq 124 ]
    [ "${#lines[@]}" -ge 2 ]
    [ "${lines[0]}" = "s 1" ]
    [ "${lines[1]}" = "s 1" ]
    skiff rm -f s >/dev/null
}

@test "--privileged: the host's devices, a writable /sys, every capability" {
    dev=""
    for d in /dev/fuse /dev/net/tun /dev/loop0 /dev/kvm /dev/vda /dev/sda /dev/nvme0n1 /dev/ttyS0; do
        [ -c "$d" ] || [ -b "$d" ] && { dev=$d; break; }
    done
    [ -n "$dev" ] || skip "no well-known device on this host"
    run -0 skiff run --rm --privileged busybox sh -c "test -e $dev && echo present; grep ' /sys ' /proc/mounts; grep CapEff /proc/self/status"
    assert_output_contains present
    [[ "${lines[1]}" == *" rw,"* ]]
    priv_caps=${lines[2]}
    run -0 skiff run --rm busybox sh -c "test -e $dev || echo absent; grep ' /sys ' /proc/mounts; grep CapEff /proc/self/status"
    assert_output_contains absent
    [[ "${lines[1]}" == *" ro,"* ]]
    [ "${lines[2]}" != "$priv_caps" ]
    # --cap-add ALL gives what --privileged gives (this process's bounding set).
    run -0 skiff run --rm --cap-add ALL busybox grep CapEff /proc/self/status
    [ "$output" = "$priv_caps" ]
}

@test "-m and --memory-swap: Docker's checks" {
    run -125 skiff run --rm -m 1m busybox true
    assert_output_contains "Minimum memory limit allowed is 6MB"
    run -125 skiff run --rm --memory-swap 100m busybox true
    assert_output_contains "You should always set the Memory limit when using Memoryswap limit"
    run -125 skiff run --rm -m 100m --memory-swap 50m busybox true
    assert_output_contains "Minimum memoryswap limit should be larger than memory limit"
}


# What journald checks look at, printed section by section (run where a
# journald listens: the host's, or a private one in a mount namespace).
journald_script() {
    cat >"$BATS_TEST_TMPDIR/journald.sh" <<'SCRIPT'
S="$SKIFF --root $SKIFF_ROOT --runroot $SKIFF_RUNROOT"
$S run --name j --log-driver journald busybox sh -c 'echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; echo out2' >/dev/null 2>&1
echo "== logs"; $S logs j 2>&1
echo "== tail"; $S logs --tail 1 j 2>&1
echo "== stdout"; $S logs j 2>/dev/null
echo "== type"; $S inspect --format '{{.HostConfig.LogConfig.Type}}' j
id=$($S inspect --format '{{.Id}}' j)
echo "== journal"; journalctl ${JOURNAL_DIR:+-D "$JOURNAL_DIR"} -o verbose "CONTAINER_ID_FULL=$id" 2>&1 | grep -E '^ +[A-Z_]+=' | sed 's/^ *//'
echo "== id ${id:0:12}"
$S run -d --name f --log-driver journald busybox sh -c 'sleep 0.3; echo late' >/dev/null
echo "== follow"; timeout 10 $S logs -f f 2>&1
# Past the first second: the line and its tag come from skiff-monitor (issue 6).
$S run --name t --log-driver journald --log-opt 'tag=app-{{.Name}}' busybox sh -c 'sleep 1.5; echo tagged' >/dev/null 2>&1
tid=$($S inspect --format '{{.Id}}' t)
echo "== tag"; journalctl ${JOURNAL_DIR:+-D "$JOURNAL_DIR"} -o verbose "CONTAINER_ID_FULL=$tid" 2>&1 | grep -E '^ +(SYSLOG_IDENTIFIER|CONTAINER_TAG)=' | sed 's/^ *//'
echo "== end"
SCRIPT
    echo "$BATS_TEST_TMPDIR/journald.sh"
}

# The lines of section $1 of $output.
section() { awk -v s="== $1" '/^== /{on = ($0 == s); next} on' <<<"$output"; }

journald_asserts() {
    if is_rootless && [ -z "$(section logs)" ]; then
        skip "the journal is not readable by $(id -un) here"
    fi
    [ "$(section logs)" = $'out1\nerr1\nout2' ]
    [ "$(section tail)" = out2 ]
    [ "$(section stdout)" = $'out1\nout2' ]
    [ "$(section type)" = journald ]
    id=$(grep '^== id ' <<<"$output" | cut -d' ' -f3)
    if command -v journalctl >/dev/null; then
        j=$(section journal)
        [[ "$j" == *"CONTAINER_NAME=j"* ]]
        [[ "$j" == *"CONTAINER_ID=$id"* ]]
        [[ "$j" == *"SYSLOG_IDENTIFIER=j"* ]]
        [[ "$j" == *"MESSAGE=err1"* ]]
        [[ "$j" == *"PRIORITY=3"* ]]
    fi
    [ "$(section follow)" = late ]
    if command -v journalctl >/dev/null; then
        [ "$(section tag)" = $'CONTAINER_TAG=app-t\nSYSLOG_IDENTIFIER=app-t' ]
    fi
}

@test "--log-driver journald: lines go to the journal, logs reads them back" {
    export SKIFF SKIFF_ROOT SKIFF_RUNROOT
    script=$(journald_script)
    if [ -S /run/systemd/journal/socket ]; then
        run -0 bash "$script"
        journald_asserts
        return
    fi
    run -125 skiff run --rm --log-driver journald busybox true
    assert_one_line_error
    assert_output_contains "journald is not running here"
    run -125 skiff run --rm --log-opt tag=x busybox true
    assert_output_contains "--log-opt tag is used by the journald log driver only"
    run -125 skiff run --rm --log-driver journald --log-opt 'tag={{.Name' busybox true
    assert_one_line_error
    # A private journald, root only: a mount namespace with its own /run.
    is_rootless && skip "no journald running here (CI containers have no systemd); a private one needs root"
    [ -x /lib/systemd/systemd-journald ] || skip "no journald running here and no systemd-journald to start"
    [ -s /etc/machine-id ] || skip "no journald running here and no /etc/machine-id for a private one"
    run -0 unshare -m bash -c '
        mount -t tmpfs tmpfs /run || exit 1
        mkdir -p /run/systemd/journal /run/log/journal
        /lib/systemd/systemd-journald >/dev/null 2>&1 &
        jpid=$!
        for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
        JOURNAL_DIR=/run/log/journal bash "$1"
        rc=$?
        kill $jpid
        exit $rc' _ "$script"
    journald_asserts
}

@test "stats --pid host counts the container's processes only" {
    skiff run -d --name h --pid host busybox sh -c 'sleep 1000 & wait' >/dev/null
    sleep 0.3
    run -0 skiff stats --no-stream --format '{{.PIDs}}' h
    [ "$output" = 2 ]
    skiff rm -f h >/dev/null
}

@test "rm: a container whose namespaces another joins goes last" {
    skiff run -d --name a busybox sleep 1000 >/dev/null
    skiff run -d --name b --pid container:a busybox sleep 1000 >/dev/null
    run -125 skiff rm -f a
    assert_one_line_error
    assert_output_contains "container a has dependent containers which must be removed before it: b"
    # rm -a takes the newest first: the dependent goes before.
    run -0 skiff rm -af
    run -0 skiff ps -aq
    [ -z "$output" ]
}

@test "-m and --pids-limit: applied as root, a warning rootless without cgroups" {
    if is_rootless; then
        run -0 --separate-stderr skiff run --rm -m 100m --pids-limit 10 busybox echo hi
        [ "$output" = hi ]
        if [[ "$stderr" != *"WARNING: resource limits are ignored for this rootless container"* ]]; then
            cgroup2 || { echo "no warning on a cgroup v1 host: $stderr" >&2; return 1; }
        fi
        return
    fi
    # The container's own cgroup is all it sees, at the top of each hierarchy.
    run -0 skiff run --rm -m 100m --pids-limit 10 busybox sh -c '
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
            cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
            exit
        fi
        cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
    [ "${lines[0]}" = 104857600 ]
    [ "${lines[1]}" = 10 ]
}

@test "rm after a killed monitor leaves no runtime state or cgroup behind" {
    id=$(skiff run -d busybox sleep 1000)
    pid=$(skiff inspect --format '{{.State.Pid}}' "$id")
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    [ -d "$SKIFF_RUNROOT/runtime/$id" ]
    kill -9 "$mon"
    sleep 0.2
    run -0 skiff rm "$id"
    [ ! -e "$SKIFF_RUNROOT/runtime/$id" ]
    for ctl in pids freezer memory; do
        [ ! -e "/sys/fs/cgroup/$ctl/skiff/$id" ]
    done
    [ ! -e "/sys/fs/cgroup/skiff/$id" ]
}

@test "--pid host: what the container left running goes with it" {
    skiff run -d --name orphans --pid host --network none busybox sh -c 'sleep 4321 & sleep 4321 & wait' >/dev/null
    for _ in $(seq 50); do [ "$(pgrep -c -f '^sleep 4321$' || true)" -ge 2 ] && break; sleep 0.1; done
    skiff rm -f orphans >/dev/null
    for _ in $(seq 50); do pgrep -f '^sleep 4321$' >/dev/null || break; sleep 0.1; done
    run pgrep -f '^sleep 4321$'
    [ -z "$output" ]
}

@test "default capabilities: Docker's set with NET_RAW; skiff.conf default_capabilities replaces it" {
    run skiff run --rm busybox grep CapEff /proc/self/status
    assert_status 0
    assert_output_contains "CapEff:	00000000800425fb"
    printf '[engine]\ndefault_capabilities = ["CHOWN", "CAP_KILL"]\n' > "$BATS_TEST_TMPDIR/skiff.conf"
    run skiff --config "$BATS_TEST_TMPDIR/skiff.conf" run --rm busybox grep CapEff /proc/self/status
    assert_status 0
    assert_output_contains "CapEff:	0000000000000021"
    printf '[engine]\ndefault_capabilities = ["NOSUCH"]\n' > "$BATS_TEST_TMPDIR/skiff.conf"
    run skiff --config "$BATS_TEST_TMPDIR/skiff.conf" run --rm busybox true
    [ "$status" -ne 0 ]
    assert_output_contains 'unknown capability "NOSUCH" in skiff.conf default_capabilities'
}

@test "ps -s: the writable layer's size and the virtual size (with the image)" {
    skiff run --name big busybox sh -c 'head -c 300000 /dev/zero > /big'
    run skiff ps -a -s --format '{{.Names}} {{.Size}}'
    assert_status 0
    [[ "$output" =~ ^big\ 3[0-9][0-9]kB\ \(virtual\ 2\.[0-9]+MB\)$ ]]
    run skiff ps -a -s
    assert_output_contains "SIZE"
    skiff rm big >/dev/null
}

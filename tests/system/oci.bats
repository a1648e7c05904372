#!/usr/bin/env bats
# The built-in OCI runtime, `skiff oci …` (runc's command line). Every test
# builds its bundle here: config.json from `skiff oci spec [--rootless]`,
# edited with jq, over a rootfs made from Debian's busybox-static. Each
# feature is observed from inside the container. Runs rootless (as an
# unprivileged user with /etc/subuid ranges) and as root.

load helpers

# Absolute: the tests run from inside their bundles.
SKIFF=$(readlink -f "$SKIFF")
BUSYBOX=${BUSYBOX:-/bin/busybox}

setup_file() {
    [ -x "$BUSYBOX" ] || skip "busybox-static is not installed"
    # One rootfs shared by every test: the configs keep it read-only.
    local r=$BATS_FILE_TMPDIR/rootfs
    mkdir -p "$r"/{bin,etc,tmp,proc,sys,dev,root,data,hk}
    cp "$BUSYBOX" "$r/bin/busybox"
    local a
    for a in $("$BUSYBOX" --list); do
        [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$r/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' > "$r/etc/group"
    export ROOTFS=$r
}

setup() {
    BUNDLE=$BATS_TEST_TMPDIR/bundle
    RT=$BATS_TEST_TMPDIR/state
    ID=oci$BATS_TEST_NUMBER-$$
    mkdir -p "$BUNDLE"
    if is_rootless; then
        "$SKIFF" oci spec --rootless --bundle "$BUNDLE"
    else
        "$SKIFF" oci spec --bundle "$BUNDLE"
    fi
    cfg '.root.path = env.ROOTFS | .process.terminal = false'
    # runc's default bundle is the working directory
    cd "$BUNDLE"
}

teardown() {
    local c
    for c in $(oci list -q 2>/dev/null); do oci delete --force "$c" >/dev/null 2>&1 || true; done
    if [ -n "${RECV_PID:-}" ]; then kill "$RECV_PID" 2>/dev/null || true; fi
}

oci() { "$SKIFF" oci --root "$RT" "$@"; }

# create and run -d leave a container holding the stdio they were given:
# give it files, not the pipes `run` reads until end-of-file.
oci_bg() { oci "$@" </dev/null >>"$BATS_TEST_TMPDIR/ctr.out" 2>&1 || { cat "$BATS_TEST_TMPDIR/ctr.out"; return 1; }; }

# Edits the bundle's config.json with a jq program (extra jq args allowed).
cfg() {
    local out
    out=$(jq "$@" "$BUNDLE/config.json") || return 1
    printf '%s\n' "$out" > "$BUNDLE/config.json"
}

# Sets process.args to the words given ("--": words starting with "-" stay words).
set_args() {
    local a
    a=$(jq -nc '$ARGS.positional' --args -- "$@")
    cfg --argjson a "$a" '.process.args = $a'
}

# Runs the words given as the container's process: `run` sets $output/$status.
run_ctr() {
    set_args "$@"
    run oci run "$ID"
}

# A writable /tmp (the root is read-only).
with_tmp() {
    cfg '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}]'
}

need_root() { is_rootless && skip "needs root: $1" || true; }
need_rootless() { is_rootless || skip "needs an unprivileged user: $1"; }

# Multi-range rootless mappings through newuidmap: container 0 is the
# user, 1..65536 come from /etc/subuid and /etc/subgid.
use_subid_maps() {
    local me; me=$(id -un)
    local su sg
    su=$(grep "^$me:" /etc/subuid 2>/dev/null | head -n1)
    sg=$(grep "^$me:" /etc/subgid 2>/dev/null | head -n1)
    [ -n "$su" ] && [ -n "$sg" ] || skip "no /etc/subuid and /etc/subgid ranges for $me"
    command -v newuidmap >/dev/null || skip "newuidmap (uidmap) is not installed"
    local us gs
    us=$(echo "$su" | cut -d: -f2)
    gs=$(echo "$sg" | cut -d: -f2)
    cfg --argjson u "$(id -u)" --argjson g "$(id -g)" --argjson us "$us" --argjson gs "$gs" \
        '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $us, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}, {"containerID": 1, "hostID": $gs, "size": 65536}]'
}

# ---- spec and features --------------------------------------------------

@test "oci spec writes Podman's defaults" {
    local d=$BATS_TEST_TMPDIR/spec
    mkdir -p "$d"
    run "$SKIFF" oci spec --bundle "$d"
    assert_status 0
    jq -e '.process.capabilities.bounding == ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"]' "$d/config.json"
    jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and (.linux.seccomp.syscalls[0].names | index("read"))' "$d/config.json"
    jq -e '.linux.maskedPaths | index("/proc/kcore")' "$d/config.json"
    jq -e '.linux.readonlyPaths | index("/proc/sys")' "$d/config.json"
    jq -e '[.mounts[].destination] == ["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' "$d/config.json"

    run "$SKIFF" oci spec --bundle "$d"
    assert_status 1
    assert_output_contains "exists. Remove it first"

    rm "$d/config.json"
    run "$SKIFF" oci spec --rootless --bundle "$d"
    assert_status 0
    jq -e --argjson u "$(id -u)" '.linux.uidMappings == [{"containerID":0,"hostID":$u,"size":1}]' "$d/config.json"
    jq -e '[.linux.namespaces[].type] | index("user") and (index("network") | not)' "$d/config.json"
    jq -e '.mounts[] | select(.destination == "/sys") | .options | index("rbind")' "$d/config.json"
}

@test "oci features describes the runtime as JSON" {
    run "$SKIFF" oci features
    assert_status 0
    echo "$output" | jq -e '.ociVersionMin == "1.0.0" and .ociVersionMax == "1.2.0"'
    echo "$output" | jq -e '.hooks | length == 6'
    echo "$output" | jq -e '.linux.seccomp.enabled and (.linux.seccomp.operators | index("SCMP_CMP_MASKED_EQ"))'
    echo "$output" | jq -e '.linux.namespaces | index("user") and index("time")'
}

@test "skiff-runtime name acts as the runtime" {
    local link=$BATS_TEST_TMPDIR/skiff-runtime
    ln -s "$(readlink -f "$SKIFF")" "$link"
    run "$link" --version
    assert_status 0
    assert_output_contains "spec: 1.2.0"
    run "$link" --root "$RT" list -q
    assert_status 0
}

# ---- running ------------------------------------------------------------

@test "run: the exit status is the container's" {
    run_ctr true
    assert_status 0
    run_ctr sh -c 'echo out; echo err >&2; exit 7'
    assert_status 7
    assert_output_contains "out"
    assert_output_contains "err"
    # run deletes the container afterwards
    run oci list -q
    [ -z "$output" ]
}

@test "process: args, env, cwd and umask" {
    with_tmp
    cfg '.process.env = ["PATH=/bin", "GREETING=hello world"] | .process.cwd = "/tmp" | .process.user.umask = 63'
    run_ctr sh -c 'echo "$GREETING"; pwd; umask'
    assert_status 0
    [ "${lines[0]}" = "hello world" ]
    [ "${lines[1]}" = "/tmp" ]
    [ "${lines[2]}" = "0077" ]
}

@test "process: a missing program is reported at create" {
    set_args no-such-program
    run oci create "$ID"
    assert_status 1
    assert_output_contains 'exec: "no-such-program": executable file not found in $PATH'
    run oci list -q
    [ -z "$output" ]
}

@test "process: personality, ioPriority, scheduler and CPU affinity" {
    cfg '.linux.personality = {"domain": "LINUX32"}
       | .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
       | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}
       | .process.execCPUAffinity = {"initial": "0", "final": "0"}'
    run_ctr sh -c 'uname -m; ionice; cut -d" " -f19,41 /proc/self/stat; taskset -p $$'
    assert_status 0
    [ "${lines[0]}" = i686 ] || [ "${lines[0]}" = armv8l ]
    assert_output_contains "idle"
    [ "${lines[2]}" = "5 3" ]
    assert_output_contains "affinity mask: 1"
}

@test "hostname and domainname" {
    cfg '.hostname = "box1" | .domainname = "example.org"'
    run_ctr sh -c 'hostname; cat /proc/sys/kernel/domainname'
    assert_status 0
    [ "${lines[0]}" = box1 ]
    [ "${lines[1]}" = example.org ]
}

@test "user: uid, gid and additional gids" {
    if is_rootless; then use_subid_maps; fi
    cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20]}'
    run_ctr id
    assert_status 0
    [ "$output" = "uid=1000 gid=1001 groups=10,20" ]
}

@test "user: additional gids need setgroups, which a single rootless mapping denies" {
    need_rootless "root may always call setgroups"
    cfg '.process.user.additionalGids = [0]'
    run_ctr id
    assert_status 1
    assert_output_contains "additionalGids"
    assert_output_contains "setgroups is denied"
}

@test "user namespace: mappings as seen inside" {
    if is_rootless; then
        use_subid_maps
        run_ctr cat /proc/self/uid_map
        assert_status 0
        [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 $(id -u) 1" ]
        [ "$(echo "${lines[1]}" | awk '{print $1, $3}')" = "1 65536" ]
    else
        # the mapped root (host uid 200000) must be able to reach the rootfs
        local d=$ROOTFS
        while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
        cfg '.linux.namespaces += [{"type": "user"}]
           | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
           | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
           | .mounts |= map(if .type == "devpts" then .options -= ["gid=5"] else . end)'
        run_ctr sh -c 'cat /proc/self/uid_map; id -u'
        assert_status 0
        [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 200000 65536" ]
        [ "${lines[1]}" = 0 ]
    fi
}

@test "capabilities: Podman's default set" {
    run_ctr grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
    assert_status 0
    assert_output_contains "CapPrm:	00000000800405fb"
    assert_output_contains "CapEff:	00000000800405fb"
    assert_output_contains "CapBnd:	00000000800405fb"
    assert_output_contains "CapInh:	0000000000000000"
    assert_output_contains "CapAmb:	0000000000000000"
}

@test "capabilities: all five sets, ambient for a non-root user" {
    if is_rootless; then use_subid_maps; fi
    # CAP_NET_RAW (13) and CAP_KILL (5): 0x2020
    cfg '.process.user = {"uid": 1000, "gid": 1000}
       | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL", "CAP_NET_RAW"],
                                  "permitted": ["CAP_KILL", "CAP_NET_RAW"], "inheritable": ["CAP_KILL", "CAP_NET_RAW"],
                                  "ambient": ["CAP_NET_RAW"]}'
    run_ctr grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
    assert_status 0
    assert_output_contains "CapInh:	0000000000002020"
    assert_output_contains "CapBnd:	0000000000002020"
    assert_output_contains "CapAmb:	0000000000002000"
    # after execve a non-root user keeps only the ambient set
    assert_output_contains "CapEff:	0000000000002000"
}

@test "noNewPrivileges" {
    run_ctr grep NoNewPrivs /proc/self/status
    assert_output_contains "NoNewPrivs:	1"
    cfg '.process.noNewPrivileges = false'
    run_ctr grep NoNewPrivs /proc/self/status
    assert_output_contains "NoNewPrivs:	0"
}

@test "rlimits" {
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
    run_ctr sh -c 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -a'
    assert_status 0
    [ "${lines[0]}" = 512 ]
    [ "${lines[1]}" = 1000 ]
    [ "${lines[2]}" = 0 ]
    assert_output_contains "512"
}

@test "oomScoreAdj" {
    cfg '.process.oomScoreAdj = 500'
    run_ctr cat /proc/self/oom_score_adj
    assert_status 0
    [ "$output" = 500 ]
}

# ---- seccomp --------------------------------------------------------------

@test "seccomp: the default profile is loaded and denies unshare" {
    run_ctr sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo rc=$?'
    assert_output_contains "Seccomp:	2"
    assert_output_contains "Operation not permitted"
    assert_output_contains "rc=1"
    # without the profile the same call passes (user namespaces are allowed)
    cfg 'del(.linux.seccomp)'
    run_ctr sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo rc=$?'
    assert_output_contains "Seccomp:	0"
    assert_output_contains "rc=0"
}

@test "seccomp: errnoRet and argument filters" {
    with_tmp
    # mkdir fails with EACCES (13); kill with SIGUSR1 (10) as 2nd argument with EPERM
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]}'
    run_ctr sh -c 'mkdir /tmp/d; kill -0 $$ && echo zero-ok; kill -USR1 $$; echo done'
    assert_output_contains "Permission denied"
    assert_output_contains "zero-ok"
    assert_output_contains "Operation not permitted"
    assert_output_contains "done"
}

@test "seccomp: filter flags" {
    cfg '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
    run_ctr grep "^Seccomp:" /proc/self/status
    assert_status 0
    assert_output_contains "Seccomp:	2"
}

@test "seccomp: defaultErrnoRet" {
    # the default profile, answering ENOTSUP (95) instead of EPERM
    cfg '.linux.seccomp.defaultErrnoRet = 95'
    run_ctr unshare -U true
    assert_status 1
    assert_output_contains "Operation not supported"
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener fd and the state to listenerPath" {
    command -v python3 >/dev/null || skip "python3 is not installed"
    with_tmp
    local sock=$BATS_TEST_TMPDIR/seccomp.sock out=$BATS_TEST_TMPDIR/seccomp.out
    python3 "$BATS_TEST_DIRNAME/oci_recvtty.py" "$sock" > "$out" &
    RECV_PID=$!
    local i
    for i in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
    # the agent (our receiver) closes the fd without answering: the
    # notified call then fails with ENOSYS
    cfg --arg s "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s, "listenerMetadata": "meta",
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
    run_ctr sh -c 'mkdir /tmp/x; echo rc=$?'
    assert_output_contains "rc=1"
    wait "$RECV_PID" || true
    RECV_PID=
    sed -n 's/^name=//p' "$out" | jq -e --arg id "$ID" '.fds == ["seccompFd"] and .metadata == "meta" and .state.id == $id and .pid > 0'
}

# ---- filesystem -----------------------------------------------------------

@test "masked and read-only paths" {
    [ -e /proc/timer_list ] || skip "the host has no /proc/timer_list to mask"
    # a masked file is /dev/null bound over it; a masked directory an empty read-only tmpfs
    run_ctr sh -c 'stat -c "%F %t:%T" /proc/timer_list; wc -c < /proc/timer_list; ls -A /proc/acpi | wc -l; grep -E " /proc/(sys|timer_list|acpi) " /proc/self/mountinfo'
    assert_status 0
    [ "${lines[0]}" = "character special file 1:3" ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = 0 ]
    assert_output_contains "/proc/sys ro,"
    assert_output_contains "/proc/acpi ro,"
    assert_output_contains "/proc/timer_list "
    run_ctr sh -c 'echo x > /proc/sys/kernel/hostname'
    assert_status 1
    assert_output_contains "Read-only file system"
}

@test "root.readonly" {
    run_ctr touch /newfile
    assert_status 1
    assert_output_contains "Read-only file system"
    cfg '.root.readonly = false'
    run_ctr sh -c 'sed -E "s/^([^ ]+ ){4}([^ ]+) ([^ ]+) .*/\\2 \\3/" /proc/self/mountinfo | grep "^/ "'
    assert_output_contains "/ rw,"
}

@test "rootfsPropagation" {
    # mount point and optional fields (shared:N, master:N) of the root
    set_args sh -c 'sed -E "s/^([^ ]+ ){4}([^ ]+) ([^ ]+) (.*) - .*/\\2 \\4/" /proc/self/mountinfo | head -n 1'
    cfg '.linux.rootfsPropagation = "shared"'
    run oci run "$ID"
    assert_status 0
    assert_output_contains "/ shared:"
    cfg '.linux.rootfsPropagation = "private"'
    run oci run "$ID"
    assert_status 0
    [[ "$output" != *shared:* ]]
}

@test "mounts: tmpfs, bind with flags, recursive read-only" {
    local host=$BATS_TEST_TMPDIR/shared
    mkdir -p "$host" && echo from-host > "$host/file"
    cfg --arg h "$host" '.mounts += [
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]},
        {"destination": "/ro", "type": "bind", "source": $h, "options": ["rbind", "ro", "nosuid"]},
        {"destination": "/rw", "type": "none", "source": $h, "options": ["bind"]},
        {"destination": "/hostsys", "type": "bind", "source": "/sys", "options": ["rbind", "rro"]}]'
    run_ctr sh -c 'cat /ro/file; touch /ro/x; echo written > /rw/out; grep -E " /(scratch|ro|hostsys/fs/cgroup) " /proc/self/mountinfo; stat -c %a /scratch'
    assert_output_contains "from-host"
    assert_output_contains "touch: /ro/x: Read-only file system"
    [ "$(cat "$host/out")" = written ]
    assert_output_contains "/scratch rw,nosuid,nodev,noexec"
    assert_output_contains "size=1024k"
    assert_output_contains "/ro ro,nosuid"
    assert_output_contains "/hostsys/fs/cgroup ro,"
    [ "${lines[-1]}" = 700 ]
}

@test "mounts: bind source relative to the bundle, and tmpcopyup" {
    mkdir -p "$BUNDLE/data"
    echo bundled > "$BUNDLE/data/f"
    cfg '.mounts += [{"destination": "/data", "type": "bind", "source": "data", "options": ["bind", "ro"]},
                     {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
    run_ctr sh -c 'cat /data/f; grep root /etc/passwd; touch /etc/new && echo etc-writable'
    assert_status 0
    assert_output_contains "bundled"
    assert_output_contains "root:x:0:0"
    assert_output_contains "etc-writable"
}

@test "mounts: proc, sysfs, devpts, mqueue, shm and cgroup" {
    # sysfs asked for even rootless without a network namespace: the runtime
    # binds the host's /sys read-only instead
    cfg '.mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]} else . end)'
    # mount point and filesystem type (the word after " - ")
    run_ctr sh -c 'sed -E "s/^([^ ]+ ){4}([^ ]+) .* - ([^ ]+) .*/\\2 \\3/" /proc/self/mountinfo'
    assert_status 0
    assert_output_contains "/proc proc"
    assert_output_contains "/dev tmpfs"
    assert_output_contains "/dev/pts devpts"
    assert_output_contains "/dev/shm tmpfs"
    assert_output_contains "/dev/mqueue mqueue"
    assert_output_contains "/sys sysfs"
    assert_output_contains "/sys/fs/cgroup"
    run_ctr sh -c 'touch /sys/kernel/x'
    assert_output_contains "Read-only file system"
}

@test "pivot_root, and --no-pivot" {
    run_ctr sh -c 'ls /; grep -c . /proc/self/mountinfo'
    assert_status 0
    assert_output_contains "bin"
    run oci run --no-pivot "$ID"
    assert_status 0
    assert_output_contains "bin"
}

@test "devices: the default /dev set and its symlinks" {
    run_ctr sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done; echo hi > /dev/null && head -c 4 /dev/zero | wc -c'
    assert_status 0
    assert_output_contains "/dev/null character special file 1:3"
    assert_output_contains "/dev/zero character special file 1:5"
    assert_output_contains "/dev/full character special file 1:7"
    assert_output_contains "/dev/random character special file 1:8"
    assert_output_contains "/dev/urandom character special file 1:9"
    assert_output_contains "/dev/tty character special file 5:0"
    assert_output_contains "pts/ptmx"
    assert_output_contains "/proc/self/fd"
    assert_output_contains "/proc/self/fd/0"
    [ "${lines[-1]}" = 4 ]
}

@test "devices: linux.devices (mknod as root, a bind of the host node rootless)" {
    if is_rootless; then
        [ -e /dev/kmsg ] || skip "no /dev/kmsg on the host to bind"
        cfg '.linux.devices = [{"type": "c", "path": "/dev/kmsg", "major": 1, "minor": 11}]'
        run_ctr stat -c "%F %t:%T" /dev/kmsg
        assert_status 0
        [ "$output" = "character special file 1:b" ]
    else
        cfg '.linux.devices = [{"type": "c", "path": "/dev/mynull", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 0}]
           | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
        run_ctr sh -c 'stat -c "%F %t:%T %a" /dev/mynull; echo x > /dev/mynull && echo writable'
        assert_status 0
        assert_output_contains "character special file 1:3 600"
        assert_output_contains "writable"
    fi
}

# ---- namespaces -------------------------------------------------------------

@test "namespaces: the container has its own" {
    local kinds="pid ipc uts mnt"
    is_rootless && kinds="$kinds user" || kinds="$kinds net cgroup"
    set_args sh -c "echo \$\$; for n in $kinds; do readlink /proc/self/ns/\$n; done"
    run oci run "$ID"
    assert_status 0
    [ "${lines[0]}" = 1 ]
    local n i=1
    for n in $kinds; do
        [ "${lines[$i]}" != "$(readlink /proc/self/ns/$n)" ]
        i=$((i + 1))
    done
}

# Rootless: a network namespace of its own, and with it a real sysfs.
add_netns() {
    is_rootless || return 0
    cfg '.linux.namespaces += [{"type": "network"}]
       | .mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]} else . end)'
}

@test "namespaces: a network namespace has only lo" {
    add_netns
    run_ctr sh -c 'ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    assert_status 0
    [ "$(echo "$output" | sort -u)" = lo ]
}

@test "namespaces: join another container's network namespace by path" {
    add_netns
    set_args sleep 60
    oci_bg run -d "$ID"
    local pid
    pid=$(oci state "$ID" | jq -r .pid)
    local want
    want=$(readlink "/proc/$pid/ns/net")
    cfg --arg p "/proc/$pid/ns/net" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
    if is_rootless; then
        # a network namespace owned by another user namespace is joined
        # together with that user namespace
        cfg --arg p "/proc/$pid/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)
                                         | del(.linux.uidMappings, .linux.gidMappings)'
    fi
    set_args readlink /proc/self/ns/net
    run oci run "${ID}b"
    assert_status 0
    [ "$output" = "$want" ]
}

@test "namespaces: time namespace offsets" {
    [ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
    cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
    run_ctr cut -d. -f1 /proc/uptime
    assert_status 0
    [ "$output" -ge 864000 ]
}

@test "sysctl: network and ipc keys in the container's namespaces" {
    add_netns
    cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1000"}'
    run_ctr sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
    assert_status 0
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" = 1000 ]
    [ "$(cat /proc/sys/kernel/shmmni)" != 1000 ] || [ "$(cat /proc/sys/kernel/shmmni)" = 1000 ]
}

@test "sysctl: a host-wide key is refused" {
    cfg '.linux.sysctl = {"vm.swappiness": "1"}'
    run_ctr true
    assert_status 1
    assert_output_contains "config.json: linux.sysctl.vm.swappiness: is not namespaced"
}

# ---- hooks ------------------------------------------------------------------

@test "hooks: all six, in order, with the state on stdin" {
    local hk=$BATS_TEST_TMPDIR/hk
    mkdir -p "$hk"
    cat > "$hk/hook" <<EOF
#!/bin/sh
# \$1: kind. Logs the kind, the hostname it sees and the state it was given.
state=\$(cat)
echo "\$1 \$(hostname) \$(echo "\$state" | jq -c '{status, pid, id, bundle, a: .annotations.a}')" >> $hk/log
EOF
    chmod +x "$hk/hook"
    cfg --arg h "$hk/hook" --arg d "$hk" '.hostname = "ctr" | .annotations = {"a": "b"}
      | .mounts += [{"destination": "/hk", "type": "bind", "source": $d, "options": ["bind"]}]
      | .hooks = {
          "prestart": [{"path": $h, "args": ["hook", "prestart"]}],
          "createRuntime": [{"path": $h, "args": ["hook", "createRuntime"]}],
          "createContainer": [{"path": $h, "args": ["hook", "createContainer"]}],
          "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "read s; echo \"startContainer $(hostname) $s\" >> /hk/log"]}],
          "poststart": [{"path": $h, "args": ["hook", "poststart"]}],
          "poststop": [{"path": $h, "args": ["hook", "poststop"]}]}'
    set_args true
    oci_bg create "$ID"
    local pid
    pid=$(oci state "$ID" | jq -r .pid)
    oci start "$ID"
    sleep 0.2
    oci delete "$ID"
    cat "$hk/log"
    run cut -d' ' -f1 "$hk/log"
    [ "$(echo $output)" = "prestart createRuntime createContainer startContainer poststart poststop" ]
    local host; host=$(hostname)
    run cat "$hk/log"
    [ "$(echo "${lines[0]}" | cut -d' ' -f2)" = "$host" ]     # runtime namespace
    [ "$(echo "${lines[2]}" | cut -d' ' -f2)" = ctr ]         # container namespace
    [ "$(echo "${lines[3]}" | cut -d' ' -f2)" = ctr ]
    local kind status
    for kind in prestart:creating createRuntime:creating createContainer:creating poststart:running poststop:stopped; do
        status=${kind#*:}
        grep "^${kind%%:*} " "$hk/log" | cut -d' ' -f3- |
            jq -e --arg s "$status" --arg id "$ID" --argjson pid "$pid" --arg b "$BUNDLE" \
                '.status == $s and .pid == $pid and .id == $id and .bundle == $b and .a == "b"'
    done
    grep "^startContainer " "$hk/log" | cut -d' ' -f3- | jq -e --arg id "$ID" '.status == "created" and .id == $id'
}

@test "hooks: a failing or slow createRuntime hook fails create" {
    cfg '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
    set_args true
    run oci create "$ID"
    assert_status 1
    assert_output_contains "createRuntime hook /bin/false failed: exit status 1"
    run oci list -q
    [ -z "$output" ]
    cfg '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]}'
    run oci create "$ID"
    assert_status 1
    assert_output_contains "timed out after 1s"
}

@test "hooks: a failing poststop hook is only a warning" {
    cfg '.hooks = {"poststop": [{"path": "/bin/false"}]}'
    run_ctr true
    assert_status 0
    assert_output_contains "warning: poststop hook /bin/false failed"
}

# ---- lifecycle --------------------------------------------------------------

@test "lifecycle: create, state, start, kill, delete" {
    cfg '.annotations = {"org.example": "yes"}'
    set_args sleep 60
    oci_bg create --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
    run oci state "$ID"
    assert_status 0
    echo "$output" | jq -e --arg id "$ID" --arg b "$BUNDLE" --arg r "$ROOTFS" \
        '.id == $id and .status == "created" and .bundle == $b and .rootfs == $r and .ociVersion == "1.2.0" and .owner == "" and .annotations["org.example"] == "yes" and (.created | test("Z$"))'
    local pid; pid=$(echo "$output" | jq .pid)
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
    # the init waits: its program has not started
    [ "$(readlink /proc/$pid/exe)" != "$(readlink "$ROOTFS/bin/sleep")" ]
    run oci list
    assert_output_contains "$ID"
    assert_output_contains "created"
    oci start "$ID"
    run oci state "$ID"
    echo "$output" | jq -e '.status == "running"'
    run oci start "$ID"
    assert_status 1
    run oci delete "$ID"
    assert_status 1
    assert_output_contains "not stopped: running"
    oci kill "$ID" KILL
    local i
    for i in $(seq 50); do [ "$(oci state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    run oci state "$ID"
    echo "$output" | jq -e '.status == "stopped" and .pid == 0'
    oci delete "$ID"
    run oci state "$ID"
    assert_status 1
    assert_output_contains "does not exist"
}

@test "lifecycle: delete a created container, delete --force a running one" {
    set_args sleep 60
    oci_bg create "$ID"
    local pid; pid=$(oci state "$ID" | jq .pid)
    oci delete "$ID"
    ! kill -0 "$pid" 2>/dev/null
    oci_bg create "$ID"
    oci start "$ID"
    oci delete --force "$ID"
    run oci list -q
    [ -z "$output" ]
}

@test "kill --all and ps" {
    set_args sh -c 'sleep 60 & sleep 61 & wait'
    oci_bg run -d "$ID"
    local i
    for i in $(seq 50); do [ "$(oci ps --format json "$ID" | jq length)" -ge 3 ] && break; sleep 0.1; done
    run oci ps --format json "$ID"
    assert_status 0
    echo "$output" | jq -e 'length == 3'
    run oci ps "$ID"
    assert_status 0
    assert_output_contains "PID"
    assert_output_contains "sleep 61"
    oci kill --all "$ID" KILL
    for i in $(seq 50); do [ "$(oci state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    [ "$(oci state "$ID" | jq -r .status)" = stopped ]
}

@test "exec: a process in a running container" {
    with_tmp
    set_args sleep 60
    oci_bg run -d "$ID"
    run oci exec --env FOO=bar --cwd /tmp "$ID" sh -c 'echo "$FOO"; pwd; echo $$; grep NoNewPrivs /proc/self/status'
    assert_status 0
    [ "${lines[0]}" = bar ]
    [ "${lines[1]}" = /tmp ]
    [ "${lines[2]}" != 1 ]
    assert_output_contains "NoNewPrivs:	1"
    run oci exec "$ID" sh -c 'exit 5'
    assert_status 5
    # the container's namespaces
    local pid; pid=$(oci state "$ID" | jq .pid)
    run oci exec "$ID" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt'
    [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
    [ "${lines[1]}" = "$(readlink /proc/$pid/ns/mnt)" ]
    # a process spec from a file
    jq -n '{"args": ["sh", "-c", "echo from-file $X; id -u"], "cwd": "/", "env": ["X=1", "PATH=/bin"]}' > "$BATS_TEST_TMPDIR/p.json"
    run oci exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
    assert_status 0
    [ "${lines[0]}" = "from-file 1" ]
    [ "${lines[1]}" = 0 ]
    oci kill "$ID" KILL
    local i
    for i in $(seq 50); do [ "$(oci state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    run oci exec "$ID" true
    assert_status 1
    assert_output_contains "stopped"
}

@test "exec: as another user" {
    if is_rootless; then use_subid_maps; fi
    set_args sleep 60
    oci_bg run -d "$ID"
    run oci exec --user 1000:1000 "$ID" id
    assert_status 0
    [ "$output" = "uid=1000 gid=1000 groups=1000" ] || [ "$output" = "uid=1000 gid=1000" ]
}

@test "console: --console-socket receives the pty master" {
    command -v python3 >/dev/null || skip "python3 is not installed"
    local sock=$BATS_TEST_TMPDIR/tty.sock out=$BATS_TEST_TMPDIR/tty.out
    python3 "$BATS_TEST_DIRNAME/oci_recvtty.py" "$sock" > "$out" &
    RECV_PID=$!
    local i
    for i in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
    cfg '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
    set_args sh -c 'tty; stty size; [ -t 0 ] && echo stdin-is-tty'
    run oci run --console-socket "$sock" "$ID"
    assert_status 0
    wait "$RECV_PID" || true
    RECV_PID=
    run cat "$out"
    assert_output_contains "name=/dev/pts/0"
    assert_output_contains "/dev/pts/0"
    assert_output_contains "30 100"
    assert_output_contains "stdin-is-tty"
}

@test "exec --tty without a console socket relays the pty" {
    set_args sleep 60
    oci_bg run -d "$ID"
    run oci exec --tty "$ID" sh -c 'tty; echo relayed'
    assert_status 0
    assert_output_contains "/dev/pts/"
    assert_output_contains "relayed"
}

@test "console: create with a terminal needs --console-socket" {
    cfg '.process.terminal = true'
    run oci create "$ID"
    assert_status 1
    assert_output_contains "console-socket"
}

@test "--preserve-fds passes fds to the container" {
    echo passed-fd > "$BATS_TEST_TMPDIR/f"
    set_args cat /proc/self/fd/3
    run oci run --preserve-fds 1 "$ID" 3<"$BATS_TEST_TMPDIR/f"
    assert_status 0
    [ "$output" = passed-fd ]
    set_args sh -c 'ls /proc/self/fd | wc -l'
    run oci run "$ID" 3<"$BATS_TEST_TMPDIR/f"
    # only 0-2 and the fd ls itself opens
    [ "$output" -le 4 ]
}

# ---- cgroups ----------------------------------------------------------------

@test "cgroups: limits are applied as root" {
    need_root "cgroups belong to root here"
    [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no usable cgroup hierarchy"
    cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 20} | .linux.resources.cpu = {"shares": 512}'
    set_args sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.weight'
    run oci run "$ID"
    assert_status 0
    [ "${lines[0]}" = 67108864 ]
    [ "${lines[1]}" = 20 ]
    [ "${lines[2]}" = 512 ] || [ "${lines[2]}" = 20 ]
    # the cgroup is gone with the container
    [ ! -d "/sys/fs/cgroup/memory/skiff/$ID" ]
}

@test "cgroups: rootless limits are a clear warning, not a silent no-op" {
    need_rootless "root can set limits"
    cfg '.linux.resources.memory = {"limit": 67108864}'
    run_ctr true
    assert_status 0
    assert_output_contains "warning: resource limits are unavailable"
}

# ---- errors -------------------------------------------------------------------

@test "errors: an invalid config.json names the field" {
    cfg '.process.args = []'
    run oci run "$ID"
    assert_status 1
    [ "$output" = "config.json: process.args: must be a non-empty array" ]
    cfg '.process.args = ["true"] | .linux.namespaces += [{"type": "bogus"}]'
    run oci run "$ID"
    assert_status 1
    assert_output_contains 'unknown namespace type "bogus"'
    echo '{not json' > "$BUNDLE/config.json"
    run oci run "$ID"
    assert_status 1
    assert_output_contains "config.json: invalid JSON"
    run oci list -q
    [ -z "$output" ]
}

@test "errors: what the runtime cannot honour is refused, not skipped" {
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
        cfg '.process.apparmorProfile = "some-profile"'
        run_ctr true
        assert_status 1
        assert_output_contains "process.apparmorProfile: AppArmor is not enabled on this host"
        cfg 'del(.process.apparmorProfile)'
    fi
    cfg '.mounts += [{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind", "idmap"]}]'
    run_ctr true
    assert_status 1
    assert_output_contains "id-mapped mounts"
    cfg 'del(.mounts[-1]) | .linux.intelRdt = {"closID": "x"}'
    run_ctr true
    assert_status 1
    assert_output_contains "Intel RDT is not supported"
    cfg 'del(.linux.intelRdt) | .linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
    run_ctr true
    assert_status 1
    assert_output_contains "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported"
    run oci list -q
    [ -z "$output" ]
}

@test "errors: unknown container, bad id, unsupported systemd cgroups" {
    run oci state nope
    assert_status 1
    assert_output_contains 'container "nope" does not exist'
    run oci create ../escape
    assert_status 1
    assert_output_contains "invalid container id"
    run "$SKIFF" oci --systemd-cgroup --root "$RT" state x
    assert_status 1
    assert_output_contains "systemd cgroup driver is not supported"
}

@test "errors: --log --log-format json is what podman reads" {
    local log=$BATS_TEST_TMPDIR/log.json
    run "$SKIFF" oci --root "$RT" --log "$log" --log-format json state nope
    assert_status 1
    jq -e '.level == "error" and (.msg | contains("does not exist")) and (.time | length > 0)' "$log"
}

@test "podman runs containers with skiff-runtime as its OCI runtime" {
    command -v podman >/dev/null || skip "podman is not installed"
    command -v conmon >/dev/null || skip "conmon is not installed"
    local link=$BATS_TEST_TMPDIR/bin/skiff-runtime
    mkdir -p "${link%/*}"
    ln -s "$SKIFF" "$link"
    local p=(podman --root "$BATS_TEST_TMPDIR/storage" --runroot "$BATS_TEST_TMPDIR/run" --runtime "$link"
             --cgroup-manager cgroupfs --events-backend file)
    run timeout 120 "${p[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs "$ROOTFS" \
        sh -c 'echo in-podman; grep CapEff /proc/self/status'
    if [ "$status" -ne 0 ] && command -v runc >/dev/null; then
        local ours=$output
        p[6]=runc
        run timeout 120 "${p[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs "$ROOTFS" true
        [ "$status" -eq 0 ] || skip "podman cannot run containers here, with runc either: $output"
        echo "$ours" >&2
        return 1
    fi
    assert_status 0
    assert_output_contains "in-podman"
    assert_output_contains "CapEff:	00000000800405fb"
}

# ---- against runc -----------------------------------------------------------

@test "the same bundle under runc gives the same observations" {
    command -v runc >/dev/null || skip "runc is not installed"
    set_args sh -c 'grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status; id; hostname; ulimit -n; cat /proc/self/uid_map; sed -E "s/^([^ ]+ ){4}([^ ]+) ([^ ]+) .*/\\2 \\3/" /proc/self/mountinfo | grep -E "^/(proc|dev|dev/pts|dev/shm|dev/mqueue|sys)? " | sort'
    run oci run "$ID"
    assert_status 0
    local ours=$output
    run runc --root "$BATS_TEST_TMPDIR/runc" run "$ID"
    [ "$status" -eq 0 ] || skip "runc cannot run here: $output"
    if [ "$ours" != "$output" ]; then
        diff <(echo "$ours") <(echo "$output") >&2
        return 1
    fi
}

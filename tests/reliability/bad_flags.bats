#!/usr/bin/env bats
# Bad command lines (issue 16, items 8 and 9): every entry of the table is
# given to `create` and to `run`. Each must exit 125 with one "Error:" line,
# leave `ps -a`, `volume ls` and `network ls` as they were, and make no
# host directory (a -v source that did not exist stays missing). The test
# reports its counts (tried, refused) as a TAP comment.

load ../system/helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox
    D=$BATS_TEST_TMPDIR/dir             # an existing host directory
    N=$BATS_TEST_TMPDIR/not-made        # must never be created
    mkdir -p "$D"
    echo 'not a profile' >"$D/notjson"
    L300=$(printf 'a%.0s' {1..300})
    L1000=$(printf 'r%.0s' {1..1000})
    T200=$(printf 't%.0s' {1..200})
    H100=$(printf 'h%.0s' {1..100})
    W6000=/$(printf 'w%.0s' {1..6000})
}

# One bad command line per line, as words after `create` or `run`; shell
# quoting applies and $D, $N, $L300… expand. Blank lines and # comments
# are skipped.
bad_lines() {
    cat <<'EOF'
# Item 8: values that failed open.
--mount type=bind,src=$D,dst=/x,readonly=maybe busybox
--mount type=bind,src=$D,dst=/x,ro=yes busybox
--mount type=volume,dst=/x,volume-nocopy=maybe busybox
-v $D:/x:ro,rw busybox
-v $D:/x:rw,rw busybox
-v $D:/x:z,Z busybox
-v $D:/x:shared,private busybox
-v $N:/ busybox
-v $N:/proc busybox
-v $D:/proc/sys busybox
-v $D:/x/../proc busybox
-v badvol:/proc busybox
-v /proc busybox
--mount type=volume,src=badvol,dst=/ busybox
--mount type=tmpfs,dst=/proc busybox
--tmpfs /proc busybox
--tmpfs / busybox
--stop-signal SIGFOO busybox
--stop-signal 0 busybox
--stop-signal RTMIN+99 busybox
--dns 999.1.1.1 busybox
--dns example.com busybox
--cpu-shares -5 busybox
--cpus nan busybox
--cpus inf busybox
--cpus 1e309 busybox
--cpus -1 busybox
--cpus 0x10 busybox
--cpus 99999 busybox
-m 99999999999999999999g busybox
-m 1.2.3m busybox
--memory-swap 99999999999999999999g -m 10m busybox
--shm-size 9e9g busybox
-u 99999999999 busybox
-u 0:4294967295 busybox
$L300
$L1000
busybox:$T200
# Item 9: refused, but only after a container was made.
--add-host bad busybox
--add-host db:999.1.1.1 busybox
--add-host $'a\nb:1.2.3.4' busybox
--network none --add-host gw:host-gateway busybox
--network host --add-host gw:host-gateway busybox
--cap-add BOGUS busybox
--cap-drop NOPE busybox
-u nosuchuser busybox
-u 0:nosuchgroup busybox
--group-add nosuchgroup busybox
--tmpfs /x:size=abc busybox
--tmpfs /x:mode=999 busybox
--tmpfs /x:bogus busybox
--hostname $H100 busybox
-h $H100 busybox
--hostname 'a b' busybox
-w $W6000 busybox
-w relative busybox
--cpus 0.0001 busybox
# More of the same kind.
--restart on-failure:5x busybox
--restart on-failure:0 busybox
--restart sometimes busybox
--stop-timeout 99999999999 busybox
--sysctl foo.bar=1 busybox
--network host --sysctl net.ipv4.ip_forward=1 busybox
--ulimit nofile=abc busybox
--ulimit nofile=200:100 busybox
--ulimit bogus=1 busybox
--log-opt max-size=abc busybox
--cpuset-cpus abc busybox
--cpuset-cpus 0-9999 busybox
--group-add 99999999999 busybox
--dns-search 'bad domain' busybox
--dns-option $'a\nnameserver 6.6.6.6' busybox
--device /dev/null:relative busybox
--device /dev/null:/dev/x:rwq busybox
--mount type=tmpfs,dst=/x,tmpfs-mode=999 busybox
--mount type=tmpfs,dst=/x,tmpfs-size=abc busybox
--mount type=bind,src=$D,dst=/x,bind-propagation=bogus busybox
--mount type=tmpfs,src=$D,dst=/x busybox
--mount type=volume,src=badvol,dst=/x,tmpfs-size=1m busybox
--mount type=bind,src=$D,dst=/x,bogus busybox
--mount type=bind,src=$N,dst=/x busybox
--pidfile $N/pid busybox
--security-opt seccomp=$D/notjson busybox
--detach-keys bogus busybox
-a bogus busybox
--name 'bad name' busybox
-e =x busybox
--pull bogus busybox
-p 99999:80 busybox
--expose 70000 busybox
--network no-such-network busybox
--volumes-from no-such-container busybox
--ip 10.1.2.3 busybox
--userns bogus busybox
--log-driver bogus busybox
-v $D:relative busybox
-v bad/name:/x busybox
-v $D:/x:bogus busybox
EOF
}

state() {
    skiff ps -a --format '{{.ID}} {{.Names}} {{.Status}}'
    skiff volume ls -q
    skiff network ls --format '{{.Name}}'
}

@test "every bad command line exits 125 with one Error line and creates nothing" {
    skiff network create keep-net >/dev/null
    skiff volume create keep-vol >/dev/null
    skiff create --name keep busybox true >/dev/null
    local before line failures=() tried=0 refused=0 entries=0
    before=$(state)
    while IFS= read -r line; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        entries=$((entries + 1))
        local -a words
        eval "words=($line)"
        for verb in create run; do
            tried=$((tried + 1))
            run skiff "$verb" "${words[@]}"
            local why=""
            if [ "$status" -ne 125 ]; then
                why="exit $status"
            elif [ "${#lines[@]}" -ne 1 ] || [[ "${lines[0]}" != Error:* ]]; then
                why="not one Error line"
            elif [ "$(state)" != "$before" ]; then
                why="left something behind"
                skiff rm -af >/dev/null 2>&1
            elif [ -e "$N" ]; then
                why="made $N"
                rm -rf "$N"
            fi
            if [ -n "$why" ]; then
                failures+=("$verb ${line:0:120}: $why: ${output:0:300}")
            else
                refused=$((refused + 1))
            fi
        done
    done < <(bad_lines)
    echo "# bad flags: $entries command lines, $tried inputs tried, $refused refused" >&3
    if [ "${#failures[@]}" -gt 0 ]; then
        printf '%s\n' "${failures[@]}" >&2
        return 1
    fi
    [ "$entries" -ge 40 ]
}

@test "what Docker accepts next to the refused values still works" {
    mkdir -p "$D/etc"
    echo 'hostonly:x:4242:4242::/:/bin/sh' >"$D/etc/passwd"
    # Each line must be accepted by create.
    while IFS= read -r line; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        local -a words
        eval "words=($line)"
        run skiff create "${words[@]}"
        if [ "$status" -ne 0 ]; then
            echo "refused: $line: $output" >&2
            return 1
        fi
    done <<'EOF'
--mount type=bind,src=$D,dst=/x,readonly=1 busybox
--mount type=bind,src=$D,dst=/x,ro busybox
--mount type=bind,src=$D,dst=/x,readonly=false,bind-propagation=rprivate busybox
--mount type=tmpfs,dst=/x,tmpfs-size=1m,tmpfs-mode=1777 busybox
--mount type=volume,dst=/x,volume-nocopy busybox
-v $D:/x:ro,z busybox
-v $D:/proc/cpuinfo:ro busybox
-v $D:/sys/x busybox
--tmpfs /x:size=1m,mode=1777,noexec,uid=1000 busybox
--tmpfs /x:size=50% busybox
--cpus 0 busybox
--cpus 0.5 busybox
--cpu-shares 512 busybox
--cpuset-cpus 0 busybox
--stop-signal RTMIN+3 busybox
--stop-signal sigusr1 busybox
--stop-signal 15 busybox
--add-host h=::1 --add-host 'g:[fd00::1]' --add-host gw:host-gateway busybox
--cap-add net_admin --cap-drop ALL busybox
-u nobody busybox
-u 1000:1000 busybox
--group-add 4242 busybox
-v $D/etc/passwd:/etc/passwd:ro -u hostonly busybox
--hostname box -w /app/ busybox
--dns 1.1.1.1 --dns fd00::53 --dns-search example.com --dns-option ndots:2 busybox
--sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=4096 busybox
--ulimit nofile=100:200 --ulimit core=-1 busybox
--restart on-failure:3 busybox
--stop-timeout -1 busybox
-m 10m --memory-swap 20m --shm-size 1.5m busybox
EOF
    # The runs need no network (other tests' bridges may hold the default subnet).
    # run's -h is the hostname (Docker), not the help.
    run skiff run --rm --network none -h box-h busybox hostname
    assert_status 0
    [ "$output" = box-h ]
    # Add-host forms land in /etc/hosts as HOST:IP did.
    run skiff run --rm --network none --add-host a.test=10.9.8.7 --add-host 'b.test:[::1]' busybox cat /etc/hosts
    assert_status 0
    assert_output_contains "10.9.8.7	a.test"
    assert_output_contains "::1	b.test"
    # A user of the image, and tmpfs options the kernel takes.
    run skiff run --rm --network none -u nobody --tmpfs /t:size=1m,mode=1777 busybox sh -c 'id -un; stat -c %a /t'
    assert_status 0
    [ "$output" = "$(printf 'nobody\n1777')" ]
}

#!/usr/bin/env bats
# run, create, start, stop, restart, kill, rm, exec, logs, ps, inspect,
# wait, rename, attach, top, port, container exists/prune, and the monitor.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox >/dev/null
}

@test "run prints the container's output and removes it with --rm" {
    run skiff run --rm busybox echo hello
    assert_status 0
    [ "$output" = "hello" ]
    run skiff ps -aq
    [ -z "$output" ]
}

@test "run exits with the container's code; 126 and 127 as Docker" {
    run skiff run --rm busybox sh -c 'exit 3'
    assert_status 3
    run -127 skiff run --rm busybox nosuchcmd
    assert_output_contains "nosuchcmd"
    run -126 skiff run --rm busybox /etc/passwd
    # --pull never: a test must not look up registry hosts in DNS.
    run skiff run --rm --pull never nosuchimage true
    assert_status 125
    assert_output_contains "image not known"
}

@test "image defaults and overrides: env, workdir, user, entrypoint, hostname" {
    run skiff run --rm -e A=1 -e B -w /tmp -u www busybox sh -c 'echo $A $(pwd) $(id -u):$(id -g)'
    [ "$output" = "1 /tmp 33:33" ]
    run skiff run --rm --entrypoint /bin/echo busybox hi
    [ "$output" = "hi" ]
    run skiff run --rm --hostname box busybox hostname
    [ "$output" = "box" ]
    run skiff run --rm busybox sh -c 'echo $PATH; echo $HOME'
    [ "${lines[0]}" = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
    [ "${lines[1]}" = "/root" ]
    printf 'X=from_file\n# comment\n' > "$BATS_TEST_TMPDIR/env"
    run skiff run --rm --env-file "$BATS_TEST_TMPDIR/env" busybox sh -c 'echo $X'
    [ "$output" = "from_file" ]
    run skiff run --rm -u nosuchuser busybox true
    assert_status 125
    assert_output_contains "nosuchuser"
}

@test "stdin with -i, and EOF ends it" {
    run bash -c "echo 'piped in' | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run --rm -i busybox cat"
    [ "$output" = "piped in" ]
}

@test "-t gives a real terminal" {
    command -v script >/dev/null || skip "script(1) not installed"
    run script -qec "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' run --rm -t busybox sh -c 'test -t 0 && test -t 1 && echo tty'" /dev/null
    assert_output_contains "tty"
}

@test "run -d, ps, logs, stop, rm" {
    run skiff run -d --name web busybox sh -c 'echo started; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done'
    assert_status 0
    [ ${#output} -eq 64 ]
    run skiff ps
    [[ "${lines[0]}" == "CONTAINER ID"*IMAGE*COMMAND*CREATED*STATUS*PORTS*NAMES ]]
    [[ "${lines[1]}" == *busybox*Up*web ]]
    sleep 0.3
    run skiff logs web
    [ "$output" = "started" ]
    run skiff stop web
    [ "$output" = "web" ]
    run skiff ps -a --format '{{.Names}} {{.State}} {{.Status}}'
    [[ "$output" == "web exited Exited (0)"* ]]
    run skiff logs web
    [ "${lines[1]}" = "bye" ]
    run skiff rm web
    [ "$output" = "web" ]
    run skiff ps -aq
    [ -z "$output" ]
}

@test "stop falls back to SIGKILL after -t" {
    skiff run -d --name stubborn busybox sh -c 'trap "" TERM; sleep 100'
    run skiff stop -t 1 stubborn
    run skiff inspect --format '{{.State.ExitCode}} {{.State.Running}}' stubborn
    [ "$output" = "137 false" ]
}

@test "--stop-signal and kill -s" {
    skiff run -d --name sig --stop-signal USR1 busybox sh -c 'trap "exit 42" USR1; while true; do sleep 0.1; done'
    skiff stop sig
    run skiff inspect --format '{{.State.ExitCode}}' sig
    [ "$output" = 42 ]
    skiff run -d --name k busybox sh -c 'trap "exit 7" HUP; while true; do sleep 0.1; done'
    skiff kill -s HUP k
    run skiff wait k
    [ "$output" = 7 ]
    run skiff kill k
    assert_status 125
    run skiff kill -s BOGUS k
    assert_status 125
}

@test "stop -s and restart --signal send the signal given, not the stop signal; a bad one touches nothing" {
    # Each trap names its signal; "ready" once they are set (PID 1 drops a
    # signal it has no handler for yet).
    skiff run -d --name ss --stop-signal USR1 busybox sh -c \
        'trap "echo got-USR1; exit 42" USR1; trap "echo got-USR2; exit 43" USR2; trap "echo got-HUP; exit 44" HUP
         echo ready; while true; do sleep 0.1; done' >/dev/null
    wait_log() { # COUNT: until "ready" is logged COUNT times
        for i in $(seq 1 50); do
            [ "$(skiff logs ss 2>&1 | grep -c ready)" -ge "$1" ] && return 0
            sleep 0.1
        done
        return 1
    }
    wait_log 1
    run skiff stop -s BOGUS ss
    assert_status 125
    assert_one_line_error
    run skiff inspect --format '{{.State.Running}}' ss
    [ "$output" = true ]
    run skiff stop -s USR2 ss
    assert_status 0
    run skiff inspect --format '{{.State.ExitCode}}' ss
    [ "$output" = 43 ]
    skiff start ss >/dev/null
    wait_log 2
    run skiff restart --signal SIGHUP -t 5 ss
    assert_status 0
    run skiff logs ss
    assert_output_contains "got-HUP"
    [[ "$output" != *got-USR1* ]]
    wait_log 3
    skiff stop --signal 12 ss >/dev/null
    run skiff inspect --format '{{.State.ExitCode}}' ss
    [ "$output" = 43 ]
    skiff rm -f ss >/dev/null
}

@test "rm refuses a running container; rm -f kills it, leaving no process" {
    skiff run -d --name busy busybox sleep 1000
    pid=$(skiff inspect --format '{{.State.Pid}}' busy)
    run skiff rm busy
    assert_status 125
    assert_output_contains "container is running"
    run skiff rm -f busy
    assert_status 0
    ! kill -0 "$pid" 2>/dev/null
    run skiff container exists busy
    assert_status 1
}

@test "create then start; start -a attaches" {
    run skiff create --name c1 busybox echo created-output
    assert_status 0
    run skiff ps -a --format '{{.Names}} {{.Status}}'
    [ "$output" = "c1 Created" ]
    run skiff start -a c1
    [ "$output" = "created-output" ]
    run skiff start c1
    [ "$output" = "c1" ]
    run skiff wait c1
    [ "$output" = 0 ]
}

@test "exec runs in the container: exit codes, env, user, workdir" {
    skiff run -d --name ex busybox sleep 1000
    run skiff exec ex cat /etc/hostname
    [ "$output" = "$(skiff inspect --format '{{.Config.Hostname}}' ex)" ]
    run skiff exec ex sh -c 'exit 5'
    assert_status 5
    run skiff exec -e FOO=bar -u www -w /tmp ex sh -c 'echo $FOO $(id -u) $(pwd)'
    [ "$output" = "bar 33 /tmp" ]
    run -127 skiff exec ex nosuchcmd
    run skiff exec ex ps -o pid,args
    assert_output_contains "sleep 1000"
    run bash -c "echo input | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' exec -i ex cat"
    [ "$output" = "input" ]
    skiff rm -f ex
    run skiff exec ex true
    assert_status 125
}

@test "logs: --tail, -t, --since, -f" {
    skiff run --name lg busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done; echo err >&2' >/dev/null 2>&1
    run skiff logs --tail 2 lg
    [ "${lines[0]}" = "line5" ]
    [ "${lines[1]}" = "err" ]
    run skiff logs -t lg
    [[ "${lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ line1$ ]]
    run skiff logs --since 2000-01-01T00:00:00Z lg
    [ "${#lines[@]}" -eq 6 ]
    run skiff logs --until 2000-01-01T00:00:00Z lg
    [ -z "$output" ]
    skiff run -d --name fl busybox sh -c 'echo one; sleep 1; echo two'
    run timeout 10 "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" logs -f fl
    [ "$output" = "$(printf 'one\ntwo')" ]
}

@test "json-file log driver and --log-driver none" {
    skiff run --name j --log-driver json-file busybox echo jj >/dev/null
    run skiff logs j
    [ "$output" = "jj" ]
    grep -q '"stream":"stdout"' "$(skiff inspect --format '{{.LogPath}}' j)"
    skiff run --name n --log-driver none busybox echo x >/dev/null
    run skiff logs n
    assert_status 125
    run skiff run --log-driver syslog busybox true
    assert_status 125
}

@test "ps: -a, -q, -l, -n, --no-trunc, filters, --format" {
    skiff create --name a1 --label app=x busybox true >/dev/null
    skiff run --name a2 busybox sh -c 'exit 2' || true
    skiff run -d --name a3 busybox sleep 1000 >/dev/null
    run skiff ps -q
    [ "${#lines[@]}" -eq 1 ]
    run skiff ps -aq
    [ "${#lines[@]}" -eq 3 ]
    run skiff ps -l --format '{{.Names}}'
    [ "$output" = "a3" ]
    run skiff ps -n 2 --format '{{.Names}}'
    [ "${#lines[@]}" -eq 2 ]
    run skiff ps -a --no-trunc -q
    [ ${#lines[0]} -eq 64 ]
    run skiff ps -a --filter status=exited --format '{{.Names}}'
    [ "$output" = "a2" ]
    run skiff ps -a --filter exited=2 --format '{{.Names}}'
    [ "$output" = "a2" ]
    run skiff ps -a --filter label=app=x --format '{{.Names}}'
    [ "$output" = "a1" ]
    run skiff ps -a --filter name=a3 --format '{{.Names}}'
    [ "$output" = "a3" ]
    run skiff ps -a --filter ancestor=busybox -q
    [ "${#lines[@]}" -eq 3 ]
    run skiff ps -a --filter since=a1 --format '{{.Names}}'
    [ "${#lines[@]}" -eq 2 ]
    skiff create --name a4 --network none -v psvol:/data busybox true >/dev/null
    run skiff ps -a --filter network=none --format '{{.Names}}'
    [ "$output" = a4 ]
    run skiff ps -a --filter volume=psvol --format '{{.Names}}'
    [ "$output" = a4 ]
    run skiff ps -a --filter volume=/data --format '{{.Names}}'
    [ "$output" = a4 ]
    # The default network: private rootless, Docker's bridge as root.
    run skiff ps -a --filter network="$(is_rootless && echo private || echo bridge)" --format '{{.Names}}'
    [ "${#lines[@]}" -eq 3 ]
    skiff rm a4 >/dev/null
    run skiff ps --format json
    echo "$output" | jq -e '.Names == "a3"'
    run skiff ps -a --filter bogus=1
    assert_status 125
    run skiff container ls -q
    [ "${#lines[@]}" -eq 1 ]
    skiff rm -f a3 >/dev/null
}

@test "inspect shows Docker's keys" {
    skiff run -d --name insp -l k=v busybox sleep 1000 >/dev/null
    run skiff inspect insp
    echo "$output" | jq -e '.[0].State.Status == "running" and .[0].State.Running == true and (.[0].State.Pid > 0)'
    echo "$output" | jq -e '.[0].Name == "/insp" and .[0].Config.Labels.k == "v"'
    # Rootless the default is a private network per container; as root Docker's bridge.
    echo "$output" | jq -e ".[0].HostConfig.NetworkMode == \"$(is_rootless && echo private || echo bridge)\""
    run skiff container inspect --format '{{.State.Status}}' insp
    [ "$output" = running ]
    run skiff inspect --type image --format '{{.Id}}' busybox
    [ "$output" = "sha256:$(busybox_id)" ]
    run skiff inspect nothing
    assert_status 125
    skiff rm -f insp >/dev/null
}

@test "names: unique, taken names refused, rename" {
    skiff create --name same busybox true >/dev/null
    run skiff create --name same busybox true
    assert_status 125
    assert_output_contains "already in use"
    run skiff create --name 'bad name' busybox true
    assert_status 125
    skiff rename same other
    run skiff ps -a --format '{{.Names}}'
    [ "$output" = "other" ]
    run skiff create busybox true
    run skiff ps -a --format '{{.Names}}'
    [[ "$output" == *_* ]]
}

@test "bind mounts, tmpfs, read-only root" {
    mkdir -p "$BATS_TEST_TMPDIR/data"
    echo hostfile > "$BATS_TEST_TMPDIR/data/f"
    run skiff run --rm -v "$BATS_TEST_TMPDIR/data:/data" busybox cat /data/f
    [ "$output" = "hostfile" ]
    run skiff run --rm -v "$BATS_TEST_TMPDIR/data:/data:ro" busybox sh -c 'echo x > /data/g'
    assert_status 1
    skiff run --rm -v "$BATS_TEST_TMPDIR/data:/data" busybox sh -c 'echo written > /data/new'
    [ "$(cat "$BATS_TEST_TMPDIR/data/new")" = "written" ]
    run skiff run --rm -v "$BATS_TEST_TMPDIR/created:/c" busybox true
    [ -d "$BATS_TEST_TMPDIR/created" ]
    run skiff run --rm --mount "type=bind,source=$BATS_TEST_TMPDIR/nope,target=/x" busybox true
    assert_status 125
    run skiff run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts'
    assert_output_contains "tmpfs"
    run skiff run --rm --read-only busybox touch /x
    assert_status 1
    # Named volumes: tests/system/volumes.bats.
    run skiff run --rm -v named:/x busybox true
    assert_status 0
}

@test "capabilities (Docker's default set less MKNOD and AUDIT_WRITE), no-new-privileges" {
    run skiff run --rm busybox grep CapEff /proc/self/status
    [ "$output" = "$(printf 'CapEff:\t00000000800425fb')" ]
    run skiff run --rm --cap-drop all busybox grep CapEff /proc/self/status
    [ "$output" = "$(printf 'CapEff:\t0000000000000000')" ]
    run skiff run --rm --cap-add NET_ADMIN busybox grep CapEff /proc/self/status
    [ "$output" = "$(printf 'CapEff:\t00000000800435fb')" ]
    run skiff run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
    [ "$output" = "$(printf 'NoNewPrivs:\t1')" ]
    run skiff run --rm --cap-add BOGUS busybox true
    assert_status 125
    run skiff run --rm --security-opt apparmor=x busybox true
    assert_status 125
}

@test "rootless, --ulimit above the user's hard limit names that limit" {
    is_rootless || skip "root raises any limit"
    [ "$(ulimit -Hl)" != unlimited ] || skip "this user's memlock hard limit is unlimited"
    run skiff run --rm --ulimit memlock=-1 busybox true
    assert_status 126
    assert_one_line_error
    assert_output_contains "RLIMIT_MEMLOCK (soft unlimited, hard unlimited): above this user's hard limit $(( $(ulimit -Hl) * 1024 ))"
    run skiff ps -aq
    [ -z "$output" ]
}

@test "ulimits, sysctls, shm-size, group-add, add-host, dns" {
    run skiff run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -n; ulimit -Hn'
    [ "$output" = "$(printf '100\n200')" ]
    run skiff run --rm --ulimit bogus=1 busybox true
    assert_status 125
    run skiff run --rm --sysctl kernel.msgmax=4096 busybox cat /proc/sys/kernel/msgmax
    [ "$output" = 4096 ]
    run skiff run --rm --shm-size 1m busybox sh -c 'df -k /dev/shm | tail -1'
    assert_output_contains " 1024 "
    run skiff run --rm --group-add wheel busybox id -G
    assert_output_contains "10"
    run skiff run --rm --add-host db:10.1.2.3 --dns 127.0.0.53 --dns-search example.com busybox sh -c 'grep db /etc/hosts; cat /etc/resolv.conf'
    assert_output_contains "10.1.2.3	db"
    assert_output_contains "nameserver 127.0.0.53"
    assert_output_contains "search example.com"
}

@test "restart policies: on-failure retries, always restarts, --rm conflicts" {
    skiff run -d --name rf --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
    for i in $(seq 50); do
        [ "$(skiff inspect --format '{{.State.Running}}' rf)" = false ] && [ "$(skiff inspect --format '{{.RestartCount}}' rf)" = 2 ] && break
        sleep 0.2
    done
    run skiff inspect --format '{{.RestartCount}} {{.State.ExitCode}}' rf
    [ "$output" = "2 1" ]
    run skiff run --rm --restart always busybox true
    assert_status 125
    run skiff run --restart sometimes busybox true
    assert_status 125
}

@test "cidfile and pidfile" {
    skiff run -d --cidfile "$BATS_TEST_TMPDIR/cid" --pidfile "$BATS_TEST_TMPDIR/pid" --name cf busybox sleep 1000 >/dev/null
    [ "$(cat "$BATS_TEST_TMPDIR/cid")" = "$(skiff inspect --format '{{.Id}}' cf)" ]
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(skiff inspect --format '{{.State.Pid}}' cf)" ]
    run skiff run --cidfile "$BATS_TEST_TMPDIR/cid" busybox true
    assert_status 125
    skiff rm -f cf >/dev/null
}

@test "top lists the container's processes; port is empty" {
    skiff run -d --name tp busybox sleep 1000 >/dev/null
    run skiff top tp
    assert_status 0
    assert_output_contains "sleep 1000"
    run skiff port tp
    assert_status 0
    [ -z "$output" ]
    skiff rm -f tp >/dev/null
}

@test "container prune removes stopped containers only" {
    skiff run --name done1 busybox true
    skiff run -d --name live busybox sleep 1000 >/dev/null
    run skiff container prune -f
    assert_output_contains "Deleted Containers:"
    run skiff ps -a --format '{{.Names}}'
    [ "$output" = "live" ]
    skiff rm -f live >/dev/null
}

@test "unsupported options are errors, never ignored" {
    for args in "-p 70000:80" "--network nosuchnet" "--userns nomap" "--ipc container:x"; do
        run skiff run --rm $args busybox true
        assert_status 125
    done
}

@test "a killed monitor: the container shows exited, not running forever" {
    skiff run -d --name orphan busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' orphan)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    kill -9 "$mon"
    sleep 0.2
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "orphan exited" ]
    ! kill -0 "$pid" 2>/dev/null
    run skiff rm orphan
    assert_status 0
}

@test "kill -9 of the monitor kills the container with it, recorded as 137 with a reason" {
    skiff run -d --name orphan busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' orphan)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    kill -9 "$mon"
    # No skiff command runs meanwhile: the container must die on its own.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$pid" 2>/dev/null
    run -0 skiff inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' orphan
    [[ "$output" == "exited 137 its monitor (pid $mon) was killed"* ]]
    # A new start clears the reason.
    skiff start orphan >/dev/null
    run -0 skiff inspect --format '{{.State.Error}}' orphan
    [ -z "$output" ]
    skiff rm -f orphan >/dev/null
}

@test "a recorded pid that another process reuses is neither trusted nor killed" {
    is_rootless && skip "needs root to choose the next pid (ns_last_pid)"
    [ -w /proc/sys/kernel/ns_last_pid ] || skip "no ns_last_pid here"
    skiff run -d --name victim busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' victim)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    # A pid is reused by a process that starts later: more than skiff's
    # one-second slack later.
    sleep 1.5
    kill -9 "$mon"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    # Two unrelated processes take the monitor's and the container's pids.
    echo $((mon - 1)) > /proc/sys/kernel/ns_last_pid
    sleep 1000 3>&- & m2=$!
    echo $((pid - 1)) > /proc/sys/kernel/ns_last_pid
    sleep 1000 3>&- & p2=$!
    if [ "$m2" != "$mon" ] || [ "$p2" != "$pid" ]; then
        kill "$m2" "$p2"
        skip "another process took the pid first"
    fi
    run -0 skiff ps -a --format '{{.Names}} {{.State}}'
    alive=0
    kill -0 "$m2" && kill -0 "$p2" && alive=1
    kill "$m2" "$p2" 2>/dev/null || true
    [ "$output" = "victim exited" ]
    [ "$alive" = 1 ]
}

@test "rm -f of --rm containers removes each of them, no crash" {
    for n in rma rmb rmc; do skiff run -d --rm --name $n busybox sleep 1000 >/dev/null; done
    run -0 skiff rm -f rma rmb rmc
    [ "$output" = "$(printf 'rma\nrmb\nrmc')" ]
    run -0 skiff ps -aq
    [ -z "$output" ]
    # Nothing left in the store's container directories (locks included).
    [ -z "$(ls -A "$SKIFF_ROOT/containers" 2>/dev/null)" ]
    [ -z "$(ls -A "$SKIFF_RUNROOT/containers" 2>/dev/null)" ]
}

@test "logs -f of a --rm container ends when it is removed" {
    skiff run -d --rm --name lf busybox sh -c 'echo one; sleep 0.5; echo two' >/dev/null
    run -0 timeout 20 "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" logs -f lf
    assert_output_contains one
    [[ "$output" != *"internal error"* ]]
}

@test "attach to a running container and detach with the keys" {
    command -v script >/dev/null || skip "script(1) not installed"
    skiff run -d -it --name at busybox sh >/dev/null
    run timeout 10 script -qec "printf 'echo attached-ok\n'; sleep 1; printf '\020\021'" /dev/null
    run timeout 10 script -qec "(sleep 0.5; printf 'echo attached-ok\r'; sleep 0.5; printf '\020\021') | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' attach at" /dev/null
    assert_output_contains "attached-ok"
    run skiff inspect --format '{{.State.Running}}' at
    [ "$output" = true ]
    skiff rm -f at >/dev/null
}

@test "50 run -d and 50 rm -f at once: nothing lost, names unique" {
    pids=()
    for i in $(seq 50); do skiff run -d busybox sleep 1000 >/dev/null & pids+=($!); done
    wait "${pids[@]}"
    run skiff ps -q
    [ "${#lines[@]}" -eq 50 ]
    run skiff ps --format '{{.Names}}'
    [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 50 ]
    pids=()
    for id in $(skiff ps -q); do skiff rm -f "$id" >/dev/null & pids+=($!); done
    wait "${pids[@]}"
    run skiff ps -aq
    [ -z "$output" ]
    [ -z "$(ls -A "$SKIFF_ROOT/containers")" ]
}

@test "--init runs a reaping, signal-forwarding init as PID 1" {
    run skiff run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
    assert_status 0
    [[ "${lines[0]}" == "/dev/init -- sh -c"* ]]
    [ "${lines[1]}" != 1 ]
    run skiff run --rm --init busybox sh -c 'exit 4'
    assert_status 4
    skiff run -d --init --name in busybox sh -c 'trap "exit 9" TERM; while true; do sleep 0.1; done' >/dev/null
    skiff stop in >/dev/null
    run skiff inspect --format '{{.State.ExitCode}}' in
    [ "$output" = 9 ]
}

@test "--device adds a host device under another name" {
    run skiff run --rm --device /dev/zero:/dev/myzero busybox sh -c 'head -c 3 /dev/myzero | wc -c'
    assert_status 0
    [ "$output" = 3 ]
    run skiff run --rm --device /nonexistent busybox true
    assert_status 125
    assert_output_contains "error gathering device information"
}

@test "--device: refused at create when missing, relative or no device; a directory adds its nodes; CDI and --gpus say not yet" {
    touch "$BATS_TEST_TMPDIR/plain"
    for d in "$BATS_TEST_TMPDIR/plain" dev/null /nonexistent nvidia.com/gpu=all; do
        run skiff create --device "$d" busybox true
        assert_status 125
        assert_one_line_error
    done
    run skiff create --device nvidia.com/gpu=all busybox true
    assert_output_contains "CDI devices are not supported yet"
    run skiff run --rm --gpus all busybox true
    assert_status 125
    assert_one_line_error
    assert_output_contains "GPUs are not supported yet"
    run skiff ps -aq
    [ -z "$output" ]
    # Docker's --device /dev/snd: each node under the directory, at its place
    # under the destination.
    mkdir -p "$BATS_TEST_TMPDIR/devs/sub"
    if ! is_rootless; then
        mknod "$BATS_TEST_TMPDIR/devs/zero" c 1 5
        mknod "$BATS_TEST_TMPDIR/devs/sub/null" c 1 3
        run skiff run --rm --device "$BATS_TEST_TMPDIR/devs:/dev/mine" busybox sh -c \
            'head -c 2 /dev/mine/zero | wc -c; echo x > /dev/mine/sub/null && echo written'
        assert_status 0
        [ "${lines[0]}" = 2 ]
        [ "${lines[1]}" = written ]
    fi
}

@test "run --rm: a container whose start fails is removed, and the error is one line" {
    # A directory with no device nodes passes create and fails in the monitor.
    mkdir -p "$BATS_TEST_TMPDIR/empty"
    run skiff run --rm --device "$BATS_TEST_TMPDIR/empty" busybox true
    assert_status 125
    assert_one_line_error
    assert_output_contains "no device nodes in the directory"
    [[ "$output" != *"Error: "*"Error: "* ]]
    run skiff ps -aq
    [ -z "$output" ]
    # A start that fails before there is a monitor: the command removes it.
    run "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" --runtime /nonexistent/runtime \
        run --rm -v /data busybox true
    assert_status 126
    assert_one_line_error
    run skiff ps -aq
    [ -z "$output" ]
    run skiff volume ls -q
    [ -z "$output" ]
    # Without --rm the created container stays, as with Docker.
    run skiff run --name kept --device "$BATS_TEST_TMPDIR/empty" busybox true
    assert_status 125
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "kept created" ]
}

@test "restart stops and starts again" {
    skiff run -d --name rs busybox sh -c 'trap "exit 0" TERM; while true; do sleep 0.1; done' >/dev/null
    pid1=$(skiff inspect --format '{{.State.Pid}}' rs)
    run skiff restart -t 2 rs
    assert_status 0
    [ "$output" = rs ]
    run skiff inspect --format '{{.State.Running}} {{.State.Pid}}' rs
    [[ "$output" == true* ]]
    [ "${output#true }" != "$pid1" ]
    skiff rm -f rs >/dev/null
}

@test "cgroups: a container sees only its own cgroup, never another container's or the host's tree" {
    a=$(skiff run -d busybox sleep 1000)
    # Everything below /sys/fs/cgroup, as the second container sees it.
    run -0 skiff run --rm busybox find /sys/fs/cgroup
    if [[ "$output" == *"$a"* ]]; then
        echo "the second container sees the first one's cgroup:" >&2
        grep "$a" <<<"$output" | head -3 >&2
        return 1
    fi
    # Only the top of each hierarchy (its own cgroup, which has no
    # children): no cgroup directory below it, nothing of the host's tree.
    local deep
    deep=$(grep -E '^/sys/fs/cgroup/[^/]+/[^/]+/cgroup\.procs$' <<<"$output" || true)
    [ -z "$deep" ] || { echo "cgroups below the container's own: $deep" >&2; return 1; }
    if ! is_rootless; then
        # Its own cgroup is there, and holds its own processes (pid 1).
        run -0 skiff run --rm busybox sh -c 'cat /sys/fs/cgroup/pids/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/cgroup.procs'
        [[ $'\n'"$output"$'\n' == *$'\n1\n'* ]]
    fi
    skiff rm -f "$a" >/dev/null
}

@test "seccomp: the default profile blocks io_uring, as Docker's and Podman's do" {
    local probe=$BATS_TEST_TMPDIR/probe
    mkdir -p "$probe"
    ${CC:-cc} -static -O2 -o "$probe/io_uring_probe" "$BATS_TEST_DIRNAME/lib/io_uring_probe.c" 2>/dev/null ||
        skip "no static C toolchain (cc -static) to build the probe"
    chmod -R a+rX "$probe"
    run skiff run --rm -v "$probe:/probe:ro" busybox /probe/io_uring_probe
    assert_status 1
    [[ "$output" == "io_uring_setup: Operation not permitted" || "$output" == "io_uring_setup: Function not implemented" ]]
    # The probe is sound: unconfined in the container, it gets what it
    # gets on the host (io_uring may be off here for this user).
    run "$probe/io_uring_probe"
    local host=$output
    run skiff run --rm --security-opt seccomp=unconfined -v "$probe:/probe:ro" busybox /probe/io_uring_probe
    [ "$output" = "$host" ]
}

@test "seccomp: the default profile follows --cap-add, as Docker's does" {
    # mount(2) is allowed by the profile with CAP_SYS_ADMIN only
    run -0 skiff run --rm --cap-add SYS_ADMIN busybox sh -c 'mkdir /tmp/m && mount -t tmpfs t /tmp/m && echo mounted'
    [ "$output" = mounted ]
}

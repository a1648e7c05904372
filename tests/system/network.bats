#!/usr/bin/env bats
# Networking: the private network (pasta, slirp4netns), /etc/hosts and
# resolv.conf, published ports, port, ps PORTS, helper cleanup.
# Traffic stays on 127.0.0.0/8 and inside the containers' namespaces;
# containers get --dns pointing at their own loopback. As root the default
# network is the built-in bridge (network_bridge.bats); the helper tests
# ask for pasta there.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox >/dev/null
}

# The helper processes this test's store started (their command lines name its run dir).
helper_pids() {
    pgrep -f -- "--pid $SKIFF_RUNROOT/" || true
}

# The private network with a helper: the default rootless, pasta as root.
with_helper() {
    is_rootless || echo "--network pasta"
}

@test "the default network: an interface, host names and a gateway to the host" {
    run skiff run --rm --dns 127.0.0.9 --name netdef busybox sh -c 'ip -o -4 addr show; ip route; cat /etc/hosts'
    assert_status 0
    assert_output_contains "eth0"
    assert_output_contains "default via"
    assert_output_contains "host.containers.internal host.docker.internal"
    assert_output_contains " netdef"
    skiff create --name c1 busybox true >/dev/null
    run skiff inspect --format '{{.HostConfig.NetworkMode}}' c1
    if is_rootless; then [ "$output" = private ]; else [ "$output" = bridge ]; fi
    run skiff run --rm --dns 127.0.0.9 --network bridge busybox ip -o link show eth0
    assert_status 0
    run skiff run --rm --dns 127.0.0.9 $(with_helper) busybox ip -o link show eth0
    assert_status 0
}

@test "--network none has only loopback; host uses the host's interfaces" {
    run skiff run --rm --network none busybox ip -o link
    assert_status 0
    [[ "$output" != *eth0* ]]
    run skiff run --rm --network none busybox cat /etc/hosts
    [[ "$output" != *host.containers.internal* ]]
}

@test "resolv.conf and hosts follow --dns, --dns-search, --dns-option, --add-host, --hostname" {
    run skiff run --rm --dns 127.0.0.9 --dns 127.0.0.10 --dns-search a.test --dns-option ndots:3 \
        --add-host db.test:10.9.8.7 --add-host gw.test:host-gateway --hostname box1 busybox \
        sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname'
    assert_status 0
    assert_output_contains "nameserver 127.0.0.9
nameserver 127.0.0.10"
    assert_output_contains "search a.test"
    assert_output_contains "options ndots:3"
    assert_output_contains "10.9.8.7	db.test"
    gw=$(echo "$output" | awk '/host.containers.internal/ {print $1}')
    [ -n "$gw" ]
    assert_output_contains "$gw	gw.test"
    assert_output_contains "	box1 "
    [ "${lines[-1]}" = box1 ]
    run skiff run --rm --add-host bad busybox true
    assert_status 125
    assert_output_contains "invalid --add-host"
}

@test "with a helper, host.containers.internal reaches a server on the host's loopback" {
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/www"
    echo host-side > "$BATS_TEST_TMPDIR/www/index.html"
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 &
    srv=$!
    wait_http "http://127.0.0.1:$port/" >/dev/null
    run skiff run --rm --dns 127.0.0.9 $(with_helper) busybox wget -q -O - "http://host.containers.internal:$port/"
    kill "$srv"
    assert_status 0
    [ "$output" = host-side ]
}

@test "a published TCP port on 127.0.0.1 serves HTTP from the container" {
    port=$(free_port)
    skiff run -d --name web --dns 127.0.0.9 -p "127.0.0.1:$port:80" busybox \
        sh -c 'mkdir /w && echo from-container > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    run wait_http "http://127.0.0.1:$port/"
    assert_status 0
    [ "$output" = from-container ]
    run skiff port web
    [ "$output" = "80/tcp -> 127.0.0.1:$port" ]
    run skiff port web 80/tcp
    [ "$output" = "127.0.0.1:$port" ]
    run skiff port web 81
    assert_status 125
    assert_output_contains "no public port '81' published for web"
    run skiff ps --format '{{.Ports}}'
    [ "$output" = "127.0.0.1:$port->80/tcp" ]
    run skiff inspect --format '{{json .NetworkSettings.Ports}}' web
    [ "$output" = "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$port\"}]}" ]
    run skiff inspect --format '{{json .HostConfig.PortBindings}}' web
    [ "$output" = "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$port\"}]}" ]
    skiff rm -f web >/dev/null
}

@test "a published UDP port delivers datagrams to the container" {
    port=$(free_port)
    # busybox has no UDP server: the host's python, run from the host's
    # root bound read-only into the container's namespace.
    skiff run -d --name udp -v /:/host:ro -p "127.0.0.1:$port:5353/udp" busybox chroot /host /usr/bin/python3 -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
print("ready", flush=True)
while True:
    print("got", s.recvfrom(100)[0].decode(), flush=True)' >/dev/null
    for i in $(seq 1 50); do
        skiff logs udp | grep -q ready && break
        sleep 0.1
    done
    for i in $(seq 1 20); do
        python3 -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'dgram-$i', ('127.0.0.1', $port))"
        skiff logs udp | grep -q "got dgram" && break
        sleep 0.1
    done
    run skiff logs udp
    assert_output_contains "got dgram-"
    run skiff port udp
    [ "$output" = "5353/udp -> 127.0.0.1:$port" ]
    skiff rm -f udp >/dev/null
}

@test "-P publishes exposed ports on free host ports; ranges; a container port alone" {
    skiff run -d --name pa -P --expose 80 --expose 7000-7001/udp -p 127.0.0.1::8080 --dns 127.0.0.9 busybox \
        sh -c 'mkdir /w && echo published-all > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    run skiff port pa 80
    assert_status 0
    hp=${output##*:}
    [ "$hp" -gt 0 ]
    run wait_http "http://127.0.0.1:$hp/"
    [ "$output" = published-all ]
    run skiff port pa
    [ "${#lines[@]}" -eq 4 ]
    assert_output_contains "7000/udp -> 0.0.0.0:"
    assert_output_contains "8080/tcp -> 127.0.0.1:"
    skiff rm -f pa >/dev/null
    p1=$(free_port)
    p2=$((p1 + 1))
    python3 -c "import socket; socket.socket().bind(('127.0.0.1', $p2))" 2>/dev/null || skip "port $p2 is busy"
    skiff run -d --name rng -p "127.0.0.1:$p1-$p2:80-81" busybox sleep 100 >/dev/null
    run skiff ps --format '{{.Ports}}'
    [ "$output" = "127.0.0.1:$p1-$p2->80-81/tcp" ]
    skiff rm -f rng >/dev/null
}

@test "a host port in use is a clear error at run" {
    port=$(free_port)
    python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(); time.sleep(30)" &
holder=$!
    for i in $(seq 1 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break
        sleep 0.1
    done
    run skiff run --rm -p "127.0.0.1:$port:80" busybox true
    kill "$holder"
    [ "$status" -ne 0 ]
    assert_output_contains "127.0.0.1:$port/tcp is already in use"
    [ -z "$(helper_pids)" ]
}

@test "rootless, a port below ip_unprivileged_port_start is refused with the sysctl that allows it" {
    is_rootless || skip "root binds any port"
    [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ] || skip "port 80 is unprivileged on this host"
    run skiff run --rm -p 80:80 busybox true
    assert_status 126
    assert_one_line_error
    assert_output_contains "Permission denied"
    assert_output_contains "net.ipv4.ip_unprivileged_port_start=80"
    run skiff ps -aq
    [ -z "$output" ]
}

@test "bad -p, --expose and --network values are errors" {
    run skiff run --rm -p 70000:80 busybox true
    assert_status 125
    assert_output_contains "invalid port \"70000\""
    run skiff run --rm -p 8000-8001:80 busybox true
    assert_status 125
    assert_output_contains "ranges differ in size"
    run skiff run --rm -p 80/sctp busybox true
    assert_status 125
    run skiff run --rm --expose 80/icmp busybox true
    assert_status 125
    run skiff run --rm --network host -p 8080:80 busybox true
    assert_status 125
    assert_output_contains "cannot publish ports with --network host"
    run skiff run --rm --network none -p 8080:80 busybox true
    assert_status 125
    run skiff run --rm --network nosuchnet busybox true
    assert_status 125
    assert_output_contains "network nosuchnet not found"
    run skiff run --rm --network container:nosuchctr busybox true
    assert_status 125
    assert_output_contains "nosuchctr"
    run skiff run --rm --network pasta:-T,none busybox true
    assert_status 125
    run skiff run --rm --network private --network none busybox true
    assert_status 125
    assert_output_contains "cannot be combined"
    for args in "--ip 10.89.0.5" "--mac-address 92:d0:c6:0a:29:33" "--network-alias web"; do
        run skiff run --rm $args busybox true
        assert_status 125
        assert_output_contains "needs a user-defined network"
    done
}

@test "no helper is left after rm -f" {
    skiff run -d --name h1 $(with_helper) -p "127.0.0.1:$(free_port):80" busybox sleep 1000 >/dev/null
    [ -n "$(helper_pids)" ]
    skiff rm -f h1 >/dev/null
    [ -z "$(helper_pids)" ]
    skiff run --rm $(with_helper) busybox true
    [ -z "$(helper_pids)" ]
}

@test "no helper is left after kill -9 of the monitor" {
    skiff run -d --name orphan $(with_helper) busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' orphan)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    [ -n "$(helper_pids)" ]
    kill -9 "$mon"
    sleep 0.2
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "orphan exited" ]
    [ -z "$(helper_pids)" ]
    skiff rm orphan >/dev/null
}

@test "a stopped container restarts with its network" {
    port=$(free_port)
    skiff run -d --name rs --dns 127.0.0.9 $(with_helper) -p "127.0.0.1:$port:80" busybox \
        sh -c 'mkdir -p /w && echo again > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    skiff stop -t 0 rs >/dev/null
    [ -z "$(helper_pids)" ]
    run skiff port rs
    [ -z "$output" ]
    skiff start rs >/dev/null
    run wait_http "http://127.0.0.1:$port/"
    [ "$output" = again ]
    skiff rm -f rs >/dev/null
}

@test "slirp4netns as the helper: an interface and a published port" {
    command -v slirp4netns >/dev/null || skip "slirp4netns not installed"
    run skiff run --rm --network slirp4netns --dns 127.0.0.9 busybox sh -c 'ip -o -4 addr show; cat /etc/hosts'
    assert_status 0
    assert_output_contains "10.0.2.100"
    assert_output_contains "10.0.2.2	host.containers.internal"
    port=$(free_port)
    skiff run -d --name sl --network slirp4netns -p "127.0.0.1:$port:80" busybox \
        sh -c 'mkdir /w && echo via-slirp > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    run wait_http "http://127.0.0.1:$port/"
    [ "$output" = via-slirp ]
    skiff rm -f sl >/dev/null
    [ -z "$(helper_pids)" ]
}

@test "--network container:NAME shares another container's network" {
    port=$(free_port)
    skiff run -d --name srv -p "127.0.0.1:$port:80" --dns 127.0.0.9 busybox \
        sh -c 'mkdir /w && echo shared-net > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    run skiff run --rm --network container:srv busybox wget -q -O - http://127.0.0.1:80/
    assert_status 0
    [ "$output" = shared-net ]
    run skiff run --rm --network container:srv -p 8080:80 busybox true
    assert_status 125
    skiff create --name dep --network container:srv busybox true >/dev/null
    run skiff rm -f srv
    [ "$status" -ne 0 ]
    assert_output_contains "dependent containers"
    skiff rm dep >/dev/null
    skiff rm -f srv >/dev/null
}

@test "ns:PATH joins a namespace the test made" {
    is_rootless && skip "binding a network namespace file needs root"
    command -v ip >/dev/null || skip "ip not installed"
    name="skiff-test-$$"
    ip netns add "$name"
    ip -n "$name" link add vtest7 type veth peer name vtest8 || { ip netns del "$name"; false; }
    run skiff run --rm --network "ns:/run/netns/$name" busybox ip -o link
    ip netns del "$name"
    assert_status 0
    assert_output_contains "vtest7"
}

@test "network create, ls, inspect, exists, rm, prune" {
    run skiff network create appnet
    assert_status 0
    [ "$output" = appnet ]
    run skiff network create --subnet 10.90.0.0/24 --gateway 10.90.0.254 --ip-range 10.90.0.128/25 \
        --label team=a --internal net2
    assert_status 0
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{.Internal}} {{.Labels.team}} {{.Driver}}' net2
    [ "$output" = "10.90.0.0/24 10.90.0.254 10.90.0.128/25 true a bridge" ]
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' appnet
    [ "$output" = "10.89.0.0/24 10.89.0.1" ]
    skiff network create next >/dev/null
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' next
    [ "$output" = "10.89.1.0/24" ]
    run skiff network ls --format '{{.Name}} {{.Driver}}'
    if is_rootless; then
        [ "$output" = "appnet bridge
net2 bridge
next bridge" ]
    else
        [ "$output" = "appnet bridge
bridge bridge
net2 bridge
next bridge" ]
    fi
    run skiff network ls -q --filter label=team=a
    [ "${#output}" -eq 12 ]
    run skiff network ls --filter name=app --format '{{.Name}}'
    [ "$output" = appnet ]
    skiff network exists appnet
    run skiff network exists nosuch
    assert_status 1
    run skiff network create appnet
    assert_status 125
    assert_output_contains "already exists"
    skiff network create --ignore appnet >/dev/null
    run skiff network rm appnet nosuch
    assert_status 1
    assert_output_contains "network not found"
    run skiff network prune -f
    assert_output_contains "net2"
    run skiff network ls --format '{{.Name}}'
    if is_rootless; then [ -z "$output" ]; else [ "$output" = bridge ]; fi
}

@test "network create errors" {
    run skiff network create --subnet 10.89.0.5/24 bad
    assert_status 125
    assert_output_contains "host bits are set"
    skiff network create --subnet 10.91.0.0/16 wide >/dev/null
    run skiff network create --subnet 10.91.3.0/24 overlap
    assert_status 125
    assert_output_contains "already used by network wide"
    run skiff network create --subnet 10.92.0.0/24 --gateway 10.93.0.1 gw
    assert_status 125
    run skiff network create bridge
    assert_status 125
    assert_output_contains "reserved"
    run skiff network create -d macvlan mv
    assert_status 125
    run skiff network create --ipv6 --subnet fd00:5e:ff::1/64 v6
    assert_status 125
    assert_output_contains "host bits are set"
    run skiff network connect wide somectr
    assert_status 125
    assert_output_contains "no such container"
}

#!/usr/bin/env bats
# User-defined networks: containers joined to bridges, names through skiff's
# DNS responder, published ports through the network daemon, isolation,
# connect/disconnect and cleanup. Traffic stays on 127.0.0.0/8 and inside
# the namespaces the tests made; every container gets --dns 127.0.0.9
# (nothing listens there) so no query leaves the machine.

load helpers
load network_helpers
bats_require_minimum_version 1.5.0

@test "two containers on a network reach each other by name and alias (the seeds' my-net example)" {
    skiff network create -d bridge my-net >/dev/null
    web busybox2 my-net --network-alias www
    run skiff run --rm --network my-net --dns 127.0.0.9 --name busybox1 busybox sh -c '
        ip -o -4 addr show eth0; cat /etc/resolv.conf
        for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://busybox2/ && break; sleep 0.2; done
        wget -q -O - http://www/; wget -q -O - http://www.dns.podman/; ping -c 1 -W 2 busybox2'
    assert_status 0
    assert_output_contains "inet 10.89.0."
    assert_output_contains "nameserver 10.89.0.1"
    assert_output_contains "search dns.podman"
    assert_output_contains "from-busybox2"
    assert_output_contains "1 packets received"
    skiff rm -f busybox2 >/dev/null
}

@test "a login PATH without /usr/sbin (a Debian user's) still finds nft for a user network" {
    skiff network create sbinless >/dev/null
    PATH=/usr/local/bin:/usr/bin:/bin run skiff run --rm --network sbinless --dns 127.0.0.9 busybox true
    assert_status 0
}

@test "the responder: NXDOMAIN for unknown names, the container's short ID, case-insensitive" {
    skiff network create dnsnet >/dev/null
    id=$(skiff run -d --name Target --network dnsnet --dns 127.0.0.9 busybox sleep 1000)
    run skiff run --rm --network dnsnet --dns 127.0.0.9 busybox nslookup nosuchname 10.89.0.1
    assert_output_contains "NXDOMAIN"
    run skiff run --rm --network dnsnet --dns 127.0.0.9 busybox nslookup target 10.89.0.1
    assert_status 0
    assert_output_contains "Address: 10.89.0.2"
    run skiff run --rm --network dnsnet --dns 127.0.0.9 busybox nslookup "${id:0:12}" 10.89.0.1
    assert_status 0
    assert_output_contains "Address: 10.89.0.2"
    skiff rm -f Target >/dev/null
}

@test "--ip, --mac-address and several networks (eth0, eth1)" {
    skiff network create --subnet 10.91.7.0/24 neta >/dev/null
    skiff network create --subnet 10.91.8.0/24 --gateway 10.91.8.254 netb >/dev/null
    run skiff run --rm --network neta --network netb --ip 10.91.7.77 --mac-address 02:aa:bb:cc:dd:ee \
        --dns 127.0.0.9 busybox sh -c 'ip -o -4 addr; ip -o link show eth0; ip route; cat /etc/resolv.conf'
    assert_status 0
    assert_output_contains "eth0    inet 10.91.7.77/24"
    assert_output_contains "eth1    inet 10.91.8.1/24"
    assert_output_contains "02:aa:bb:cc:dd:ee"
    assert_output_contains "default via 10.91.7.1 dev eth0"
    assert_output_contains "nameserver 10.91.8.254"
    # Docker's advanced syntax and Podman's name:options form.
    run skiff run --rm --network name=neta,ip=10.91.7.80 --dns 127.0.0.9 busybox ip -o -4 addr show eth0
    assert_output_contains "10.91.7.80/24"
    run skiff run --rm --network neta:ip=10.91.7.81 --dns 127.0.0.9 busybox ip -o -4 addr show eth0
    assert_output_contains "10.91.7.81/24"
}

@test "bad --ip, --mac-address and --network values are clear errors" {
    skiff network create --subnet 10.91.9.0/24 --ip-range 10.91.9.128/30 small >/dev/null
    run -125 skiff run --rm --network small --ip 10.92.0.5 busybox true
    assert_output_contains "is not a host address of network small"
    run -125 skiff run --rm --network small --ip 10.91.9.1 busybox true
    assert_output_contains "is the gateway of network small"
    run -125 skiff run --rm --network small --mac-address 01:00:5e:00:00:01 busybox true
    assert_output_contains "invalid --mac-address"
    run -125 skiff run --rm --network nosuchnet busybox true
    assert_output_contains "network nosuchnet not found"
    run -125 skiff run --rm --network small --network none busybox true
    assert_output_contains "cannot be combined"
    run -125 skiff run --rm --ip 10.0.0.2 busybox true
    assert_output_contains "--ip needs a user-defined network"
    run -125 skiff run --rm --network small:bogus=1 busybox true
    assert_output_contains 'unsupported option "bogus"'
    skiff create --name a1 --network small --ip 10.91.9.130 busybox true >/dev/null
    run -125 skiff create --network small --ip 10.91.9.130 busybox true
    assert_output_contains "already in use on network small"
    # The range is .128 to .131 and .130 is taken: .128, .129, .131, then none.
    skiff create --name a2 --network small busybox true >/dev/null
    run skiff inspect --format '{{.NetworkSettings.Networks.small.IPAddress}}' a2
    [ "$output" = 10.91.9.128 ]
    skiff create --network small busybox true >/dev/null
    skiff create --name a4 --network small busybox true >/dev/null
    run skiff inspect --format '{{.NetworkSettings.Networks.small.IPAddress}}' a4
    [ "$output" = 10.91.9.131 ]
    run -125 skiff create --network small busybox true
    assert_output_contains "no free address left"
}

@test "a published TCP port on a user network serves HTTP; inspect, port and ps show it" {
    skiff network create pubnet >/dev/null
    port=$(free_port)
    web pweb pubnet -p "127.0.0.1:$port:80"
    run wait_http "http://127.0.0.1:$port/"
    assert_status 0
    [ "$output" = from-pweb ]
    run skiff port pweb
    [ "$output" = "80/tcp -> 127.0.0.1:$port" ]
    run skiff ps --format '{{.Ports}}'
    [ "$output" = "127.0.0.1:$port->80/tcp" ]
    run skiff inspect --format '{{.NetworkSettings.Networks.pubnet.IPAddress}} {{.HostConfig.NetworkMode}}' pweb
    [ "$output" = "10.89.0.2 pubnet" ]
    run skiff network inspect --format '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' pubnet
    [ "$output" = "pweb 10.89.0.2/24" ]
    # A second container cannot take the same host port.
    run skiff run -d --network pubnet -p "127.0.0.1:$port:80" busybox sleep 100
    [ "$status" -ne 0 ]
    assert_output_contains "127.0.0.1:$port/tcp is already in use"
    skiff rm -f pweb >/dev/null
}

@test "a published UDP port on a user network delivers datagrams" {
    skiff network create udpnet >/dev/null
    port=$(free_port)
    skiff run -d --name udp --network udpnet --dns 127.0.0.9 -v /:/host:ro -p "127.0.0.1:$port:5353/udp" busybox \
        chroot /host /usr/bin/python3 -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(100)
    print("got", data.decode(), flush=True)
    s.sendto(b"pong-" + data, addr)' >/dev/null
    wait_ready_log udp
    run python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for i in range(10):
    s.sendto(b'dgram', ('127.0.0.1', $port))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass"
    assert_output_contains "pong-dgram"
    skiff rm -f udp >/dev/null
}

@test "-P publishes the image's exposed ports on a user network" {
    skiff network create pnet >/dev/null
    skiff run -d --name pall --network pnet --dns 127.0.0.9 --expose 80 -P busybox \
        sh -c 'mkdir /w && echo all > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    hp=$(skiff port pall 80/tcp | sed 's/.*://')
    [ -n "$hp" ]
    run wait_http "http://127.0.0.1:$hp/"
    [ "$output" = all ]
    skiff rm -f pall >/dev/null
}

@test "two networks are isolated from each other" {
    skiff network create isoa >/dev/null
    skiff network create isob >/dev/null
    web ia isoa
    ip=$(skiff inspect --format '{{.NetworkSettings.Networks.isoa.IPAddress}}' ia)
    run skiff run --rm --network isoa --dns 127.0.0.9 busybox sh -c \
        "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O - http://$ip/ && exit 0; sleep 0.2; done; exit 1"
    assert_status 0
    run skiff run --rm --network isob --dns 127.0.0.9 busybox sh -c "timeout 2 wget -q -O - http://$ip/"
    [ "$status" -ne 0 ]
    run skiff run --rm --network isob --dns 127.0.0.9 busybox nslookup ia
    assert_output_contains "NXDOMAIN"
    skiff rm -f ia >/dev/null
}

@test "the host is reachable from a network, and --internal has no way out" {
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/www"
    echo host-side > "$BATS_TEST_TMPDIR/www/index.html"
    # Rootless, pasta maps its gateway address to the host's loopback; as
    # root the gateway is the host itself, on the bridge's address.
    bind=127.0.0.1
    is_rootless || bind=0.0.0.0
    python3 -m http.server "$port" --bind "$bind" --directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 &
    srv=$!
    wait_http "http://127.0.0.1:$port/" >/dev/null
    skiff network create outnet >/dev/null
    skiff network create --internal innet >/dev/null
    run skiff run --rm --network outnet --dns 127.0.0.9 busybox sh -c "timeout 3 wget -q -O - http://host.containers.internal:$port/"
    out_status=$status out_output=$output
    run skiff run --rm --network innet --dns 127.0.0.9 busybox sh -c "timeout 2 wget -q -O - http://host.containers.internal:$port/"
    kill "$srv"
    [ "$out_status" -eq 0 ]
    [ "$out_output" = host-side ]
    [ "$status" -ne 0 ]
    run skiff network inspect --format '{{.Internal}}' innet
    [ "$output" = true ]
}

@test "network rm refuses a network in use; rm -f removes its containers" {
    skiff network create busy >/dev/null
    skiff create --name u1 --network busy busybox true >/dev/null
    run -2 skiff network rm busy
    assert_output_contains "is in use by container"
    run skiff network rm -f busy
    assert_status 0
    run skiff container exists u1
    [ "$status" -eq 1 ]
    run skiff network exists busy
    [ "$status" -eq 1 ]
    # -f and a missing network: no error (Docker's).
    run skiff network rm -f busy
    assert_status 0
}

@test "network connect and disconnect: stopped and running containers" {
    skiff network create cna >/dev/null
    skiff network create cnb >/dev/null
    skiff create --name cc --network cna --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    skiff network connect --alias ccb --ip 10.89.1.50 cnb cc
    run skiff inspect --format '{{.NetworkSettings.Networks.cnb.IPAddress}} {{.NetworkSettings.Networks.cnb.Aliases}}' cc
    [ "$output" = "10.89.1.50 [ccb]" ]
    # ps --filter network= by name or ID prefix, a network connected later too.
    run skiff ps -a --filter network=cna --format '{{.Names}}'
    [ "$output" = cc ]
    run skiff ps -a --filter network=cnb --format '{{.Names}}'
    [ "$output" = cc ]
    id=$(skiff network inspect --format '{{.Id}}' cnb)
    run skiff ps -a --filter "network=${id:0:12}" --format '{{.Names}}'
    [ "$output" = cc ]
    skiff start cc >/dev/null
    run skiff exec cc ip -o -4 addr show eth1
    assert_output_contains "10.89.1.50/24"
    run -125 skiff network connect cnb cc
    assert_output_contains "already connected"
    # Live: out of cnb, then back in.
    skiff network disconnect cnb cc
    run skiff ps --filter network=cnb --format '{{.Names}}'
    [ -z "$output" ]
    run skiff exec cc ip -o link show eth1
    [ "$status" -ne 0 ]
    skiff network connect --alias back cnb cc
    run skiff exec cc ip -o -4 addr show eth1
    assert_output_contains "inet 10.89.1."
    run skiff run --rm --network cnb --dns 127.0.0.9 busybox nslookup back
    assert_status 0
    run -125 skiff network disconnect cna nosuch
    assert_output_contains "no such container"
    skiff rm -f cc >/dev/null
}

@test "nothing is left after rm -f: no daemon, bridge, veth, nft table or helper" {
    skiff network create leak >/dev/null
    web l1 leak -p "127.0.0.1:$(free_port):80"
    web l2 leak
    [ -n "$(netd_pid)" ]
    skiff rm -f l1 l2 >/dev/null
    wait_netd_gone
    if ! is_rootless; then
        id=$(skiff network inspect --format '{{.Id}}' leak)
        run ip -o link show "br-${id:0:12}"
        [ "$status" -ne 0 ]
        run nft list tables
        [[ "$output" != *"skiff_"* ]] || [[ "$(nft list tables)" != *"$(echo -n "$SKIFF_RUNROOT/netd" | sha256sum | cut -c1-8)"* ]]
    fi
    run pgrep -f -- "$SKIFF_RUNROOT/netd/uplink"
    [ "$status" -ne 0 ]
}

@test "after kill -9 of a monitor the daemon forgets the container and quits" {
    skiff network create k9 >/dev/null
    skiff run -d --name victim --network k9 --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' victim)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    [ -n "$(netd_pid)" ]
    kill -9 "$mon"
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "victim exited" ]
    wait_netd_gone
    # And the next container on the network starts a fresh one.
    run skiff run --rm --network k9 --dns 127.0.0.9 busybox ip -o -4 addr show eth0
    assert_status 0
    assert_output_contains "10.89.0."
    skiff rm victim >/dev/null
}

@test "a container on a network restarts with its address" {
    skiff network create rnet >/dev/null
    skiff run -d --name rs --network rnet --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    ip1=$(skiff exec rs ip -o -4 addr show eth0)
    skiff restart -t 0 rs >/dev/null
    ip2=$(skiff exec rs ip -o -4 addr show eth0)
    [ "${ip1%%brd*}" = "${ip2%%brd*}" ]
    skiff rm -f rs >/dev/null
}

@test "as root, a client from another host keeps its address through a published port" {
    is_rootless && skip "making the other host's namespace needs root (the next test covers a rootless user's container)"
    skiff network create srcnet >/dev/null
    check_client_addresses --network srcnet
    # From the host's loopback: the gateway (a loopback address cannot
    # cross the bridge; Docker's proxy does the same).
    assert_output_contains "peer 10.89.0.1"
}

@test "a rootless user's container on a user network sees a client of another host through the relay" {
    is_rootless && skip "making the other host's namespace needs root: the root pass runs skiff as the test user"
    user=${SKIFF_TEST_USER:-skiffci}
    id "$user" >/dev/null 2>&1 || skip "no unprivileged user $user"
    make_other_host skr$$ 10.250.78
    ustore=$(runuser -u "$user" -- mktemp -d /tmp/skiff-relay.XXXXXX)
    urt=/run/user/$(id -u "$user")
    mkdir -p "$urt" && chown "$user:" "$urt" && chmod 0700 "$urt"
    U() {
        runuser -u "$user" -- env -i PATH="$PATH" HOME=/tmp XDG_RUNTIME_DIR="$urt" \
            "$SKIFF" --root "$ustore/root" --runroot "$ustore/run" "$@"
    }
    U load -q -i "$TEST_IMAGES/docker-archive.tar" >/dev/null
    U network create relaynet >/dev/null
    port=$(free_port)
    uport=$(free_port)
    U run -d --name rsrc --network relaynet --dns 127.0.0.9 -v /:/host:ro -p "$port:8000" -p "$uport:8001/udp" \
        busybox chroot /host /usr/bin/python3 -u -c '
import select, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8000))
s.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 8001))
print("ready", flush=True)
while True:
    for r in select.select([s, u], [], [])[0]:
        if r is s:
            c, a = s.accept()
            print("peer", a[0], flush=True)
            c.sendall(b"hi")
            c.close()
        else:
            d, a = u.recvfrom(100)
            print("udp peer", a[0], flush=True)
            u.sendto(b"hu", a)' >/dev/null
    for i in $(seq 1 50); do U logs rsrc 2>/dev/null | grep -q ready && break; sleep 0.1; done
    run ip netns exec "$TEST_NETNS" python3 -c "
import socket
print(socket.create_connection(('10.250.78.1', $port), timeout=3).recv(10))"
    ok_remote=$status out_remote=$output
    run ip netns exec "$TEST_NETNS" python3 -c "
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
u.sendto(b'x', ('10.250.78.1', $uport))
print(u.recvfrom(10)[0])"
    ok_udp=$status out_udp=$output
    run python3 -c "
import socket
print(socket.create_connection(('127.0.0.1', $port), timeout=3).recv(10))"
    ok_local=$status out_local=$output
    logs=$(U logs rsrc 2>&1)
    U rm -f rsrc >/dev/null
    for i in $(seq 1 100); do pgrep -f -- "__netd $ustore/run/netd" >/dev/null || break; sleep 0.1; done
    U unshare rm -rf "$ustore" 2>/dev/null || rm -rf "$ustore"
    echo "remote: $ok_remote $out_remote; udp: $ok_udp $out_udp; local: $ok_local $out_local; logs: $logs"
    [ "$ok_remote" = 0 ] && [[ "$out_remote" == *hi* ]]
    [ "$ok_udp" = 0 ] && [[ "$out_udp" == *hu* ]]
    [[ "$logs" == *"udp peer 10.250.78.2"* ]]
    [ "$ok_local" = 0 ] && [[ "$out_local" == *hi* ]]
    # The other host's own address; the host's loopback client arrives
    # from the gateway (a loopback address cannot cross the bridge).
    [[ "$logs" == *"peer 10.250.78.2"* ]]
    [[ "$logs" == *"peer 10.89.0.1"* ]]
}

@test "as root, another store's network on a subnet in use is refused, and leaves no bridge" {
    is_rootless && skip "rootless, each user's networks live in a namespace of their own"
    skiff network create --subnet 10.91.200.0/24 clash >/dev/null
    skiff run -d --name holder --network clash --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    other=$BATS_TEST_TMPDIR/other
    o() { "$SKIFF" --root "$other/root" --runroot "$other/run" "$@"; }
    o load -q -i "$TEST_IMAGES/docker-archive.tar" >/dev/null
    o network create --subnet 10.91.200.0/24 clash >/dev/null
    run o run --rm --network clash --dns 127.0.0.9 busybox true
    [ "$status" -ne 0 ]
    assert_output_contains "network subnet 10.91.200.0/24 is in use on this host"
    run bash -c "ip -o -4 addr | grep -c '10.91.200.1/'"
    [ "$output" = 1 ]
    skiff rm -f holder >/dev/null
    for i in $(seq 1 100); do pgrep -f -- "__netd $other/run/netd" >/dev/null || break; sleep 0.1; done
}

@test "a bulk transfer through a published port on a user network completes (the relay once stalled)" {
    skiff network create bulk >/dev/null
    port=$(free_port)
    skiff run -d --name sink --network bulk --dns 127.0.0.9 -v /:/host:ro -p "127.0.0.1:$port:9000" busybox \
        chroot /host /usr/bin/python3 -u -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000))
s.listen()
print("ready", flush=True)
c, a = s.accept()
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
c.sendall(str(n).encode())' >/dev/null
    wait_ready_log sink
    run timeout 30 python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $port))
b = b'x' * (1 << 20)
for i in range(64):
    s.sendall(b)
s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode())"
    assert_status 0
    [ "$output" = 67108864 ]
    skiff rm -f sink >/dev/null
}

@test "as root, names the network does not know are forwarded to the container's --dns server" {
    is_rootless && skip "rootless, the responder's namespace cannot reach a server on the host's loopback port 53"
    ss -lun | grep -qE '127\.0\.0\.1:53\b|0\.0\.0\.0:53\b|\*:53\b' && skip "something already serves port 53 here"
    start_stub_dns
    skiff network create fwdnet >/dev/null
    skiff run --rm --network fwdnet --dns 127.0.0.1 busybox nslookup nosuch 10.89.0.1 >/dev/null 2>&1 || true
    run skiff run --rm --network fwdnet --dns 127.0.0.1 busybox nslookup svc.example.test 10.89.0.1
    kill "$srv"
    assert_status 0
    assert_output_contains "192.0.2.7"
    run cat "$BATS_TEST_TMPDIR/dns.log"
    assert_output_contains "asked svc.example.test"
    # Single labels never leave.
    [[ "$output" != *"asked nosuch"* ]]
}

@test "network prune --filter; connect --mac-address; what is not there yet is an error" {
    skiff network create --label env=dev pdev >/dev/null
    skiff network create --label env=prod pprod >/dev/null
    run skiff network prune -f --filter label=env=dev
    [ "$output" = pdev ]
    run skiff network prune -f --filter label!=env=prod
    [ -z "$output" ]
    run skiff network prune -f --filter until=1h
    [ -z "$output" ]
    run -125 skiff network prune -f --filter color=red
    assert_output_contains 'invalid filter "color"'
    skiff create --name mc --network pprod busybox true >/dev/null
    skiff network create pother >/dev/null
    skiff network connect --mac-address 02:11:22:33:44:55 pother mc
    run skiff inspect --format '{{.NetworkSettings.Networks.pother.MacAddress}}' mc
    [ "$output" = 02:11:22:33:44:55 ]
    run -125 skiff network connect --ip6 fd00::5 pprod mc
    assert_output_contains "network pprod has no IPv6 (create it with --ipv6)"
    skiff network disconnect -f pother mc
    run -125 skiff network disconnect pother mc
    assert_output_contains "is not connected to network pother"
}

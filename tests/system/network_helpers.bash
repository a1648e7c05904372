# Shared by the bats files of user-defined networks (networks*.bats), loaded
# after helpers: a store with busybox per test, the store's network daemon,
# a web container and a stub DNS server on the host's loopback.

# The helpers' teardown, then the daemon's exit and the namespace and link a
# test made (if any).
eval "store_$(declare -f teardown)"
teardown() {
    store_teardown
    # As root every store's bridges share the host's namespace: the next
    # test's network must not meet this one's (same subnet) lingering.
    wait_netd_gone || true
    [ -n "${TEST_LINK:-}" ] && ip link del "$TEST_LINK" 2>/dev/null
    if [ -n "${TEST_NETNS:-}" ]; then
        ip netns del "$TEST_NETNS" 2>/dev/null || true
        ip link del "${TEST_NETNS}h" 2>/dev/null || true
    fi
}

setup() {
    setup_store
    load_busybox >/dev/null
}

# The network daemon of this test's store.
netd_pid() {
    pgrep -f -- "__netd $SKIFF_RUNROOT/netd" || true
}

# Waits until the daemon of this store has quit (two seconds after its last
# container left; a monitor killed with -9 is noticed within two more).
wait_netd_gone() {
    local i
    for i in $(seq 1 100); do
        [ -z "$(netd_pid)" ] && return 0
        sleep 0.1
    done
    echo "the network daemon is still running: $(netd_pid)" >&2
    return 1
}

web() { # NAME NETWORK [more run flags]
    local name=$1 net=$2
    shift 2
    skiff run -d --name "$name" --network "$net" --dns 127.0.0.9 "$@" busybox \
        sh -c "mkdir /w && echo from-$name > /w/index.html && exec httpd -f -p 80 -h /w" >/dev/null
}

# A one-answer DNS server on the host's loopback port 53 (root only): every
# query gets A 192.0.2.7; it logs "asked NAME" to $BATS_TEST_TMPDIR/dns.log.
# Sets srv to its pid; returns once it listens.
start_stub_dns() {
    python3 -u -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, a = s.recvfrom(512)
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    name = []
    i = 12
    while q[i]:
        name.append(q[i + 1:i + 1 + q[i]].decode()); i += q[i] + 1
    print("asked", ".".join(name), flush=True)
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.7")
    s.sendto(q[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0) + question + answer, a)' \
        > "$BATS_TEST_TMPDIR/dns.log" 2>&1 &
    srv=$!
    local i
    for i in $(seq 1 50); do grep -q ready "$BATS_TEST_TMPDIR/dns.log" && break; sleep 0.1; done
}

# Waits until CONTAINER's log says "ready" (its server listens).
wait_ready_log() {
    local i
    for i in $(seq 1 50); do
        skiff logs "$1" | grep -q ready && return 0
        sleep 0.1
    done
    return 1
}

# Root only. "Another host": a network namespace NAME of the test's own (the
# teardown deletes it), on a veth pair: the host is PREFIX.1, the other PREFIX.2.
make_other_host() { # NAME PREFIX
    TEST_NETNS=$1
    ip netns add "$TEST_NETNS"
    ip link add "${TEST_NETNS}h" type veth peer name "${TEST_NETNS}c" netns "$TEST_NETNS"
    ip addr add "$2.1/30" dev "${TEST_NETNS}h"
    ip link set "${TEST_NETNS}h" up
    ip -n "$TEST_NETNS" addr add "$2.2/30" dev "${TEST_NETNS}c"
    ip -n "$TEST_NETNS" link set "${TEST_NETNS}c" up
}

# Root only. "Another host" (a network namespace of the test's own, on a
# veth pair) and the host's loopback connect to a port published by a
# container run with the given flags; the container's server logs each
# peer's address. Asserts the other host arrives with its own address and
# leaves the log in $output for more checks.
check_client_addresses() {
    make_other_host skt$$ 10.250.77
    local port
    port=$(free_port)
    skiff run -d --name src "$@" --dns 127.0.0.9 -v /:/host:ro -p "$port:8000" busybox \
        chroot /host /usr/bin/python3 -u -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8000))
s.listen()
print("ready", flush=True)
while True:
    c, a = s.accept()
    print("peer", a[0], flush=True)
    c.sendall(b"hi")
    c.close()' >/dev/null
    wait_ready_log src
    run ip netns exec "$TEST_NETNS" python3 -c "
import socket
print(socket.create_connection(('10.250.77.1', $port), timeout=3).recv(10))"
    assert_output_contains "hi"
    run python3 -c "
import socket
print(socket.create_connection(('127.0.0.1', $port), timeout=3).recv(10))"
    assert_output_contains "hi"
    run skiff logs src
    assert_output_contains "peer 10.250.77.2"
}

#!/usr/bin/env bats
# The DNS responder of user-defined networks over TCP: clients that got a
# truncated answer, or that always ask over TCP, reach the same names as over
# UDP. Busybox has no DNS-over-TCP client: the queries are written by hand
# and sent with nc. Traffic stays on 127.0.0.0/8 and inside the namespaces
# the tests made; containers get --dns 127.0.0.9 (nothing listens there).

load helpers
load network_helpers
bats_require_minimum_version 1.5.0

# A query (RD, class IN, type A) for NAME with id ID, length-prefixed as over
# TCP, written as printf(1) octal escapes.
tcp_query() { # ID NAME
    local id=$1 name=$2 body label len
    local -a labels
    body=$(printf '\\%03o\\%03o' $((id >> 8)) $((id & 255)))'\001\000\000\001\000\000\000\000\000\000'
    IFS=. read -ra labels <<<"$name"
    for label in "${labels[@]}"; do body+=$(printf '\\%03o' ${#label})$label; done
    body+='\000\000\001\000\001'
    len=$((12 + ${#name} + 2 + 4))
    printf '\\%03o\\%03o%s' $((len >> 8)) $((len & 255)) "$body"
}

# IPv4 address -> "a b c d" in hex, as od prints it.
hex_ip() {
    local IFS=.
    # shellcheck disable=SC2086
    printf '%02x %02x %02x %02x' $1
}

# Sends QUERIES (tcp_query output, concatenated) on one connection to the
# container's nameserver on port 53; prints the answer bytes in hex on one line.
ask_tcp() { # QUERIES [run flags]
    local q=$1
    shift
    skiff run --rm --network tcpnet "$@" busybox sh -c \
        "ns=\$(awk '/^nameserver/ {print \$2; exit}' /etc/resolv.conf)
         printf '$q' | nc \$ns 53 | od -An -v -tx1 | tr -s ' \n' '  '; echo"
}

@test "DNS over TCP: names of the network, several queries on one connection; SERVFAIL when the upstream is unreachable" {
    skiff network create tcpnet >/dev/null
    skiff run -d --name Target --network tcpnet --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    ip=$(skiff inspect --format '{{.NetworkSettings.Networks.tcpnet.IPAddress}}' Target)
    [ -n "$ip" ]
    q="$(tcp_query 0x1234 target)$(tcp_query 0x1235 nosuch)$(tcp_query 0x1236 name.example.test)"
    run ask_tcp "$q" --dns 127.0.0.9
    assert_status 0
    # target: length 40, our id, QR AA RD RA, one question, one A record: its address.
    assert_output_contains " 00 28 12 34 85 80 00 01 00 01 00 00 00 00 06 74 61 72 67 65 74 00 00 01 00 01 "
    assert_output_contains "00 04 $(hex_ip "$ip")"
    # A single label nobody has: NXDOMAIN, never asked upstream.
    assert_output_contains " 12 35 85 83 00 01 00 00 "
    # Forwarded to 127.0.0.9, where nothing listens: SERVFAIL.
    assert_output_contains " 12 36 81 82 00 01 00 00 "
    skiff rm -f Target >/dev/null
}

@test "DNS over TCP on a dual-stack network's IPv6 gateway" {
    skiff network create --ipv6 --subnet 10.93.40.0/24 --subnet fd00:5e:40::/64 tcpnet >/dev/null
    skiff run -d --name Target --network tcpnet --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    ip=$(skiff inspect --format '{{.NetworkSettings.Networks.tcpnet.IPAddress}}' Target)
    run skiff run --rm --network tcpnet --dns 127.0.0.9 busybox sh -c \
        "printf '$(tcp_query 0x2468 target)' | nc fd00:5e:40::1 53 | od -An -v -tx1 | tr -s ' \n' '  '; echo"
    assert_status 0
    assert_output_contains " 00 28 24 68 85 80 00 01 00 01 "
    assert_output_contains "00 04 $(hex_ip "$ip")"
    skiff rm -f Target >/dev/null
}

@test "DNS over TCP: a connection that asks nothing is closed after a few seconds" {
    skiff network create tcpnet >/dev/null
    run skiff run --rm --network tcpnet --dns 127.0.0.9 busybox sh -c '
        ns=$(awk "/^nameserver/ {print \$2; exit}" /etc/resolv.conf)
        # A writer that never closes: nc only stops when the server hangs up.
        mkfifo /tmp/in; exec 3<>/tmp/in
        start=$(date +%s); nc $ns 53 </tmp/in; echo "closed after $(($(date +%s) - start)) s"'
    assert_status 0
    [[ "$output" =~ closed\ after\ ([0-9]+)\ s ]]
    secs=${BASH_REMATCH[1]}
    [ "$secs" -ge 3 ] && [ "$secs" -le 9 ]
}

@test "as root, DNS over TCP: a truncated answer of the container's --dns server is asked again over TCP; UDP clients get it truncated" {
    is_rootless && skip "rootless, the responder's namespace cannot reach a server on the host's loopback port 53"
    ss -lnu | grep -qE '127\.0\.0\.1:53\b|0\.0\.0\.0:53\b|\*:53\b' && skip "something already serves UDP port 53 here"
    ss -lnt | grep -qE '127\.0\.0\.1:53\b|0\.0\.0\.0:53\b|\*:53\b' && skip "something already serves TCP port 53 here"
    # Over UDP one A record and TC (the rest does not fit); over TCP all 40.
    python3 -u -c '
import socket, struct, threading
def answer(q, n, tc):
    end, name = 12, []
    while q[end]:
        name.append(q[end + 1:end + 1 + q[end]].decode()); end += q[end] + 1
    recs = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, i + 1]) for i in range(n))
    flags = b"\x83\x80" if tc else b"\x81\x80"
    return ".".join(name), q[:2] + flags + struct.pack(">HHHH", 1, n, 0, 0) + q[12:end + 5] + recs
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 53))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 53))
t.listen(8)
def udp():
    while True:
        q, a = u.recvfrom(512)
        name, r = answer(q, 1, True)
        print("udp", name, flush=True)
        u.sendto(r, a)
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
while True:
    c, _ = t.accept()
    f = c.makefile("rb")
    while True:
        h = f.read(2)
        if len(h) < 2:
            break
        q = f.read(struct.unpack(">H", h)[0])
        name, r = answer(q, 40, False)
        print("tcp", name, flush=True)
        c.sendall(struct.pack(">H", len(r)) + r)
    c.close()' >"$BATS_TEST_TMPDIR/dns.log" 2>&1 &
    srv=$!
    for i in $(seq 1 50); do grep -q ready "$BATS_TEST_TMPDIR/dns.log" && break; sleep 0.1; done
    skiff network create tcpnet >/dev/null
    run ask_tcp "$(tcp_query 0x4321 big.example.test)" --dns 127.0.0.1
    # The full answer: 12 + 22 + 40 * 16 bytes, no TC, 40 records, the last 192.0.2.40.
    assert_output_contains " 02 a2 43 21 81 80 00 01 00 28 00 00 00 00 "
    assert_output_contains "00 04 c0 00 02 28"
    run cat "$BATS_TEST_TMPDIR/dns.log"
    # UDP first (what pasta forwards rootless), then TCP for the whole answer.
    assert_output_contains "udp big.example.test"
    assert_output_contains "tcp big.example.test"
    # Over UDP the client gets what the upstream said over UDP: one record, TC.
    run skiff run --rm --network tcpnet --dns 127.0.0.1 busybox sh -c \
        'nslookup -type=a udp.example.test $(awk "/^nameserver/ {print \$2; exit}" /etc/resolv.conf)'
    kill "$srv"
    assert_output_contains "192.0.2.1"
    [[ "$output" != *"192.0.2.40"* ]]
    run cat "$BATS_TEST_TMPDIR/dns.log"
    assert_output_contains "udp udp.example.test"
    [[ "$output" != *"tcp udp.example.test"* ]]
}

@test "network inspect lists Containers by container ID, as Docker's map" {
    skiff network create tcpnet >/dev/null
    for n in c1 c2 c3 c4; do skiff create --name $n --network tcpnet busybox true >/dev/null; done
    run skiff network inspect tcpnet
    assert_status 0
    ids=$(jq -r '.[0].Containers | keys_unsorted[]' <<<"$output")
    [ "$(wc -l <<<"$ids")" = 4 ]
    [ "$ids" = "$(sort <<<"$ids")" ]
    run jq -r '[.[0].Containers[].Name] | sort | join(" ")' <<<"$output"
    [ "$output" = "c1 c2 c3 c4" ]
}

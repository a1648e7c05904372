#!/usr/bin/env bats
# Dual-stack user-defined networks (network create --ipv6): IPv6 subnets,
# addresses (--ip6), the route, AAAA answers of the responder, isolation
# and cleanup. Traffic stays inside the namespaces the tests made; every
# container gets --dns 127.0.0.9 (nothing listens there) so no query leaves.
# IPv6 subnets here are fd00:5e:N::/64, distinct per test: as root every
# store's bridges share the host's namespace.

load helpers
load network_helpers
bats_require_minimum_version 1.5.0

@test "network create --ipv6: a dual-stack network with a random ULA /64; inspect and ls show it" {
    skiff network create --ipv6 dual >/dev/null
    run skiff network inspect --format '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}' dual
    assert_status 0
    [[ "$output" =~ ^true\ 10\.89\.[0-9]+\.0/24\ 10\.89\.[0-9]+\.1\;(fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64)\ (fd[0-9a-f:]+::1)\;$ ]]
    sub1=${BASH_REMATCH[1]}
    # Another one gets another subnet.
    skiff network create --ipv6 dual2 >/dev/null
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}};{{end}}' dual2
    [[ "$output" != *"$sub1"* ]]
    skiff network create v4only >/dev/null
    run skiff network inspect --format '{{.EnableIPv6}} {{len .IPAM.Config}}' v4only
    [ "$output" = "false 1" ]
    run skiff network ls --format '{{.Name}} {{.IPv6}}'
    assert_output_contains "dual true"
    assert_output_contains "v4only false"
}

@test "network create --ipv6 with --subnet, --gateway and --ip-range of each family" {
    skiff network create --ipv6 --subnet 10.93.0.0/24 --subnet fd00:5e:1::/64 --gateway fd00:5e:1::fe \
        --ip-range fd00:5e:1::100/126 given >/dev/null
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}} {{(index .IPAM.Config 1).IPRange}}' given
    [ "$output" = "10.93.0.0/24 10.93.0.1;fd00:5e:1::/64 fd00:5e:1::fe; fd00:5e:1::100/126" ]
    # An IPv6 --subnet is asking for IPv6 (Podman's reading).
    skiff network create --subnet fd00:5e:2::/64 implied >/dev/null
    run skiff network inspect --format '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}};{{end}}' implied
    [[ "$output" =~ ^true\ 10\.89\.[0-9]+\.0/24\;fd00:5e:2::/64\;$ ]]
    # Addresses come from the range.
    skiff create --name r1 --network given busybox true >/dev/null
    run skiff inspect --format '{{.NetworkSettings.Networks.given.GlobalIPv6Address}}/{{.NetworkSettings.Networks.given.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.given.IPv6Gateway}}' r1
    [ "$output" = "fd00:5e:1::100/64 fd00:5e:1::fe" ]
    run skiff network inspect --format '{{range .Containers}}{{.IPv6Address}}{{end}}' given
    [ "$output" = "fd00:5e:1::100/64" ]
}

@test "network create: bad IPv6 subnets, gateways and ranges are clear errors" {
    run -125 skiff network create --subnet fd00:5e:3::1/64 bad
    assert_output_contains "host bits are set"
    run -125 skiff network create --subnet fd00:5e:3::/64 --subnet fd00:5e:4::/64 two
    assert_output_contains "several IPv6 --subnet values"
    run -125 skiff network create --ipv6 --gateway fd00:5e:3::1 nosub
    assert_output_contains "need --subnet"
    run -125 skiff network create --subnet fd00:5e:3::/64 --gateway fd00:5e:4::1 gwout
    assert_output_contains "is not a host address of subnet fd00:5e:3::/64"
    run -125 skiff network create --subnet fd00:5e:3::/64 --ip-range fd00:5e:4::/120 rangeout
    assert_output_contains "is not inside subnet fd00:5e:3::/64"
    run -125 skiff network create --subnet fd00:5e:3::/127 tiny
    assert_output_contains "the IPv6 prefix must be 8-126"
    skiff network create --subnet fd00:5e:3::/64 first >/dev/null
    run -125 skiff network create --subnet fd00:5e:3::/80 overlap
    assert_output_contains "already used by network first"
}

@test "--ip6: honoured, checked, refused on a network without IPv6" {
    skiff network create --subnet fd00:5e:5::/64 d5 >/dev/null
    skiff network create v4 >/dev/null
    skiff create --name s1 --network d5 --ip6 fd00:5e:5::55 busybox true >/dev/null
    run skiff inspect --format '{{.NetworkSettings.Networks.d5.GlobalIPv6Address}}' s1
    [ "$output" = fd00:5e:5::55 ]
    run -125 skiff create --network d5 --ip6 fd00:5e:5::55 busybox true
    assert_output_contains "--ip6 fd00:5e:5::55 is already in use on network d5"
    run -125 skiff create --network d5 --ip6 fd00:5e:6::5 busybox true
    assert_output_contains "--ip6 fd00:5e:6::5 is not a host address of network d5 (fd00:5e:5::/64)"
    run -125 skiff create --network d5 --ip6 fd00:5e:5::1 busybox true
    assert_output_contains "is the gateway of network d5"
    run -125 skiff create --network d5 --ip6 10.89.0.5 busybox true
    assert_output_contains 'invalid --ip6 "10.89.0.5": not an IPv6 address'
    run -125 skiff create --network v4 --ip6 fd00:5e:5::9 busybox true
    assert_output_contains "network v4 has no IPv6 (create it with --ipv6)"
    run -125 skiff create --ip6 fd00:5e:5::9 busybox true
    assert_output_contains "--ip6 needs a user-defined network"
    run -125 skiff create --network d5:ip6=fd00:5e:5::9 --ip6 fd00:5e:5::8 busybox true
    assert_output_contains "conflicting options: --ip6"
    # Podman's and Docker's per-network forms.
    skiff create --name s2 --network d5:ip6=fd00:5e:5::56 busybox true >/dev/null
    skiff create --name s3 --network name=d5,ip6=fd00:5e:5::57 busybox true >/dev/null
    run skiff inspect --format '{{.NetworkSettings.Networks.d5.GlobalIPv6Address}}' s2 s3
    [ "$output" = $'fd00:5e:5::56\nfd00:5e:5::57' ]
    # A v4-only network: no IPv6 fields.
    skiff create --name s4 --network v4 busybox true >/dev/null
    run skiff inspect --format '[{{.NetworkSettings.Networks.v4.GlobalIPv6Address}}] {{.NetworkSettings.Networks.v4.GlobalIPv6PrefixLen}}' s4
    [ "$output" = "[] 0" ]
    # network connect --ip6.
    run -125 skiff network connect --ip6 fd00:5e:5::60 v4 s1
    assert_output_contains "network v4 has no IPv6"
    skiff network connect --ip6 fd00:5e:5::61 d5 s4
    run skiff inspect --format '{{.NetworkSettings.Networks.d5.GlobalIPv6Address}}' s4
    [ "$output" = fd00:5e:5::61 ]
}

@test "two containers on a dual-stack network reach each other over IPv6, by address and by name (AAAA)" {
    skiff network create --ipv6 --subnet 10.93.10.0/24 --subnet fd00:5e:10::/64 web6 >/dev/null
    web w6 web6 --ip6 fd00:5e:10::80
    run skiff run --rm --network web6 --dns 127.0.0.9 busybox sh -c '
        ip -o -6 addr show eth0 scope global; ip -6 route
        for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - "http://[fd00:5e:10::80]/" && break; sleep 0.2; done
        ping -6 -c 1 -W 2 w6
        nslookup -type=aaaa w6
        nslookup -type=a w6'
    assert_status 0
    assert_output_contains "inet6 fd00:5e:10::2/64"
    [[ "$output" != *tentative* ]]
    assert_output_contains "default via fd00:5e:10::1 dev eth0"
    assert_output_contains "from-w6"
    assert_output_contains "1 packets received"
    assert_output_contains "Address: fd00:5e:10::80"
    assert_output_contains "Address: 10.93.10.2"
    # Its own address works at once: a wget right at the start (a tentative
    # address would fail it).
    run skiff run --rm --network web6 --dns 127.0.0.9 busybox wget -q -O - "http://[fd00:5e:10::80]/"
    assert_status 0
    [ "$output" = from-w6 ]
    run skiff exec w6 ip -o -6 addr show eth0 scope global
    assert_output_contains "inet6 fd00:5e:10::80/64"
    # The responder listens on the IPv6 gateway too.
    run skiff run --rm --network web6 --dns 127.0.0.9 busybox nslookup w6 fd00:5e:10::1
    assert_status 0
    assert_output_contains "Address: fd00:5e:10::80"
    assert_output_contains "Address: 10.93.10.2"
    # And names the container that has an IPv6 address (ip6.arpa PTR).
    run skiff run --rm --network web6 --dns 127.0.0.9 busybox nslookup fd00:5e:10::80 fd00:5e:10::1
    assert_status 0
    assert_output_contains "name = w6"
    skiff rm -f w6 >/dev/null
}

@test "as root, names the network does not know, asked on the IPv6 gateway, go to the container's --dns server" {
    is_rootless && skip "rootless, the responder's namespace cannot reach a server on the host's loopback port 53"
    ss -lun | grep -qE '127\.0\.0\.1:53\b|0\.0\.0\.0:53\b|\*:53\b' && skip "something already serves port 53 here"
    start_stub_dns
    skiff network create --subnet fd00:5e:60::/64 fwd6 >/dev/null
    run skiff run --rm --network fwd6 --dns 127.0.0.1 busybox nslookup -type=a svc.example.test fd00:5e:60::1
    kill "$srv"
    assert_status 0
    assert_output_contains "192.0.2.7"
    run cat "$BATS_TEST_TMPDIR/dns.log"
    assert_output_contains "asked svc.example.test"
}

@test "dual-stack networks are isolated from each other over IPv6 too" {
    skiff network create --subnet fd00:5e:20::/64 i6a >/dev/null
    skiff network create --subnet fd00:5e:21::/64 i6b >/dev/null
    web ia6 i6a --ip6 fd00:5e:20::80
    run skiff run --rm --network i6a --dns 127.0.0.9 busybox sh -c \
        'for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O - "http://[fd00:5e:20::80]/" && exit 0; sleep 0.2; done; exit 1'
    assert_status 0
    run skiff run --rm --network i6b --dns 127.0.0.9 busybox sh -c 'timeout 2 wget -q -O - "http://[fd00:5e:20::80]/"'
    [ "$status" -ne 0 ]
    skiff rm -f ia6 >/dev/null
}

@test "as root, the host's IPv6 gateway address is reachable from a dual-stack network, not from an --internal one" {
    is_rootless && skip "rootless, the gateways are in the daemon's namespace, where no server of the host's listens"
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/www"
    echo host-side > "$BATS_TEST_TMPDIR/www/index.html"
    python3 -m http.server "$port" --bind :: --directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 &
    srv=$!
    wait_http "http://[::1]:$port/" >/dev/null
    skiff network create --subnet fd00:5e:22::/64 out6 >/dev/null
    skiff network create --internal --subnet fd00:5e:23::/64 in6 >/dev/null
    run skiff run --rm --network out6 --dns 127.0.0.9 busybox sh -c "timeout 3 wget -q -O - http://[fd00:5e:22::1]:$port/"
    out_status=$status out_output=$output
    run skiff run --rm --network in6 --dns 127.0.0.9 busybox sh -c "timeout 2 wget -q -O - http://[fd00:5e:23::1]:$port/"
    in_status=$status
    # The gateway still answers neighbour discovery and ping there, and the
    # responder AAAA queries.
    run skiff run --rm --network in6 --dns 127.0.0.9 --name self6 busybox sh -c \
        'ping -6 -c 1 -W 2 fd00:5e:23::1; nslookup -type=aaaa self6'
    kill "$srv"
    [ "$out_status" -eq 0 ]
    [ "$out_output" = host-side ]
    [ "$in_status" -ne 0 ]
    assert_output_contains "1 packets received"
    assert_output_contains "Address: fd00:5e:23::2"
}

@test "network connect --ip6 plugs a running container in with its IPv6 address" {
    skiff network create c4 >/dev/null
    skiff network create --subnet fd00:5e:30::/64 c6 >/dev/null
    skiff run -d --name cc --network c4 --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    skiff network connect --ip6 fd00:5e:30::30 c6 cc
    run skiff exec cc ip -o -6 addr show eth1 scope global
    assert_output_contains "inet6 fd00:5e:30::30/64"
    # The first network has no IPv6: the default IPv6 route is the new one's.
    run skiff exec cc ip -6 route
    assert_output_contains "default via fd00:5e:30::1 dev eth1"
    run skiff run --rm --network c6 --dns 127.0.0.9 busybox ping -6 -c 1 -W 2 fd00:5e:30::30
    assert_output_contains "1 packets received"
    skiff network disconnect c6 cc
    run skiff exec cc ip -o link show eth1
    [ "$status" -ne 0 ]
    skiff rm -f cc >/dev/null
}

@test "a published port on a dual-stack network serves IPv4 and the host's IPv6 loopback" {
    skiff network create --subnet fd00:5e:40::/64 pub6 >/dev/null
    port=$(free_port)
    port6=$(free_port)
    web p6 pub6 -p "127.0.0.1:$port:80" -p "[::1]:$port6:80"
    run wait_http "http://127.0.0.1:$port/"
    assert_output_contains "from-p6"
    run wait_http "http://[::1]:$port6/"
    assert_output_contains "from-p6"
    skiff rm -f p6 >/dev/null
}

@test "as root, another store's network on an IPv6 subnet in use is refused, and leaves no bridge" {
    is_rootless && skip "rootless, each user's networks live in a namespace of their own"
    skiff network create --subnet 10.91.201.0/24 --subnet fd00:5e:70::/64 clash6 >/dev/null
    skiff run -d --name holder --network clash6 --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    other=$BATS_TEST_TMPDIR/other
    o() { "$SKIFF" --root "$other/root" --runroot "$other/run" "$@"; }
    o load -q -i "$TEST_IMAGES/docker-archive.tar" >/dev/null
    o network create --subnet 10.91.202.0/24 --subnet fd00:5e:70::/64 clash6 >/dev/null
    run o run --rm --network clash6 --dns 127.0.0.9 busybox true
    [ "$status" -ne 0 ]
    assert_output_contains "network subnet fd00:5e:70::/64 is in use on this host"
    run bash -c "ip -o -6 addr | grep -c 'fd00:5e:70::1/'"
    [ "$output" = 1 ]
    run bash -c "ip -o -4 addr | grep -c '10.91.202.1/'"
    [ "$output" = 0 ]
    skiff rm -f holder >/dev/null
    for i in $(seq 1 100); do pgrep -f -- "__netd $other/run/netd" >/dev/null || break; sleep 0.1; done
}

@test "nothing of a dual-stack network is left after rm -f: no daemon, bridge or nft table" {
    skiff network create --subnet fd00:5e:50::/64 leak6 >/dev/null
    web l6 leak6
    [ -n "$(netd_pid)" ]
    if ! is_rootless; then
        id=$(skiff network inspect --format '{{.Id}}' leak6)
        table=skiff_$(echo -n "$SKIFF_RUNROOT/netd" | sha256sum | cut -c1-8)
        run ip -o -6 addr show dev "br-${id:0:12}"
        assert_output_contains "fd00:5e:50::1/64"
        nft list table ip6 "$table" >/dev/null
    fi
    skiff rm -f l6 >/dev/null
    wait_netd_gone
    if ! is_rootless; then
        run ip -o link show "br-${id:0:12}"
        [ "$status" -ne 0 ]
        run nft list table ip6 "$table"
        [ "$status" -ne 0 ]
        run nft list table ip "$table"
        [ "$status" -ne 0 ]
    fi
    run pgrep -f -- "$SKIFF_RUNROOT/netd/uplink"
    [ "$status" -ne 0 ]
}

@test "/etc/hosts of a container on a dual-stack network names it on both addresses" {
    skiff network create --subnet fd00:5e:9::/64 h6 >/dev/null
    run skiff run --rm --name hosted --hostname hh --network h6 --ip6 fd00:5e:9::9 --dns 127.0.0.9 busybox cat /etc/hosts
    assert_status 0
    assert_output_contains $'\thh hosted'
    assert_output_contains $'fd00:5e:9::9\thh hosted'
}

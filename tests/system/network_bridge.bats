#!/usr/bin/env bats
# Root's default network: Docker's built-in `bridge` (a kernel bridge, veth
# pairs and nftables, kept by the network daemon), made on the store's first
# use of networks. Rootless the default stays private per container
# (network.bats). Traffic stays on 127.0.0.0/8, the bridge and namespaces the
# tests made; containers get --dns pointing at nothing, or at a stub server
# on the host's loopback.

load helpers
load network_helpers
bats_require_minimum_version 1.5.0

root_only() {
    is_rootless && skip "rootless, the default network is private to each container (network.bats)"
    return 0
}

@test "rootless, there is no built-in bridge network to list or remove" {
    is_rootless || skip "as root the built-in bridge exists (next tests)"
    run skiff network ls -q
    [ -z "$output" ]
    run skiff network rm bridge
    assert_status 1
    assert_output_contains "network not found"
}

@test "as root, the default network is Docker's bridge: listed, inspected, never removed or pruned" {
    root_only
    skiff run -d --name b1 --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    run skiff network ls --format '{{.Name}} {{.Driver}}'
    [ "$output" = "bridge bridge" ]
    run skiff inspect --format '{{.HostConfig.NetworkMode}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.Gateway}}{{end}}' b1
    read -r mode net ip gw <<<"$output"
    [ "$mode" = bridge ]
    [ "$net" = bridge ]
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options "com.docker.network.bridge.default_bridge"}}' bridge
    subnet=${output%% *}
    [ "$output" = "$subnet $gw true" ]
    # Docker's own subnet unless the host routes it already.
    [[ "$subnet" =~ ^(172\.(1[7-9]|2[0-9]|3[01])|10\.88)\.0\.0/16$ ]]
    [ "${ip%.*}" = "${gw%.*}" ]
    run skiff exec b1 ip -o -4 addr show eth0
    assert_output_contains "inet $ip/16"
    run skiff ps --format '{{.Networks}}'
    [ "$output" = bridge ]
    run skiff network inspect --format '{{range .Containers}}{{.Name}}{{end}}' bridge
    [ "$output" = b1 ]
    run skiff network rm bridge
    [ "$status" -ne 0 ]
    assert_output_contains "bridge is a pre-defined network and cannot be removed"
    skiff rm -f b1 >/dev/null
    run skiff network rm -f bridge
    [ "$status" -ne 0 ]
    run skiff network prune -f
    [[ "$output" != *bridge* ]]
    run skiff network exists bridge
    assert_status 0
    # --network bridge, default and private name it too; pasta keeps a helper.
    for n in bridge default private; do
        run skiff create --network "$n" busybox true
        run skiff inspect --format '{{.HostConfig.NetworkMode}}' "$output"
        [ "$output" = bridge ]
    done
    run skiff inspect --format '{{.HostConfig.NetworkMode}}' "$(skiff create --network pasta busybox true)"
    [ "$output" = pasta ]
}

@test "as root, the default network resolves no container names; resolv.conf is the host's or --dns" {
    root_only
    skiff run -d --name named --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    gw=$(skiff inspect --format '{{.NetworkSettings.Networks.bridge.Gateway}}' named)
    run skiff run --rm --dns 127.0.0.9 busybox cat /etc/resolv.conf
    [ "$output" = "nameserver 127.0.0.9" ]
    # Without --dns: the host's resolvers, its loopback ones reached through the gateway.
    run skiff run --rm busybox cat /etc/resolv.conf
    [[ "$output" != *dns.podman* ]]
    for ns in $(awk '/^nameserver/ {print $2}' /etc/resolv.conf); do
        [[ "$ns" == 127.* ]] && ns=$gw
        [[ "$ns" == *:* ]] && continue
        assert_output_contains "nameserver $ns"
    done
    # The responder on the gateway knows no container (a single label never leaves it).
    run skiff run --rm --dns 127.0.0.9 busybox nslookup named "$gw"
    [ "$status" -ne 0 ]
    assert_output_contains "NXDOMAIN"
    # It forwards other names to the container's --dns.
    ss -lun | grep -qE '127\.0\.0\.1:53\b|0\.0\.0\.0:53\b|\*:53\b' && skip "something already serves port 53 here"
    start_stub_dns
    run skiff run --rm --dns 127.0.0.1 busybox nslookup svc.example.test "$gw"
    kill "$srv"
    assert_status 0
    assert_output_contains "192.0.2.7"
}

@test "as root, host.containers.internal is the bridge's gateway: the host's server there answers" {
    root_only
    skiff run -d --name up --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    gw=$(skiff inspect --format '{{.NetworkSettings.Networks.bridge.Gateway}}' up)
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/www"
    echo host-side > "$BATS_TEST_TMPDIR/www/index.html"
    python3 -m http.server "$port" --bind "$gw" --directory "$BATS_TEST_TMPDIR/www" >/dev/null 2>&1 &
    srv=$!
    wait_http "http://$gw:$port/" >/dev/null
    run skiff run --rm --dns 127.0.0.9 busybox sh -c "grep host.containers.internal /etc/hosts; timeout 3 wget -q -O - http://host.containers.internal:$port/"
    kill "$srv"
    assert_status 0
    assert_output_contains "$gw	host.containers.internal host.docker.internal"
    assert_output_contains host-side
}

@test "as root, a client of another host keeps its address through a port published on the default network" {
    root_only
    check_client_addresses
    gw=$(skiff network inspect --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' bridge)
    assert_output_contains "peer $gw"
}

@test "as root, two containers on the default network reach each other by address; a published port serves HTTP" {
    root_only
    port=$(free_port)
    skiff run -d --name wa --dns 127.0.0.9 -p "127.0.0.1:$port:80" busybox \
        sh -c 'mkdir /w && echo from-wa > /w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    ip=$(skiff inspect --format '{{.NetworkSettings.Networks.bridge.IPAddress}}' wa)
    run skiff run --rm --dns 127.0.0.9 busybox sh -c \
        "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O - http://$ip/ && exit 0; sleep 0.2; done; exit 1"
    assert_status 0
    [ "$output" = from-wa ]
    run wait_http "http://127.0.0.1:$port/"
    [ "$output" = from-wa ]
    run skiff port wa
    [ "$output" = "80/tcp -> 127.0.0.1:$port" ]
}

@test "as root, a default-network container joins a user network and leaves the bridge" {
    root_only
    skiff network create side >/dev/null
    skiff run -d --name mover --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    skiff network connect side mover
    run skiff exec mover ip -o -4 addr show eth1
    assert_output_contains "inet 10.89.0."
    skiff network disconnect bridge mover
    run skiff exec mover ip -o link show eth0
    [ "$status" -ne 0 ]
    # Back on the bridge: no aliases or chosen addresses there (Docker's rule).
    run -125 skiff network connect --alias m bridge mover
    assert_output_contains "aliases are supported only on user-defined networks"
    run -125 skiff network connect --ip 172.17.0.77 bridge mover
    assert_output_contains "a chosen IP address is supported only on user-defined networks"
    skiff network connect bridge mover
    run skiff exec mover ip -o link show eth0
    assert_status 0
    skiff network disconnect bridge mover
    run skiff inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' mover
    [ "$output" = "side " ]
}

@test "as root, nothing of the default network is left after rm -f or kill -9 of a monitor" {
    root_only
    skiff run -d --name g1 --dns 127.0.0.9 -p "127.0.0.1:$(free_port):80" busybox sleep 1000 >/dev/null
    skiff run -d --name g2 --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    id=$(skiff network inspect --format '{{.Id}}' bridge)
    ip -o link show "br-${id:0:12}" >/dev/null
    [ -n "$(netd_pid)" ]
    pid=$(skiff inspect --format '{{.State.Pid}}' g2)
    kill -9 "$(ps -o ppid= -p "$pid" | tr -d ' ')"
    skiff rm -f g1 >/dev/null
    wait_netd_gone
    run ip -o link show "br-${id:0:12}"
    [ "$status" -ne 0 ]
    table=$(echo -n "$SKIFF_RUNROOT/netd" | sha256sum | cut -c1-8)
    run nft list tables
    [[ "$output" != *"$table"* ]]
    run skiff ps -a --format '{{.Names}} {{.State}}'
    [ "$output" = "g2 exited" ]
    # Its address is the container's until rm.
    skiff start g2 >/dev/null
    run skiff exec g2 ip -o -4 addr show eth0
    assert_status 0
}

@test "as root, the default network moves off a subnet the host routes now, while no container is on it" {
    root_only
    # A daemon still up (its last container just left): the bridge it keeps
    # must be made anew on the new subnet.
    skiff run -d --name first --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    skiff rm -f first >/dev/null
    old=$(skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' bridge)
    read -r subnet gw <<<"$old"
    # What Docker's docker0 (or a VPN) would do: the host routes the subnet.
    TEST_LINK=sktest$$
    ip link add "$TEST_LINK" type veth peer name "${TEST_LINK}p"
    ip addr add "$gw/${subnet#*/}" dev "$TEST_LINK"
    ip link set "$TEST_LINK" up
    ip link set "${TEST_LINK}p" up
    skiff run -d --name moved --dns 127.0.0.9 busybox sleep 1000 >/dev/null
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge
    [ "$output" != "$subnet" ]
    new=$output
    run skiff exec moved ip -o -4 addr show eth0
    assert_output_contains "inet ${new%.0/*}."
    run skiff exec moved ping -c 1 -W 2 "${new%.0/*}.1"
    assert_status 0
    skiff rm -f moved >/dev/null
    wait_netd_gone
    # A container holds an address there: no move, and a clear error at start.
    skiff create --name held --dns 127.0.0.9 busybox true >/dev/null
    ip addr add "${new%.0/*}.1/${new#*/}" dev "$TEST_LINK"
    run skiff start held
    [ "$status" -ne 0 ]
    assert_output_contains "is in use on this host"
    assert_output_contains "the default network moves to a free subnet once no container is on it"
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge
    [ "$output" = "$new" ]
}

@test "as root, automatic subnets avoid the host's own addresses: a VPN's /32 is in no route" {
    root_only
    # A VPN's address routed by a rule of its own (wg-quick, OpenVPN's
    # /32 on tun0): nothing of it is in the main routing table.
    TEST_LINK=sktest$$
    ip link add "$TEST_LINK" type veth peer name "${TEST_LINK}p"
    ip addr add 10.89.0.7/32 dev "$TEST_LINK"
    ip addr add 172.17.0.7/32 dev "$TEST_LINK"
    ip link set "$TEST_LINK" up
    run skiff network create vpnside
    assert_status 0
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' vpnside
    # Not the /24 holding the VPN's address (10.89.1.0/24 here; a host on
    # 10.0.0.0/8 gets one of 172.16.0.0/12).
    [ -n "$output" ] && [ "$output" != "10.89.0.0/24" ]
    run skiff network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge
    [ "$output" != "172.17.0.0/16" ]
    # Both bridges come up beside the VPN's addresses.
    run skiff run --rm --network vpnside --dns 127.0.0.9 busybox true
    assert_status 0
    run skiff run --rm --dns 127.0.0.9 busybox true
    assert_status 0
}

#!/usr/bin/env bash
# Prepares a Debian 12 machine for building and testing skiff (run as root):
# packages, device modes a workstation has, and an unprivileged test user
# with subordinate ID ranges.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
    # build
    meson ninja-build g++ pkg-config
    libseccomp-dev libcap-dev nlohmann-json3-dev libfmt-dev zlib1g-dev libcurl4-openssl-dev
    catch2 libarchive-dev libzstd-dev libisal-dev libsqlite3-dev libssl-dev libyaml-cpp-dev libtomlplusplus-dev
    libnl-route-3-dev libsystemd-dev
    # run time helpers
    uidmap fuse-overlayfs passt slirp4netns iproute2 nftables
    # tests
    bats jq busybox-static file tmux strace docker-registry openssl curl runc skopeo hyperfine man-db python3 podman
    # bench only
    debootstrap iperf3
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Workstations have these world-usable; rootless fuse-overlayfs and pasta need them.
chmod 0666 /dev/fuse /dev/net/tun 2>/dev/null || true

# An unprivileged user for the rootless tests, with subordinate ranges.
user=${SKIFF_TEST_USER:-skiffci}
if ! id "$user" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$user"
fi
grep -q "^$user:" /etc/subuid || echo "$user:200000:65536" >> /etc/subuid
grep -q "^$user:" /etc/subgid || echo "$user:200000:65536" >> /etc/subgid
# The docker-registry service is not wanted running; tests start their own.
systemctl disable --now docker-registry >/dev/null 2>&1 || true

#!/usr/bin/env bash
# skiff's main job on a fresh Debian 12 machine, with no internet: install
# what it needs, build it, make a tiny image from busybox-static, and run a
# container from it. Run as root (sudo); the container runs rootless as
# $SUDO_USER when there is one, else as root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup-host.sh
[ -x build/skiff ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
work=$(mktemp -d /tmp/skiff-quickstart.XXXXXX)
chmod 0755 "$work"
tests/system/lib/mkimage.sh "$work/image" localhost/busybox:latest >/dev/null
# A copy the user can reach even when the checkout lives under /root.
cp build/skiff "$work/skiff"
# Found beside skiff: --init, and the small monitor of long-running containers.
cp build/src/init/skiff-init build/src/monitor_idle/skiff-monitor "$work/"
chmod -R a+rX "$work"
user=${SUDO_USER:-root}
as_user() { if [ "$user" = root ]; then "$@"; else runuser -u "$user" -- "$@"; fi; }
set -x
as_user "$work/skiff" load -i "$work/image/docker-archive.tar"
as_user "$work/skiff" images
as_user "$work/skiff" run --rm localhost/busybox echo "hello from a skiff container"

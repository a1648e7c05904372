#!/usr/bin/env bash
# Issue 2 targets: `skiff version` ≤ 3 ms and `skiff info` ≤ 10 ms median.
source "$(dirname "$0")/lib.sh"
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
compare "version" "$SKIFF version" "podman version"
compare "info" "$SKIFF --root $store/root --runroot $store/run info" "podman info"

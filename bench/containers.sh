#!/usr/bin/env bash
# Issue 6 targets: run --rm true ≤ 30 ms (≥ 20x podman), exec true ≤ 15 ms,
# ps -a with 100 containers ≤ 10 ms, a run -d / stop -t 0 / rm cycle ≥ 10x podman.
# Both engines get a private store loaded with the same busybox image.
source "$(dirname "$0")/lib.sh"
busybox_stores

compare "run --rm --network none IMAGE true" "$sk run --rm --network none localhost/busybox true" \
    "$(p_or_empty run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none localhost/busybox true)"

S run -d --name bench-exec localhost/busybox sleep 100000 >/dev/null
[ -n "$pd" ] && P run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --name bench-exec localhost/busybox sleep 100000 >/dev/null
compare "exec CTR true" "$sk exec bench-exec true" "$(p_or_empty exec bench-exec true)"

for i in $(seq 99); do S create localhost/busybox true >/dev/null; done
if [ -n "$pd" ]; then for i in $(seq 99); do P create --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none localhost/busybox true >/dev/null; done; fi
compare "ps -a with 100 containers" "$sk ps -a" "$(p_or_empty ps -a)"

cat > "$work/cycle-s" <<CYC
#!/bin/sh
id=\$($sk run -d --network none localhost/busybox sleep 1000) && $sk stop -t 0 \$id >/dev/null && $sk rm \$id >/dev/null
CYC
cat > "$work/cycle-p" <<CYC
#!/bin/sh
id=\$($pd run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none localhost/busybox sleep 1000) && $pd stop -t 0 \$id >/dev/null && $pd rm \$id >/dev/null
CYC
chmod +x "$work/cycle-s" "$work/cycle-p"
compare "run -d / stop -t 0 / rm cycle" "$work/cycle-s" "$( [ -n "$pd" ] && echo "$work/cycle-p")"

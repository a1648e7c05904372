# Benchmark helpers: hyperfine, skiff side by side with podman in one run,
# medians and the ratio appended to bench/RESULTS.md.
# Source it, then call: compare "what" "skiff command" ["podman command"]
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$bench_dir/.." && pwd)
SKIFF=${SKIFF:-$top/build/skiff}
RESULTS=${RESULTS:-$bench_dir/RESULTS.md}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}

command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench: jq is not installed" >&2; exit 1; }

have_podman() { command -v podman >/dev/null 2>&1; }

# busybox_stores: a temporary skiff store and a podman one, both loaded
# with the busybox test image and removed on exit. Sets $work, $sk (the
# skiff command line) and $pd (podman's, "" when podman is missing or
# cannot load the image); S and P run them.
busybox_stores() {
    work=$(mktemp -d)
    trap 'S rm -af >/dev/null 2>&1; [ -n "$pd" ] && P rm -af >/dev/null 2>&1; rm -rf "$work" 2>/dev/null' EXIT
    "$top/tests/system/lib/mkimage.sh" "$work/img" >/dev/null
    sk="$SKIFF --root $work/s-root --runroot $work/s-run"
    S load -q -i "$work/img/docker-archive.tar"
    pd=""
    if have_podman; then
        pd="podman --root $work/p-root --runroot $work/p-run --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend file"
        P load -q -i "$work/img/docker-archive.tar" >/dev/null || pd=""
    fi
}
# settle_fs: before a file-creation benchmark (load, pull). On ext4
# without a journal (this CI machine's root file system) the inode
# allocator skips inodes freed in the last 60 s (300 s while their table
# block is dirty), checking each one: creating 10,000 files after deleting
# as many costs seconds of kernel time, whoever creates them. Runs must not
# pay for the clean-up of an earlier run: flush, then let the marks age.
settle_fs() {
    sync
    echo "bench: waiting ${SETTLE_SECONDS:-65} s for freed inodes to age (SETTLE_SECONDS=0 skips)" >&2
    sleep "${SETTLE_SECONDS:-65}"
}

S() { "$SKIFF" --root "$work/s-root" --runroot "$work/s-run" "$@"; }
P() { $pd "$@"; }
# A podman command line for compare, "" when there is no podman.
p_or_empty() { [ -n "$pd" ] && echo "$pd $*"; }

ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }

# compare LABEL SKIFF_CMD [PODMAN_CMD] [HYPERFINE_ARGS...]
compare() {
    local label=$1 skiff_cmd=$2 podman_cmd=${3:-}
    shift 2; [ $# -gt 0 ] && shift
    if [ -n "$podman_cmd" ] && have_podman; then
        run_pair "$label" "$skiff_cmd" "$podman_cmd" "$@"
    else
        run_pair "$label" "$skiff_cmd" "" "$@"
    fi
}

# compare_baseline LABEL BASELINE_NAME SKIFF_CMD BASELINE_CMD [HYPERFINE_ARGS...]
# The same against another program (tar -x…): the row is labelled
# "LABEL (vs BASELINE_NAME)" and the baseline's median takes podman's column.
compare_baseline() {
    local label=$1 name=$2 skiff_cmd=$3 base_cmd=$4
    shift 4
    run_pair "$label (vs $name)" "$skiff_cmd" "$base_cmd" "$@"
}

# run_pair LABEL SKIFF_CMD OTHER_CMD|"" [HYPERFINE_ARGS...]: one hyperfine
# run, medians and ratio appended to RESULTS.md. HYPERFINE_ARGS come before
# the commands: give one --prepare per command to prepare each.
run_pair() {
    local label=$1 skiff_cmd=$2 other_cmd=$3
    shift 3
    local json; json=$(mktemp)
    local cmds=("$skiff_cmd")
    [ -n "$other_cmd" ] && cmds+=("$other_cmd")
    hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" "$@" "${cmds[@]}" >&2
    local s_med p_med ratio="n/a" p_ms="n/a"
    s_med=$(jq '.results[0].median' "$json")
    if [ "${#cmds[@]}" -gt 1 ]; then
        p_med=$(jq '.results[1].median' "$json")
        p_ms=$(ms "$p_med")
        ratio=$(awk -v a="$p_med" -v b="$s_med" 'BEGIN { printf "%.1fx", a / b }')
    fi
    if [ ! -f "$RESULTS" ]; then
        printf '# Benchmark results\n\nMedians from hyperfine; ratio = other / skiff (higher is better for skiff). The other is podman, or the baseline named in the benchmark column ("vs tar -x").\n\n' > "$RESULTS"
        printf '| date | machine | benchmark | skiff (ms) | podman or baseline (ms) | ratio |\n|---|---|---|---|---|---|\n' >> "$RESULTS"
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$(date -u +%Y-%m-%d)" "$(nproc) cores, $(uname -r)" \
        "$label" "$(ms "$s_med")" "$p_ms" "$ratio" >> "$RESULTS"
    rm -f "$json"
    echo "$label: skiff $(ms "$s_med") ms, other $p_ms ms, ratio $ratio"
}

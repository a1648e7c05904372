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

ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }

# compare LABEL SKIFF_CMD [PODMAN_CMD] [HYPERFINE_ARGS...]
compare() {
    local label=$1 skiff_cmd=$2 podman_cmd=${3:-}
    shift 2; [ $# -gt 0 ] && shift
    local json; json=$(mktemp)
    local cmds=("$skiff_cmd")
    if [ -n "$podman_cmd" ] && have_podman; then cmds+=("$podman_cmd"); fi
    hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" "$@" "${cmds[@]}" >&2
    local s_med p_med ratio="n/a" p_ms="n/a"
    s_med=$(jq '.results[0].median' "$json")
    if [ "${#cmds[@]}" -gt 1 ]; then
        p_med=$(jq '.results[1].median' "$json")
        p_ms=$(ms "$p_med")
        ratio=$(awk -v a="$p_med" -v b="$s_med" 'BEGIN { printf "%.1fx", a / b }')
    fi
    if [ ! -f "$RESULTS" ]; then
        printf '# Benchmark results\n\nMedians from hyperfine; ratio = podman / skiff (higher is better for skiff).\n\n' > "$RESULTS"
        printf '| date | machine | benchmark | skiff (ms) | podman (ms) | ratio |\n|---|---|---|---|---|---|\n' >> "$RESULTS"
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$(date -u +%Y-%m-%d)" "$(nproc) cores, $(uname -r)" \
        "$label" "$(ms "$s_med")" "$p_ms" "$ratio" >> "$RESULTS"
    rm -f "$json"
    echo "$label: skiff $(ms "$s_med") ms, podman $p_ms ms, ratio $ratio"
}

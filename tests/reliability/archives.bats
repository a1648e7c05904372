#!/usr/bin/env bats
# Hostile archives (issue 16): every input lib/hostile_archives.py makes
# (lying manifests, wrong shapes, traversal, links, whiteouts, devices,
# corrupt compression, truncation, duplicates) is given to `load` or
# `import`. Each must be refused with exit 125 and one "Error:" line,
# leaving no image and no layer, or be accepted where Docker accepts it;
# and nothing may land outside the store: the canary directory every
# attempt aims at stays as it was, and no ESCAPED-* file appears. Each
# test reports its counts (tried, refused, survived) as a TAP comment.

load ../system/helpers
bats_require_minimum_version 1.5.0

GEN=$BATS_TEST_DIRNAME/lib/hostile_archives.py

setup() {
    setup_store
    CANARY=$BATS_TEST_TMPDIR/canary
    mkdir -p "$CANARY/sub"
    echo precious >"$CANARY/precious"
    CASES=$BATS_TEST_TMPDIR/cases
    python3 "$GEN" generate "$CASES" "$CANARY"
}

# Names, kinds, link counts, sizes and modes under the canary, and the
# precious file's content.
canary_state() {
    (cd "$CANARY" && find . -printf '%p %y %n %s %m\n' | sort && cat precious)
}

# A fresh store for each input; the last one is the teardown's.
fresh_store() {
    if [ -n "${STORE:-}" ] && [ -d "$STORE" ]; then
        if is_rootless; then skiff unshare rm -rf "$STORE" 2>/dev/null || true; fi
        rm -rf "$STORE" 2>/dev/null || true
    fi
    setup_store
}

# ESCAPED-* files outside the store's layers (where an absolute member
# name is kept, made relative, as Docker keeps it).
escapes() {
    find "$BATS_TEST_TMPDIR" "$CANARY" /tmp "$HOME" -maxdepth 1 -name 'ESCAPED-*' 2>/dev/null
    find "$STORE" -name 'ESCAPED-*' -not -path "$SKIFF_ROOT/layers/*" 2>/dev/null
}

# Checks one input's outcome against its expectation, adding what was
# wrong to $problems and counting. Uses $status and $output of the last `run`.
judge() {
    local name=$1 expect=$2 errors
    errors=$(printf '%s\n' "$output" | grep -v '^WARNING: ' || true)
    case $status in
    0)
        if [ "$expect" = refuse ]; then
            problems+="$name: accepted, should be refused: $output"$'\n'
            return
        fi
        [ -n "$(skiff images -q)" ] || problems+="$name: exit 0 but no image"$'\n'
        survived=$((survived + 1))
        ;;
    125)
        if [ "$expect" = load ]; then
            problems+="$name: refused, Docker accepts it: $output"$'\n'
            return
        fi
        if [ "$(printf '%s\n' "$errors" | wc -l)" -ne 1 ] || [[ $errors != Error:* ]]; then
            problems+="$name: not one 'Error:' line: $output"$'\n'
        fi
        [ -z "$(skiff images -q)" ] || problems+="$name: refused but an image is left"$'\n'
        [ -z "$(ls -A "$SKIFF_ROOT/layers" 2>/dev/null)" ] || problems+="$name: refused but layers are left"$'\n'
        refused=$((refused + 1))
        ;;
    *)
        problems+="$name: exit $status: $output"$'\n'
        ;;
    esac
}

# Feeds every input of COMMAND (load | import) whose name matches the
# glob PATTERN to skiff, with the global flags given; with OCI_DIRS=1,
# OCI inputs are loaded a second time as layout directories.
run_cases() {
    local command=$1 label=$2 pattern=$3
    shift 3
    local before problems="" name cmd expect desc
    tried=0 refused=0 survived=0
    before=$(canary_state)
    while IFS=$'\t' read -r name cmd expect desc; do
        [ "$cmd" = "$command" ] || continue
        # shellcheck disable=SC2053
        [[ $name == $pattern ]] || continue
        local inputs=("$CASES/$name.tar")
        if [ "${OCI_DIRS:-}" = 1 ] && [[ $name == oci-* ]]; then
            mkdir -p "$CASES/$name.d"
            tar -C "$CASES/$name.d" -xf "$CASES/$name.tar"
            inputs+=("$CASES/$name.d")
        fi
        for input in "${inputs[@]}"; do
            tried=$((tried + 1))
            fresh_store
            if [ "$command" = load ]; then
                run skiff "$@" load -i "$input"
            else
                run skiff "$@" import "$input" localhost/imported:1
            fi
            judge "$name${input##*.tar}" "$expect"
            [ "$(canary_state)" = "$before" ] || problems+="$name: the canary changed"$'\n'
            [ -z "$(escapes)" ] || problems+="$name: escaped: $(escapes)"$'\n'
        done
    done <"$CASES/cases.tsv"
    echo "# $label: $tried inputs tried, $refused refused, $survived survived, $((tried - refused - survived)) failed" >&3
    if [ -n "$problems" ]; then
        printf '%s\n' "$problems" >&2
        return 1
    fi
    [ "$tried" -gt 0 ]
}

@test "hostile archives: docker-archive metadata that lies or has the wrong shape" {
    run_cases load "load, docker-archive metadata" '!(layer-*|oci-*)'
}

@test "hostile archives: layers aiming outside the store (load)" {
    run_cases load "load, layer contents" 'layer-*'
}

@test "hostile archives: the same layers with the vfs driver (whiteouts applied for real)" {
    run_cases load "load --storage-driver vfs, layer contents" 'layer-*' --storage-driver vfs
}

@test "hostile archives: oci-archives and OCI layout directories that lie" {
    OCI_DIRS=1 run_cases load "load, oci-archive and oci-dir" 'oci-*'
}

@test "hostile archives: import refuses or survives each tarball, nothing escapes the store" {
    run_cases import "import" '*'
}

@test "hostile archives: device nodes are made only where Docker makes them" {
    python3 "$GEN" one layer-device-nodes "$BATS_TEST_TMPDIR/dev.tar" "$CANARY"
    run skiff load -i "$BATS_TEST_TMPDIR/dev.tar"
    assert_status 0
    layer=$(find "$SKIFF_ROOT/layers" -maxdepth 2 -name diff)
    if is_rootless; then
        # A user namespace may not make devices: skipped with a warning, as
        # Docker's rootless mode does (a 0:0 node is overlay's whiteout).
        assert_output_contains "WARNING"
        # The layer's files belong to the namespace's IDs: look from inside.
        [ "$(skiff unshare find "$layer" -name null -o -name sda | wc -l)" = 0 ]
        [ "$(skiff unshare find "$layer" -type f | wc -l)" = 0 ]
    else
        [ "$(stat -c '%F %t:%T' "$layer/dev/null")" = "character special file 1:3" ]
        [ "$(stat -c '%F %t:%T' "$layer/dev/sda")" = "block special file 8:0" ]
    fi
}

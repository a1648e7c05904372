# Shared by every bats file. Each test gets its own --root and --runroot, so
# tests never see each other's containers or images.

SKIFF=${SKIFF:-$BATS_TEST_DIRNAME/../../build/skiff}
TEST_IMAGES=${SKIFF_TEST_IMAGES:-$BATS_TEST_DIRNAME/../../build/test-images}

setup_store() {
    STORE=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/store.XXXXXX")
    export SKIFF_ROOT=$STORE/root SKIFF_RUNROOT=$STORE/run
    mkdir -p "$SKIFF_ROOT" "$SKIFF_RUNROOT"
    chmod 0700 "$SKIFF_RUNROOT"
}

setup() {
    setup_store
}

# skiff with this test's private store.
skiff() {
    "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@"
}

is_rootless() { [ "$(id -u)" != 0 ]; }

# Asserts "$output" contains $1.
assert_output_contains() {
    if [[ "$output" != *"$1"* ]]; then
        echo "expected output to contain: $1" >&2
        echo "actual output: $output" >&2
        return 1
    fi
}

assert_status() {
    if [ "$status" -ne "$1" ]; then
        echo "expected status $1, got $status; output: $output" >&2
        return 1
    fi
}

# One line of stderr/stdout that starts with "Error: ".
assert_one_line_error() {
    if [ "${#lines[@]}" -ne 1 ] || [[ "${lines[0]}" != Error:* ]]; then
        echo "expected a single 'Error: …' line, got: $output" >&2
        return 1
    fi
}

# Loads the busybox test image (localhost/busybox:latest) into this test's store.
load_busybox() {
    skiff load -q -i "$TEST_IMAGES/docker-archive.tar"
}

busybox_id() { cat "$TEST_IMAGES/image-id"; }

# Rootless stores hold files owned by subordinate IDs: only the user
# namespace can remove them.
teardown() {
    # A server a test started on the loopback (TEST_SERVER_PID), also when
    # the test failed before stopping it.
    [ -n "${TEST_SERVER_PID:-}" ] && { kill "$TEST_SERVER_PID" 2>/dev/null || true; }
    if [ -n "${STORE:-}" ] && [ -d "$STORE" ]; then
        # Containers a failed test left running must not outlive it.
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" rm -af >/dev/null 2>&1 || true
        if is_rootless; then
            "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" unshare rm -rf "$STORE" 2>/dev/null || true
        fi
        rm -rf "$STORE" 2>/dev/null || true
    fi
}

# A TCP port free on 127.0.0.1 now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Fetches URL (printing the body) once a server answers there; 5 s at most.
wait_http() {
    local url=$1 i
    for i in $(seq 1 50); do
        if out=$(curl -fsS --max-time 2 "$url" 2>/dev/null); then
            echo "$out"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

#!/usr/bin/env bats
# Issue 16.1: nothing of a container's configuration is readable by other
# users. A used store (create, run, exec, logs, volumes, a network, inspect,
# commit) is walked for files another user could read, by mode bits from the
# store's roots down; none may hold the container's secrets.

load ../system/helpers

SECRET=skiff-audit-5f1c0e3a

use_the_store() {
    load_busybox >/dev/null
    skiff volume create auditvol >/dev/null
    skiff create --name made -e "TOKEN=$SECRET" --label "l=$SECRET" busybox echo "$SECRET" >/dev/null
    skiff run -d --name ran -e "TOKEN=$SECRET" -v auditvol:/v -v /v2 busybox \
        sh -c "echo $SECRET; echo $SECRET > /v/f; echo $SECRET > /v2/f; sleep 1000" >/dev/null
    skiff exec -e "X=$SECRET" ran true
    skiff logs ran >/dev/null
    skiff inspect ran >/dev/null
    skiff commit ran audited >/dev/null
}

@test "another user can read nothing of a used store that holds a container's secrets" {
    use_the_store
    run -0 python3 "$BATS_TEST_DIRNAME/lib/others_can_read.py" "$SKIFF_ROOT" "$SKIFF_RUNROOT"
    readable=$output
    leaks=()
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        case $f in *.db|*.db-wal|*.db-shm|*.log|*/config.json|*/state.json) leaks+=("$f (by its kind)") ;; esac
        grep -qs -- "$SECRET" "$f" && leaks+=("$f (holds the secret)")
    done <<<"$readable"
    if [ ${#leaks[@]} -gt 0 ]; then
        printf 'readable by others: %s\n' "${leaks[@]}" >&2
        return 1
    fi
    # The files that hold it exist and are the owner's alone.
    for f in "$SKIFF_ROOT/skiff.db" "$SKIFF_ROOT/skiff.db-wal" "$SKIFF_ROOT/skiff.db-shm"; do
        [ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ]
    done
}

@test "as root, user nobody opens none of the store's files that hold secrets" {
    is_rootless && skip "needs root to act as another user"
    chmod 0755 "$STORE"  # the store's parent is reachable, as /var/lib is
    use_the_store
    run -0 bash -c "find '$SKIFF_ROOT' '$SKIFF_RUNROOT' -type f 2>/dev/null | runuser -u nobody -- python3 -c '
import sys
for p in sys.stdin.read().split(\"\\n\"):
    try:
        with open(p, \"rb\") as f:
            if b\"$SECRET\" in f.read():
                print(p)
    except OSError:
        pass
'"
    [ -z "$output" ] || { echo "nobody read the secret in: $output" >&2; return 1; }
}

@test "a store made with a world-readable database is repaired at the next command" {
    is_rootless && skip "the old mode matters where the root directory is 0711 (root)"
    skiff images >/dev/null
    chmod 0644 "$SKIFF_ROOT/skiff.db"
    skiff images >/dev/null
    [ "$(stat -c %a "$SKIFF_ROOT/skiff.db")" = 600 ]
}

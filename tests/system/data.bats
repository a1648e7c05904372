#!/usr/bin/env bats
# Containers on the store's storage driver (vfs included), and the commands
# that read a container's files: diff, export, commit.

bats_require_minimum_version 1.5.0

load helpers

# The container's own directory in the store.
ctr_dir() { echo "$SKIFF_ROOT/containers/$(skiff inspect --format '{{.Id}}' "$1")"; }

# A container "c1" (stopped) that added, changed and deleted files, and
# replaced a directory of the image with an opaque one.
make_changed_container() {
    skiff run --name c1 "$@" localhost/busybox sh -c '
        echo new > /etc/new
        echo more >> /etc/motd
        rm /bin/ls
        mkdir -p /tmp/d && echo x > /tmp/d/f
        rm -rf /home && mkdir /home && echo only > /home/only
        chown 7:8 /etc/new
        ln /etc/new /etc/new-link
        ln -s ../etc/new /tmp/sym'
}

@test "vfs: run, exec, rm; the copy is deleted with the container" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff run --rm localhost/busybox sh -c 'echo hi > /f; cat /f'
    assert_status 0
    [ "$output" = "hi" ]
    skiff run -d --name web localhost/busybox sleep 60
    run skiff exec web sh -c 'echo there > /g; cat /g /bin/busybox >/dev/null && echo ok'
    assert_status 0
    [ "$output" = "ok" ]
    dir=$(ctr_dir web)
    [ -f "$dir/rootfs/g" ] || skiff unshare test -f "$dir/rootfs/g"
    # A directory the container made read-only does not stop the removal.
    skiff exec web sh -c 'mkdir -p /ro/x && touch /ro/x/f && chmod 0555 /ro/x /ro'
    run skiff rm -f web
    assert_status 0
    [ ! -e "$dir" ]
    run ls "$SKIFF_ROOT/containers"
    [ -z "$output" ]
}

@test "vfs: a stopped container keeps its files and starts again" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff run --name keep localhost/busybox sh -c 'cat /data 2>/dev/null; echo kept >> /data'
    assert_status 0
    [ -z "$output" ]
    run skiff start -a keep
    assert_status 0
    [ "$output" = "kept" ]
    skiff rm keep
}

@test "inspect shows the store's recorded driver, not a default" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    skiff create --name c localhost/busybox true
    run skiff inspect --format '{{.Driver}} {{.GraphDriver.Name}} {{.GraphDriver.Data.RootDir}}' c
    assert_status 0
    [ "$output" = "vfs vfs $(ctr_dir c)/rootfs" ]
    run skiff image inspect --format '{{.GraphDriver.Name}}' localhost/busybox
    [ "$output" = "vfs" ]
}

@test "inspect: GraphDriver of an overlay container names its directories" {
    load_busybox
    driver=$(skiff info --format '{{.Driver}}')
    [ "$driver" != vfs ] || skip "this host's store uses vfs"
    skiff create --name c localhost/busybox true
    dir=$(ctr_dir c)
    run skiff inspect --format '{{.Driver}}|{{.GraphDriver.Name}}|{{.GraphDriver.Data.UpperDir}}|{{.GraphDriver.Data.MergedDir}}' c
    [ "$output" = "$driver|$driver|$dir/upper|$dir/merged" ]
}

@test "run --rm leaves no container directory behind (overlay volatile, vfs copy)" {
    for d in vfs default; do
        setup_store
        if [ $d = vfs ]; then skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"; else load_busybox; fi
        run skiff run --rm localhost/busybox sh -c 'echo x > /x'
        assert_status 0
        run ls "$SKIFF_ROOT/containers"
        [ -z "$output" ]
    done
}

@test "diff: Docker's A/C/D lines, sorted; container diff; --format json" {
    load_busybox
    make_changed_container
    run skiff diff c1
    assert_status 0
    expected="C /bin
D /bin/ls
C /etc
A /etc/motd
A /etc/new
A /etc/new-link
C /home
A /home/only
C /tmp
A /tmp/d
A /tmp/d/f
A /tmp/sym"
    # /etc/motd: added when the image lacks it, changed when it has it.
    if skiff run --rm localhost/busybox test -e /etc/motd; then expected=${expected/A \/etc\/motd/C /etc/motd}; fi
    [ "$output" = "$expected" ] || { echo "$output"; false; }
    run skiff container diff c1
    [ "$output" = "$expected" ]
    run skiff diff --format json c1
    assert_status 0
    echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["deleted"] == ["/bin/ls"], d
assert "/etc/new" in d["added"] and "/tmp/d/f" in d["added"], d
assert "/bin" in d["changed"] and "/etc" in d["changed"], d
'
}

@test "diff: the mount targets the runtime made are not changes; a fresh container has none" {
    load_busybox
    skiff create --name fresh localhost/busybox true
    run skiff diff fresh
    assert_status 0
    [ -z "$output" ]
    skiff start -a fresh
    run skiff diff fresh
    assert_status 0
    [ -z "$output" ]
    run skiff diff --format json fresh
    [ "$output" = "{}" ]
}

@test "diff: a running container; vfs too" {
    load_busybox
    skiff run -d --name r localhost/busybox sleep 60
    skiff exec r sh -c 'echo 1 > /added; rm /bin/cat'
    run skiff diff r
    assert_status 0
    [ "$output" = "A /added
C /bin
D /bin/cat" ]
    skiff rm -f r
    setup_store
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    make_changed_container
    run skiff diff c1
    assert_status 0
    assert_output_contains "D /bin/ls"
    assert_output_contains "A /etc/new"
    assert_output_contains "A /home/only"
}

@test "diff, export, commit: errors" {
    load_busybox
    run skiff diff nosuch
    assert_status 125
    assert_one_line_error
    assert_output_contains "nosuch"
    skiff create --name c localhost/busybox true
    run skiff diff --format table c
    assert_status 125
    assert_output_contains 'invalid --format "table"'
    run skiff export nosuch
    assert_status 125
    run skiff commit nosuch
    assert_status 125
    run skiff commit --format v1 c
    assert_status 125
    assert_output_contains 'invalid --format "v1": expected oci or docker'
    run skiff commit -c 'FROM busybox' c localhost/bad
    assert_status 125
    assert_output_contains "FROM"
    run skiff image exists localhost/bad
    assert_status 1
    # A tar is not written to a terminal.
    run script -qec "$SKIFF --root $SKIFF_ROOT --runroot $SKIFF_RUNROOT export c" /dev/null
    assert_output_contains "cowardly refusing to save to a terminal"
    # -o into a missing directory: an error, nothing written.
    run skiff export -o "$BATS_TEST_TMPDIR/no/such/dir.tar" c
    assert_status 125
    assert_one_line_error
}

@test "export: a flat tar with owners, hard links and symlinks; import gives the same files" {
    load_busybox
    make_changed_container
    skiff export -o "$BATS_TEST_TMPDIR/c1.tar" c1
    [ ! -e "$BATS_TEST_TMPDIR/c1.tar.skiff-tmp" ]
    run tar -tvf "$BATS_TEST_TMPDIR/c1.tar"
    assert_status 0
    assert_output_contains "7/8"
    [[ "$output" == *"etc/new"* ]]
    [[ "$output" =~ etc/new-link\ link\ to\ etc/new|etc/new\ link\ to\ etc/new-link ]]
    assert_output_contains "tmp/sym -> ../etc/new"
    ! grep -q ' bin/ls$' <<<"$output"
    # stdout gives the same bytes.
    skiff export c1 > "$BATS_TEST_TMPDIR/c1-stdout.tar"
    cmp "$BATS_TEST_TMPDIR/c1.tar" "$BATS_TEST_TMPDIR/c1-stdout.tar"
    skiff container export c1 > "$BATS_TEST_TMPDIR/c1-alias.tar"
    cmp "$BATS_TEST_TMPDIR/c1.tar" "$BATS_TEST_TMPDIR/c1-alias.tar"

    skiff import -q "$BATS_TEST_TMPDIR/c1.tar" localhost/flat
    check='stat -c "%u:%g %h" /etc/new; cat /etc/new /home/only /tmp/d/f; readlink /tmp/sym; test ! -e /bin/ls && echo no-ls; ls /home'
    run skiff run --rm localhost/flat sh -c "$check"
    assert_status 0
    [ "$output" = "7:8 2
new
only
x
../etc/new
no-ls
only" ]
}

@test "export: xattrs travel" {
    load_busybox
    skiff run --name x localhost/busybox sh -c 'echo data > /xfile'
    dir=$(ctr_dir x)
    f=$dir/upper/xfile
    [ -e "$dir/rootfs" ] && f=$dir/rootfs/xfile
    skiff unshare python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.skiff', b'yes')" "$f"
    skiff export -o "$BATS_TEST_TMPDIR/x.tar" x
    run tar --xattrs --xattrs-include='user.*' -xOf "$BATS_TEST_TMPDIR/x.tar" xfile
    [ "$output" = "data" ]
    # pax SCHILY.xattr header, as Docker's and Podman's tars carry it.
    grep -aq 'SCHILY.xattr.user.skiff=yes' "$BATS_TEST_TMPDIR/x.tar"
}

@test "export: a running container, and one on vfs" {
    load_busybox
    skiff run -d --name r localhost/busybox sleep 60
    skiff exec r sh -c 'echo live > /live; chown 3:4 /live'
    run --separate-stderr bash -c "'$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' export r | tar -tvf - live"
    assert_status 0
    [[ "$output" == *"3/4"*live ]]
    skiff rm -f r
    setup_store
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    make_changed_container
    skiff export c1 | tar -tvf - > "$BATS_TEST_TMPDIR/list"
    grep -q 'etc/new$' "$BATS_TEST_TMPDIR/list"
    ! grep -q ' bin/ls$' "$BATS_TEST_TMPDIR/list"
}

@test "commit: a new layer with changes and deletions (opaque dirs too); history shows it" {
    load_busybox
    make_changed_container
    run skiff commit -a 'Ann Author <ann@example.com>' -m 'my change' c1 localhost/committed:v1
    assert_status 0
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    id=${output#sha256:}
    run skiff image inspect --format '{{.Id}} {{len .RootFS.Layers}} {{.Author}} {{.Comment}}' localhost/committed:v1
    [ "$output" = "sha256:$id 2 Ann Author <ann@example.com> my change" ]
    run skiff history --no-trunc --format '{{.ID}}|{{.CreatedBy}}|{{.Comment}}' localhost/committed:v1
    [[ "$output" == "sha256:$id|sh -c "*"echo new > /etc/new"*"|my change"$'\n'"<missing>|"* ]]
    check='cat /etc/new; test ! -e /bin/ls && echo no-ls; ls -A /home; cat /tmp/d/f; stat -c "%u:%g %h" /etc/new; readlink /tmp/sym'
    run skiff run --rm localhost/committed:v1 sh -c "$check"
    assert_status 0
    [ "$output" = "new
no-ls
only
x
7:8 2
../etc/new" ]
    # The committed container is untouched.
    run skiff diff c1
    assert_output_contains "D /bin/ls"
}

@test "commit: --change, the container's config, -q, --format docker, container commit" {
    load_busybox
    skiff run --name c -e FROM_RUN=1 -w /tmp localhost/busybox true
    run skiff commit -q -c 'CMD ["echo", "from-cmd"]' -c 'ENV A=b' -c 'LABEL x=y' -c 'EXPOSE 8080' \
        -c 'USER 1:1' -c 'WORKDIR /var' -c 'VOLUME /data' -c 'STOPSIGNAL SIGINT' -c 'ENTRYPOINT []' c localhost/ch
    assert_status 0
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    run skiff image inspect --format '{{.Config.Cmd}}|{{.Config.Labels.x}}|{{.Config.User}}|{{.Config.WorkingDir}}|{{.Config.StopSignal}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}' localhost/ch
    [ "$output" = '[echo from-cmd]|y|1:1|/var|SIGINT|{"8080/tcp":{}}|{"/data":{}}' ]
    run skiff image inspect --format '{{json .Config.Env}}' localhost/ch
    assert_output_contains '"FROM_RUN=1"'
    assert_output_contains '"A=b"'
    run skiff run --rm localhost/ch
    [ "$output" = "from-cmd" ]
    # Without --change the container's own command and workdir are kept.
    skiff container commit c localhost/plain >/dev/null
    run skiff image inspect --format '{{.Config.Cmd}} {{.Config.WorkingDir}}' localhost/plain
    [ "$output" = "[true] /tmp" ]
    # --format docker: Docker's container fields in the config (so another ID).
    oci=$(skiff commit -q c)
    docker=$(skiff commit -q --format docker c)
    [ "$oci" != "$docker" ]
    skiff save -o "$BATS_TEST_TMPDIR/d.tar" "$docker"
    mkdir "$BATS_TEST_TMPDIR/d" && tar -C "$BATS_TEST_TMPDIR/d" -xf "$BATS_TEST_TMPDIR/d.tar"
    grep -q "\"container\":\"$(skiff inspect --format '{{.Id}}' c)\"" "$BATS_TEST_TMPDIR/d/$docker.json"
}

@test "commit: a running container (-p, --pause=false); --squash gives one layer" {
    load_busybox
    skiff run -d --name r localhost/busybox sleep 60
    skiff exec r sh -c 'echo live > /live; rm /bin/cat'
    run skiff commit -p r localhost/live
    assert_status 0
    [ "$(skiff inspect --format '{{.State.Status}}' r)" = running ]
    run skiff run --rm localhost/live sh -c 'busybox cat /live; test ! -e /bin/cat && echo no-cat'
    [ "$output" = "live
no-cat" ]
    run skiff commit --pause=false -q r
    assert_status 0
    [ "$(skiff inspect --format '{{.State.Status}}' r)" = running ]
    if skiff pause r 2>/dev/null; then
        # Paused by the user: commit leaves it paused.
        run skiff commit -q r
        assert_status 0
        [ "$(skiff inspect --format '{{.State.Status}}' r)" = paused ]
        skiff unpause r
    else
        # No freezer here: an explicit -p says the container was not frozen;
        # the default (pause=true) commits quietly.
        run --separate-stderr skiff commit -p -q r
        assert_status 0
        [[ "$stderr" == "WARNING: cannot pause r ("*"committing it while it runs"* ]]
        run --separate-stderr skiff commit -q r
        assert_status 0
        [ -z "$stderr" ]
    fi
    run skiff commit --squash r localhost/squashed
    assert_status 0
    run skiff image inspect --format '{{len .RootFS.Layers}} {{len .History}}' localhost/squashed
    [ "$output" = "1 1" ]
    run skiff run --rm localhost/squashed sh -c 'busybox cat /live; test ! -e /bin/cat && echo no-cat'
    [ "$output" = "live
no-cat" ]
    skiff rm -f r
}

@test "commit on vfs; commit of a container that never ran" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    make_changed_container
    skiff commit c1 localhost/vfs-commit >/dev/null
    run skiff run --rm localhost/vfs-commit sh -c 'cat /etc/new; test ! -e /bin/ls && echo no-ls; ls -A /home'
    [ "$output" = "new
no-ls
only" ]
    skiff create --name never localhost/busybox true
    run skiff commit -q never localhost/never
    assert_status 0
    run skiff image inspect --format '{{len .RootFS.Layers}}' localhost/never
    [ "$output" = "2" ]
}

@test "hostile symlinks in a container never reach host files (diff, export, commit)" {
    load_busybox
    secret=$BATS_TEST_TMPDIR/host-secret
    echo "host secret" > "$secret"
    chmod 0644 "$secret"
    skiff run --name evil localhost/busybox sh -c "
        ln -s / /hostroot
        ln -s ../../../../../../ /up
        ln -s $secret /abs
        rm -rf /tmp && ln -s $BATS_TEST_TMPDIR /tmp
        mkdir /d && ln -s /etc /d/etc"
    run skiff diff evil
    assert_status 0
    assert_output_contains "A /hostroot"
    assert_output_contains "C /tmp"
    [[ "$output" != *host-secret* ]]
    skiff export -o "$BATS_TEST_TMPDIR/evil.tar" evil
    run tar -tvf "$BATS_TEST_TMPDIR/evil.tar"
    assert_output_contains "hostroot -> /"
    assert_output_contains "tmp -> $BATS_TEST_TMPDIR"
    assert_output_contains "abs -> $secret"
    ! grep -aq "host secret" "$BATS_TEST_TMPDIR/evil.tar"
    skiff commit evil localhost/evil >/dev/null
    skiff commit --squash evil localhost/evil-squash >/dev/null
    for img in localhost/evil localhost/evil-squash; do
        run skiff run --rm "$img" sh -c 'for l in /hostroot /up /abs /tmp; do readlink $l; done; test -f /d/etc/passwd && echo in-image'
        [ "$output" = "/
../../../../../../
$secret
$BATS_TEST_TMPDIR
in-image" ]
    done
    skiff save -o "$BATS_TEST_TMPDIR/evil-img.tar" localhost/evil
    ! grep -aq "host secret" "$BATS_TEST_TMPDIR/evil-img.tar"
    [ "$(cat "$secret")" = "host secret" ]
}

@test "system df counts a vfs container's rootfs copy" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    skiff run --name big localhost/busybox sh -c 'dd if=/dev/zero of=/big bs=1024 count=1024 2>/dev/null'
    run skiff system df --format '{{.Type}}|{{.RawSize}}'
    assert_status 0
    size=$(grep '^Containers|' <<<"$output" | cut -d'|' -f2)
    [ "$size" -gt 1048576 ]
}

@test "vfs: two exports of a never-started container at once both succeed" {
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    skiff create --name fresh localhost/busybox true
    skiff export -o "$BATS_TEST_TMPDIR/a.tar" fresh & a=$!
    skiff export -o "$BATS_TEST_TMPDIR/b.tar" fresh & b=$!
    wait "$a"
    wait "$b"
    [ "$(tar -tf "$BATS_TEST_TMPDIR/a.tar" | sort)" = "$(tar -tf "$BATS_TEST_TMPDIR/b.tar" | sort)" ]
    tar -tf "$BATS_TEST_TMPDIR/a.tar" | grep -q '^bin/busybox$'
    run ls -A "$(ctr_dir fresh)"
    [[ "$output" != *rootfs-tmp* ]]
}

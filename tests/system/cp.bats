#!/usr/bin/env bats
# skiff cp: between the host and running or stopped containers.

bats_require_minimum_version 1.5.0
load helpers

start_box() {
    load_busybox >/dev/null
    skiff run -d --name box localhost/busybox sleep 600 >/dev/null
}

@test "cp: a file into a running container and back" {
    start_box
    echo hello >"$BATS_TEST_TMPDIR/f.txt"
    run skiff cp "$BATS_TEST_TMPDIR/f.txt" box:/tmp/
    assert_status 0
    run skiff exec box cat /tmp/f.txt
    assert_status 0
    [ "$output" = hello ]
    # Files copied in belong to the container's root.
    run skiff exec box stat -c %u:%g /tmp/f.txt
    [ "$output" = 0:0 ]
    run skiff cp box:/tmp/f.txt "$BATS_TEST_TMPDIR/back.txt"
    assert_status 0
    [ "$(cat "$BATS_TEST_TMPDIR/back.txt")" = hello ]
    # Files copied out belong to the caller.
    [ "$(stat -c %u "$BATS_TEST_TMPDIR/back.txt")" = "$(id -u)" ]
}

@test "cp: container cp is the same command" {
    start_box
    run skiff container cp box:/etc/hostname "$BATS_TEST_TMPDIR/hn"
    assert_status 0
    [ -s "$BATS_TEST_TMPDIR/hn" ]
}

@test "cp: Docker's rules for directories, contents and renames" {
    start_box
    src=$BATS_TEST_TMPDIR/data
    mkdir -p "$src/sub"
    echo a >"$src/a"
    echo b >"$src/sub/b"
    # A directory onto a missing path becomes it.
    skiff cp "$src" box:/srv
    run skiff exec box cat /srv/sub/b
    [ "$output" = b ]
    # Into an existing directory: inside it.
    skiff cp "$src" box:/srv
    run skiff exec box cat /srv/data/a
    [ "$output" = a ]
    # SRC/. copies the contents.
    skiff exec box mkdir /contents
    skiff cp "$src/." box:/contents
    run skiff exec box ls /contents
    [ "$output" = "$(printf 'a\nsub')" ]
    # A file onto a missing name takes that name.
    skiff cp "$src/a" box:/renamed
    run skiff exec box cat /renamed
    [ "$output" = a ]
    # Out: the same rules on the host.
    skiff cp box:/srv "$BATS_TEST_TMPDIR/out"
    [ "$(cat "$BATS_TEST_TMPDIR/out/sub/b")" = b ]
    mkdir "$BATS_TEST_TMPDIR/into"
    skiff cp box:/srv/. "$BATS_TEST_TMPDIR/into"
    [ "$(cat "$BATS_TEST_TMPDIR/into/a")" = a ]
}

@test "cp: errors are one line, and nothing is copied" {
    start_box
    echo x >"$BATS_TEST_TMPDIR/f"
    run -125 skiff cp box:/nonexistent "$BATS_TEST_TMPDIR/x"
    assert_one_line_error
    assert_output_contains "No such container:path: box:/nonexistent"
    run -125 skiff cp "$BATS_TEST_TMPDIR/missing" box:/tmp
    assert_one_line_error
    assert_output_contains "no such file or directory"
    run -125 skiff cp "$BATS_TEST_TMPDIR/f" box:/nodir/
    assert_one_line_error
    assert_output_contains "does not exist"
    run -125 skiff cp "$BATS_TEST_TMPDIR/f" nosuchctr:/tmp
    assert_one_line_error
    run -125 skiff cp "$BATS_TEST_TMPDIR/f" "$BATS_TEST_TMPDIR/g"
    assert_one_line_error
    assert_output_contains "name a container"
    mkdir "$BATS_TEST_TMPDIR/d"
    run -125 skiff cp "$BATS_TEST_TMPDIR/d" box:/etc/hostname
    assert_one_line_error
    assert_output_contains "cannot copy a directory"
    run -125 skiff cp box:/etc/hostname/ "$BATS_TEST_TMPDIR/y"
    assert_one_line_error
    assert_output_contains "not a directory"
    [ ! -e "$BATS_TEST_TMPDIR/y" ]
}

@test "cp: odd names, hard links and symlinks survive a round trip" {
    start_box
    src=$BATS_TEST_TMPDIR/odd
    mkdir -p "$src"
    echo space >"$src/with space"
    echo uni >"$src/ünïcødé"
    echo nl >"$src/new
line"
    echo hard >"$src/h1"
    ln "$src/h1" "$src/h2"
    ln -s "with space" "$src/link"
    echo wh >"$src/.wh.not-a-whiteout"
    skiff cp "$src" box:/odd
    run skiff exec box sh -c 'cat "/odd/with space" /odd/ünïcødé; readlink /odd/link; stat -c %h /odd/h1; cat /odd/.wh.not-a-whiteout'
    assert_status 0
    [ "$output" = "$(printf 'space\nuni\nwith space\n2\nwh')" ]
    skiff cp box:/odd "$BATS_TEST_TMPDIR/back"
    [ "$(cat "$BATS_TEST_TMPDIR/back/new
line")" = nl ]
    [ "$(stat -c %i "$BATS_TEST_TMPDIR/back/h1")" = "$(stat -c %i "$BATS_TEST_TMPDIR/back/h2")" ]
    [ "$(readlink "$BATS_TEST_TMPDIR/back/link")" = "with space" ]
}

@test "cp: -L follows a symlink source, without it the link is copied" {
    start_box
    skiff exec box sh -c 'echo target >/tmp/t; ln -s /tmp/t /tmp/l'
    skiff cp box:/tmp/l "$BATS_TEST_TMPDIR/nofollow"
    [ -L "$BATS_TEST_TMPDIR/nofollow" ]
    skiff cp -L box:/tmp/l "$BATS_TEST_TMPDIR/follow"
    [ ! -L "$BATS_TEST_TMPDIR/follow" ]
    [ "$(cat "$BATS_TEST_TMPDIR/follow")" = target ]
}

@test "cp: hostile symlinks in the container never reach the host" {
    start_box
    canary=$BATS_TEST_TMPDIR/canary
    mkdir -p "$canary"
    echo precious >"$canary/file"
    # Links at /, at .., and at the host path of the canary.
    skiff exec box sh -c "ln -s / /tmp/root; ln -s ../../../../../../.. /tmp/dots; ln -s $canary /tmp/abs; mkdir -p $canary; echo inside >$canary/file"
    echo evil >"$BATS_TEST_TMPDIR/evil"
    for dest in /tmp/abs/ /tmp/dots$canary/ /tmp/root$canary/; do
        run skiff cp "$BATS_TEST_TMPDIR/evil" "box:$dest"
        assert_status 0
    done
    [ ! -e "$canary/evil" ]
    [ "$(cat "$canary/file")" = precious ]
    # The copies landed in the container's own tree.
    run skiff exec box cat "$canary/evil"
    [ "$output" = evil ]
    # Reading through the links reads the container's file, not the host's.
    skiff cp box:/tmp/abs/file "$BATS_TEST_TMPDIR/got"
    [ "$(cat "$BATS_TEST_TMPDIR/got")" = inside ]
    skiff cp "box:/tmp/dots$canary/file" "$BATS_TEST_TMPDIR/got2"
    [ "$(cat "$BATS_TEST_TMPDIR/got2")" = inside ]
}

@test "cp: a tar stream on stdin and stdout" {
    start_box
    mkdir -p "$BATS_TEST_TMPDIR/t"
    echo streamed >"$BATS_TEST_TMPDIR/t/s.txt"
    tar -C "$BATS_TEST_TMPDIR/t" -cf "$BATS_TEST_TMPDIR/in.tar" s.txt
    skiff cp - box:/tmp <"$BATS_TEST_TMPDIR/in.tar"
    run skiff exec box cat /tmp/s.txt
    [ "$output" = streamed ]
    skiff cp box:/tmp/s.txt - >"$BATS_TEST_TMPDIR/out.tar"
    run tar -tf "$BATS_TEST_TMPDIR/out.tar"
    [ "$output" = s.txt ]
    # A tar that climbs out of the destination is refused.
    python3 - "$BATS_TEST_TMPDIR/bad.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"x"
    info = tarfile.TarInfo("../../../../escape")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
    run -125 skiff cp - box:/tmp <"$BATS_TEST_TMPDIR/bad.tar"
    assert_output_contains "escape"
}

@test "cp: stopped and created containers" {
    load_busybox >/dev/null
    skiff create --name made localhost/busybox cat /hello >/dev/null
    echo made >"$BATS_TEST_TMPDIR/hello"
    skiff cp "$BATS_TEST_TMPDIR/hello" made:/hello
    run skiff start -a made
    assert_status 0
    [ "$output" = made ]
    skiff cp made:/hello "$BATS_TEST_TMPDIR/again"
    [ "$(cat "$BATS_TEST_TMPDIR/again")" = made ]
}

@test "cp: -a keeps owners" {
    start_box
    skiff exec box sh -c 'echo o >/tmp/owned; chown 1234:4321 /tmp/owned'
    skiff cp box:/tmp/owned "$BATS_TEST_TMPDIR/plain"
    [ "$(stat -c %u "$BATS_TEST_TMPDIR/plain")" = "$(id -u)" ]
    # Out of the container with -a: as root the owners stay (rootless the
    # host user cannot give files away).
    if ! is_rootless; then
        skiff cp -a box:/tmp/owned "$BATS_TEST_TMPDIR/kept"
        [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/kept")" = 1234:4321 ]
    fi
    # Into the container with -a: the tar's owners stay.
    skiff exec box cp /tmp/owned /tmp/copy
    skiff cp box:/tmp/owned - >"$BATS_TEST_TMPDIR/o.tar"
    run tar -tvf "$BATS_TEST_TMPDIR/o.tar"
    assert_output_contains "1234/4321"
    skiff cp -a - box:/srv <"$BATS_TEST_TMPDIR/o.tar" || skiff exec box mkdir /srv
    skiff cp -a - box:/srv <"$BATS_TEST_TMPDIR/o.tar"
    run skiff exec box stat -c %u:%g /srv/owned
    [ "$output" = 1234:4321 ]
    skiff cp - box:/srv <"$BATS_TEST_TMPDIR/o.tar"
    run skiff exec box stat -c %u:%g /srv/owned
    [ "$output" = 0:0 ]
}

@test "cp: into a running container's volume and tmpfs" {
    load_busybox >/dev/null
    skiff run -d --name vbox -v cpvol:/data --tmpfs /scratch localhost/busybox sleep 600 >/dev/null
    echo v >"$BATS_TEST_TMPDIR/v"
    skiff cp "$BATS_TEST_TMPDIR/v" vbox:/data/v
    skiff cp "$BATS_TEST_TMPDIR/v" vbox:/scratch/v
    run skiff exec vbox cat /data/v /scratch/v
    [ "$output" = "$(printf 'v\nv')" ]
    skiff rm -f vbox >/dev/null
    skiff run --rm -v cpvol:/data localhost/busybox cat /data/v
}

@test "cp: a file copied onto a symlink replaces the link, never its target" {
    start_box
    skiff exec box sh -c 'ln -s /etc/passwd /tmp/link; mkdir /tmp/dir'
    echo new >"$BATS_TEST_TMPDIR/f"
    skiff cp "$BATS_TEST_TMPDIR/f" box:/tmp/link
    run skiff exec box sh -c 'test -L /tmp/link || cat /tmp/link; head -1 /etc/passwd'
    [ "$output" = "$(printf 'new\nroot:x:0:0:root:/root:/bin/sh')" ]
    # A file never replaces a directory.
    skiff exec box mkdir -p /tmp/dir/f
    run -125 skiff cp "$BATS_TEST_TMPDIR/f" box:/tmp/dir/
    assert_one_line_error
    assert_output_contains "cannot overwrite the directory"
}

@test "cp: a full disk is a clear error and leaves no half file" {
    load_busybox >/dev/null
    skiff run -d --name small --tmpfs /small:size=1m localhost/busybox sleep 600 >/dev/null
    head -c 3000000 /dev/zero >"$BATS_TEST_TMPDIR/big"
    run -125 skiff cp "$BATS_TEST_TMPDIR/big" small:/small/big
    assert_one_line_error
    assert_output_contains "No space left on device"
    run skiff exec small ls /small
    [ -z "$output" ]
}

@test "cp: a directory swapped for a symlink during copies never leads to the host" {
    start_box
    canary=$BATS_TEST_TMPDIR/swapcanary
    mkdir -p "$canary"
    # Inside the container /tmp/x flips between a directory and a link to
    # the canary's host path (and to /) as fast as it can.
    skiff exec -d box sh -c "mkdir -p $canary; while :; do mkdir -p /tmp/x.d; mv -T /tmp/x.d /tmp/x 2>/dev/null; ln -sfn $canary /tmp/x.l; mv -T /tmp/x.l /tmp/x 2>/dev/null; ln -sfn / /tmp/x.l; mv -T /tmp/x.l /tmp/x 2>/dev/null; done"
    echo evil >"$BATS_TEST_TMPDIR/evil"
    mkdir -p "$BATS_TEST_TMPDIR/evildir"
    echo evil >"$BATS_TEST_TMPDIR/evildir/inner"
    for _ in $(seq 30); do
        skiff cp "$BATS_TEST_TMPDIR/evil" box:/tmp/x/ 2>/dev/null || true
        skiff cp "$BATS_TEST_TMPDIR/evildir" box:/tmp/x/ 2>/dev/null || true
    done
    [ -z "$(ls -A "$canary")" ]
}

@test "cp: a stopped container's volumes and binds are seen as the running container sees them" {
    load_busybox >/dev/null
    bind=$BATS_TEST_TMPDIR/bind
    mkdir -p "$bind"
    echo b >"$bind/bfile"
    skiff run --name ctr -v named:/v -v /anon -v "$bind:/b" -v "$bind:/rob:ro" localhost/busybox \
        sh -c 'echo hi >/v/existing; echo a >/anon/aexisting' >/dev/null
    # Out of a named volume, an anonymous one and a bind (issue 16).
    skiff cp ctr:/v/existing "$BATS_TEST_TMPDIR/out1"
    [ "$(cat "$BATS_TEST_TMPDIR/out1")" = hi ]
    skiff cp ctr:/anon/aexisting "$BATS_TEST_TMPDIR/out2"
    [ "$(cat "$BATS_TEST_TMPDIR/out2")" = a ]
    skiff cp ctr:/b/bfile "$BATS_TEST_TMPDIR/out3"
    [ "$(cat "$BATS_TEST_TMPDIR/out3")" = b ]
    run skiff cp ctr:/v/. - 
    assert_status 0
    # Into the volume, not the rootfs under it.
    echo new >"$BATS_TEST_TMPDIR/f"
    skiff cp "$BATS_TEST_TMPDIR/f" ctr:/v/newfile
    mkdir -p "$BATS_TEST_TMPDIR/d" && echo inner >"$BATS_TEST_TMPDIR/d/inner"
    skiff cp "$BATS_TEST_TMPDIR/d" ctr:/anon/
    run skiff run --rm -v named:/v localhost/busybox cat /v/newfile
    [ "$output" = new ]
    run skiff diff ctr
    [[ $output != */v/newfile* ]]
    [[ $output != */anon/d* ]]
    run skiff start -a ctr
    run skiff run --rm --volumes-from ctr localhost/busybox cat /anon/d/inner /b/bfile
    [ "$output" = "$(printf 'inner\nb')" ]
    # Into a bind: the host directory; a read-only one refuses.
    skiff cp "$BATS_TEST_TMPDIR/f" ctr:/b/fromcp
    [ "$(cat "$bind/fromcp")" = new ]
    run -125 skiff cp "$BATS_TEST_TMPDIR/f" ctr:/rob/ro
    assert_one_line_error
    assert_output_contains "Read-only file system"
    [ ! -e "$bind/ro" ]
}

@test "cp: a created container's volume gets the image's content first, as its first start would" {
    load_busybox >/dev/null
    skiff create --name made -v /etc localhost/busybox sh -c 'cat /etc/motd /etc/added' >/dev/null
    run skiff cp made:/etc/motd -
    assert_status 0
    assert_output_contains "skiff test image"
    echo added >"$BATS_TEST_TMPDIR/added"
    skiff cp "$BATS_TEST_TMPDIR/added" made:/etc/added
    run skiff start -a made
    assert_status 0
    [ "$output" = "$(printf 'skiff test image\nadded')" ]
}

@test "cp: a stopped container's symlinks never lead out of its volumes or rootfs" {
    load_busybox >/dev/null
    canary=$BATS_TEST_TMPDIR/stopcanary
    mkdir -p "$canary"
    echo precious >"$canary/file"
    # An image whose /lnk points at the canary's host path; a volume is
    # mounted there, and the volume holds links to / and up.
    skiff run --name base localhost/busybox sh -c "mkdir -p $canary; ln -s $canary /lnk" >/dev/null
    skiff commit -q base localhost/linked >/dev/null
    skiff run --name ctr -v vol:/lnk -v vol2:/data localhost/linked \
        sh -c "ln -s / /data/root; ln -s ../../../../.. /data/up; echo inside >/data/file" >/dev/null
    echo evil >"$BATS_TEST_TMPDIR/evil"
    for dest in /lnk/ /data/root$canary/ /data/up$canary/; do
        run skiff cp "$BATS_TEST_TMPDIR/evil" "ctr:$dest"
        assert_status 0
    done
    [ "$(ls -A "$canary")" = file ]
    [ "$(cat "$canary/file")" = precious ]
    # Reading through the links reads the container's files.
    skiff cp ctr:/data/root/data/file "$BATS_TEST_TMPDIR/got"
    [ "$(cat "$BATS_TEST_TMPDIR/got")" = inside ]
    skiff cp "ctr:/data/up$canary/evil" "$BATS_TEST_TMPDIR/got2"
    [ "$(cat "$BATS_TEST_TMPDIR/got2")" = evil ]
    # What went to /lnk, and through the links to the canary's path, is in
    # the volume mounted there.
    run skiff run --rm -v vol:/x localhost/busybox cat /x/evil
    [ "$output" = evil ]
}

#!/usr/bin/env bats
# load, save, import, images, inspect, tag, rmi, prune, history, exists.

load helpers
bats_require_minimum_version 1.5.0

@test "load a docker-archive" {
    run skiff load -i "$TEST_IMAGES/docker-archive.tar"
    assert_status 0
    [ "$output" = "Loaded image: localhost/busybox:latest" ]
    run skiff images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    [ "$output" = "localhost/busybox:latest $(busybox_id | cut -c1-12)" ]
}

@test "load from stdin, and the image ID equals the config digest" {
    skiff load < "$TEST_IMAGES/docker-archive.tar"
    run skiff image inspect --format '{{.Id}}' localhost/busybox
    [ "$output" = "sha256:$(busybox_id)" ]
}

@test "load an OCI layout directory and an oci-archive" {
    run skiff load -i "$TEST_IMAGES/oci"
    assert_status 0
    tar -C "$TEST_IMAGES/oci" -cf "$BATS_TEST_TMPDIR/oci.tar" .
    run skiff load -i "$BATS_TEST_TMPDIR/oci.tar"
    assert_status 0
    run skiff images -q
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
}

@test "load of a gzip-compressed archive" {
    gzip -c "$TEST_IMAGES/docker-archive.tar" > "$BATS_TEST_TMPDIR/a.tar.gz"
    run skiff load -i "$BATS_TEST_TMPDIR/a.tar.gz"
    assert_status 0
    assert_output_contains "localhost/busybox:latest"
}

@test "load refuses garbage and a terminal, leaving nothing behind" {
    head -c 10000 /dev/urandom > "$BATS_TEST_TMPDIR/junk.tar"
    run skiff load -i "$BATS_TEST_TMPDIR/junk.tar"
    assert_status 125
    run skiff images -q
    [ -z "$output" ]
    [ -z "$(ls -A "$SKIFF_ROOT/layers" 2>/dev/null)" ]
    run skiff load -i /nonexistent.tar
    assert_status 125
    assert_output_contains "/nonexistent.tar"
}

@test "load refuses an archive whose layer does not match the config" {
    d=$BATS_TEST_TMPDIR/bad
    mkdir -p "$d" && tar -C "$d" -xf "$TEST_IMAGES/docker-archive.tar"
    layer=$(ls "$d"/*/layer.tar)
    echo tampered > "$BATS_TEST_TMPDIR/x" && tar -C "$BATS_TEST_TMPDIR" -rf "$layer" x
    tar -C "$d" -cf "$BATS_TEST_TMPDIR/bad.tar" .
    run skiff load -i "$BATS_TEST_TMPDIR/bad.tar"
    assert_status 125
    assert_output_contains "diff ID"
    run skiff images -q
    [ -z "$output" ]
}

# Hostile archives come from the reliability suite's generator.
hostile() {  # CASE: writes $BATS_TEST_TMPDIR/CASE.tar
    python3 "$BATS_TEST_DIRNAME/../reliability/lib/hostile_archives.py" one "$1" "$BATS_TEST_TMPDIR/$1.tar" \
        "$BATS_TEST_TMPDIR/canary"
}

@test "load checks each image's diff IDs against the layer read, even a layer two images share" {
    # Two manifest entries name one layer file; the second claims another
    # layer's diff ID (issue 16). Neither image may be stored.
    for c in shared-layer-lying-diffid oci-shared-layer-lying-diffid duplicate-layer-member; do
        hostile $c
        run -125 skiff load -i "$BATS_TEST_TMPDIR/$c.tar"
        assert_one_line_error
        assert_output_contains "diff ID"
        run skiff images -q
        [ -z "$output" ]
        [ -z "$(ls -A "$SKIFF_ROOT/layers" 2>/dev/null)" ]
    done
}

@test "load: a manifest of the wrong shape, an empty layer and lying descriptors are one clear error" {
    for c in manifest-list-of-lists:"manifest.json entry 1 is not an object" \
             manifest-not-a-list:"manifest.json is not a list" \
             layer-empty-file:"layer l/layer.tar is empty" \
             oci-layer-empty-blob:"is empty" \
             oci-index-list-of-lists:"index.json manifests entry 1 is not an object" \
             oci-layer-size-lie:"its descriptor says 1099511627776" \
             config-diffid-path:"unsupported digest"; do
        hostile "${c%%:*}"
        run -125 skiff load -i "$BATS_TEST_TMPDIR/${c%%:*}.tar"
        assert_one_line_error
        assert_output_contains "${c#*:}"
        [[ $output != *json.exception* ]]
    done
}

@test "load: images sharing a base layer, and one empty layer at two places, load" {
    hostile shared-layer-honest
    run skiff load -i "$BATS_TEST_TMPDIR/shared-layer-honest.tar"
    assert_status 0
    [ "${lines[1]}" = "Loaded image: localhost/second:1" ]
    run skiff image inspect --format '{{len .RootFS.Layers}}' localhost/first:1 localhost/second:1
    [ "$output" = "$(printf '1\n2')" ]
    hostile empty-layer-twice
    run skiff load -i "$BATS_TEST_TMPDIR/empty-layer-twice.tar"
    assert_status 0
    run skiff image inspect --format '{{len .RootFS.Layers}}' localhost/hostile:latest
    [ "$output" = 3 ]
}

@test "images: columns, -q, --no-trunc, --digests, --format json, filters" {
    load_busybox
    run skiff images
    assert_status 0
    [[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
    [[ "${lines[1]}" == localhost/busybox*latest* ]]
    run skiff images --noheading
    [ "${#lines[@]}" -eq 1 ]
    run skiff images --no-trunc -q
    [ "$output" = "sha256:$(busybox_id)" ]
    run skiff images --digests
    [[ "${lines[0]}" == *DIGEST* ]]
    run skiff images --format json
    echo "$output" | jq -e '.Repository == "localhost/busybox"'
    skiff tag localhost/busybox localhost/other:2
    run skiff images --filter reference=localhost/other -q
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
    run skiff images --filter reference='*/busy*' --format '{{.Tag}}'
    [ "$output" = "latest" ]
    run skiff images --filter dangling=true -q
    [ -z "$output" ]
    run skiff images --filter bogus=1
    assert_status 125
    assert_output_contains "invalid filter 'bogus'"
    run skiff images localhost/other --format '{{.Repository}}'
    [ "$output" = "localhost/other" ]
}

@test "image inspect shows Docker's keys" {
    load_busybox
    run skiff image inspect localhost/busybox
    assert_status 0
    echo "$output" | jq -e '.[0].Id == "sha256:'"$(busybox_id)"'"'
    echo "$output" | jq -e '.[0].RepoTags == ["localhost/busybox:latest"]'
    echo "$output" | jq -e '.[0].RootFS.Layers | length == 1'
    echo "$output" | jq -e '.[0].Config.Cmd == ["sh"]'
    echo "$output" | jq -e '.[0].Os == "linux" and (.[0].Size > 0)'
    run skiff image inspect --format '{{.Config.Cmd}} {{.Architecture}}' busybox
    [ "$output" = "[sh] amd64" ]
    run skiff image inspect nosuch
    assert_status 125
    assert_output_contains "no such image: nosuch"
}

@test "short names find localhost images; IDs and prefixes resolve" {
    load_busybox
    id=$(busybox_id)
    run skiff image inspect --format '{{.Id}}' busybox
    [ "$output" = "sha256:$id" ]
    run skiff image inspect --format '{{.Id}}' "${id:0:5}"
    [ "$output" = "sha256:$id" ]
    run skiff image inspect --format '{{.Id}}' "sha256:$id"
    [ "$output" = "sha256:$id" ]
}

@test "tag and rmi: untag a name, then delete" {
    load_busybox
    skiff tag busybox example.com/team/bb:v1 localhost/bb2
    run skiff images --format '{{.Repository}}:{{.Tag}}'
    assert_output_contains "example.com/team/bb:v1"
    assert_output_contains "localhost/bb2:latest"
    run skiff rmi example.com/team/bb:v1
    assert_status 0
    [ "$output" = "Untagged: example.com/team/bb:v1" ]
    run skiff rmi "$(busybox_id)"
    assert_status 125
    assert_output_contains "referenced in multiple repositories"
    run skiff rmi -f "$(busybox_id)"
    assert_status 0
    assert_output_contains "Untagged: localhost/busybox:latest"
    assert_output_contains "Deleted: sha256:$(busybox_id)"
    run skiff images -q
    [ -z "$output" ]
    [ -z "$(ls -A "$SKIFF_ROOT/layers")" ]
}

@test "rmi of a missing image exits 1; several at once" {
    load_busybox
    skiff tag busybox localhost/a localhost/b
    run skiff rmi localhost/a localhost/b
    assert_status 0
    run skiff rmi nosuch
    assert_status 1
    assert_output_contains "nosuch"
}

@test "tag refuses bad names" {
    load_busybox
    run skiff tag busybox 'Bad/Name'
    assert_status 125
    assert_output_contains "invalid reference format"
    run skiff tag nosuch x
    assert_status 125
}

@test "image exists" {
    run skiff image exists localhost/busybox
    assert_status 1
    load_busybox
    run skiff image exists localhost/busybox
    assert_status 0
}

@test "history lists the layers" {
    load_busybox
    run skiff history busybox
    assert_status 0
    [[ "${lines[0]}" == IMAGE*CREATED*"CREATED BY"*SIZE*COMMENT ]]
    assert_output_contains "mkimage.sh: busybox-static"
    run skiff history -q busybox
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
    run skiff history --no-trunc --format '{{.ID}}' busybox
    [ "$output" = "sha256:$(busybox_id)" ]
    run skiff history -H=false --format '{{.Size}}' busybox
    [[ "$output" =~ ^[0-9]+$ ]]
}

@test "import a root filesystem tarball with --change and --message" {
    run skiff import --change 'CMD ["/bin/sh"]' --change 'ENV FOO=bar' -m "first" "$TEST_IMAGES/layer.tar" localhost/imported:1
    assert_status 0
    [[ "$output" == sha256:* ]]
    run skiff image inspect --format '{{.Config.Cmd}} {{.Config.Env}} {{.Comment}}' localhost/imported:1
    [ "$output" = "[/bin/sh] [FOO=bar] first" ]
    run skiff history --format '{{.Comment}}' localhost/imported:1
    [ "$output" = "first" ]
    cat "$TEST_IMAGES/layer.tar" | skiff import - localhost/fromstdin
    run skiff image exists localhost/fromstdin
    assert_status 0
    run skiff import --change 'RUN x' "$TEST_IMAGES/layer.tar"
    assert_status 125
    assert_output_contains "must be one of"
}

@test "import from a URL: plain and gzip tarballs over HTTP; a 404 and a refused connection are clear errors" {
    mkdir "$BATS_TEST_TMPDIR/www"
    cp "$TEST_IMAGES/layer.tar" "$BATS_TEST_TMPDIR/www/rootfs.tar"
    gzip -c "$TEST_IMAGES/layer.tar" > "$BATS_TEST_TMPDIR/www/rootfs.tgz"
    port=$(free_port)
    python3 -m http.server --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR/www" "$port" >/dev/null 2>&1 3>&- &
    TEST_SERVER_PID=$!
    wait_http "http://127.0.0.1:$port/" >/dev/null
    run skiff import "http://127.0.0.1:$port/rootfs.tgz" example/imagerepo
    assert_status 0
    [[ "$output" == sha256:* ]]
    run skiff import -m fromurl "http://127.0.0.1:$port/rootfs.tar"
    assert_status 0
    id=$output
    run skiff history --format '{{.Comment}}' "$id"
    [ "$output" = fromurl ]
    run skiff run --rm example/imagerepo ls /bin/busybox
    assert_status 0
    run skiff import "http://127.0.0.1:$port/missing.tar" example/missing
    assert_status 125
    assert_one_line_error
    assert_output_contains "HTTP 404"
    kill "$TEST_SERVER_PID"
    wait "$TEST_SERVER_PID" 2>/dev/null || true
    unset TEST_SERVER_PID
    run skiff import "http://127.0.0.1:$port/rootfs.tar" example/refused
    assert_status 125
    assert_one_line_error
    run skiff image exists example/missing
    assert_status 1
}

@test "save and load round trip: docker-archive, oci-archive, oci-dir" {
    load_busybox
    skiff save -o "$BATS_TEST_TMPDIR/d.tar" busybox
    skiff save --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" busybox
    skiff save --format oci-dir -o "$BATS_TEST_TMPDIR/odir" busybox
    skiff save busybox > "$BATS_TEST_TMPDIR/stdout.tar"
    tar -tf "$BATS_TEST_TMPDIR/d.tar" | grep -q manifest.json
    tar -tf "$BATS_TEST_TMPDIR/o.tar" | grep -q index.json
    for src in "$BATS_TEST_TMPDIR/d.tar" "$BATS_TEST_TMPDIR/o.tar" "$BATS_TEST_TMPDIR/odir" "$BATS_TEST_TMPDIR/stdout.tar"; do
        setup_store
        run skiff load -i "$src"
        assert_status 0
        run skiff image inspect --format '{{.Id}}' localhost/busybox
        [ "$output" = "sha256:$(busybox_id)" ]
    done
}

@test "save several images into one archive" {
    load_busybox
    skiff import "$TEST_IMAGES/layer.tar" localhost/second
    skiff save -o "$BATS_TEST_TMPDIR/two.tar" busybox localhost/second
    setup_store
    run skiff load -i "$BATS_TEST_TMPDIR/two.tar"
    assert_output_contains "localhost/busybox:latest"
    assert_output_contains "localhost/second:latest"
}

@test "save refuses a terminal and unknown formats" {
    load_busybox
    run skiff save --format tgz -o x.tar busybox
    assert_status 125
    assert_output_contains "unsupported format"
    run skiff save -o "$BATS_TEST_TMPDIR/x.tar" nosuch
    assert_status 125
    [ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
}

@test "image prune removes dangling images; -a removes unused ones" {
    load_busybox
    skiff import "$TEST_IMAGES/layer.tar" localhost/tmp
    skiff tag localhost/busybox localhost/busybox:keep
    skiff rmi localhost/tmp  # deletes it outright
    skiff import "$TEST_IMAGES/layer.tar" localhost/dangling
    skiff import --change 'ENV X=1' "$TEST_IMAGES/layer.tar" localhost/dangling  # the first becomes <none>
    run skiff images --filter dangling=true -q
    [ "${#lines[@]}" -eq 1 ]
    run skiff image prune -f
    assert_status 0
    assert_output_contains "deleted: sha256:"
    run skiff images --filter dangling=true -q
    [ -z "$output" ]
    run skiff image prune -a -f
    assert_status 0
    run skiff images -q
    [ -z "$output" ]
}

@test "image ls and image list are aliases of images" {
    load_busybox
    run skiff image ls -q
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
    run skiff image list -q
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
}

@test "concurrent loads, tags and rmis keep the store consistent" {
    pids=()
    for i in $(seq 1 8); do
        skiff load -q -i "$TEST_IMAGES/docker-archive.tar" & pids+=($!)
    done
    wait "${pids[@]}"
    pids=()
    for i in $(seq 1 20); do skiff tag busybox "localhost/t$i" & pids+=($!); done
    wait "${pids[@]}"
    run skiff images --format '{{.Repository}}'
    [ "${#lines[@]}" -eq 21 ]
    pids=()
    for i in $(seq 1 20); do skiff rmi "localhost/t$i" >/dev/null & pids+=($!); done
    wait "${pids[@]}"
    run skiff images --format '{{.Repository}}'
    [ "$output" = "localhost/busybox" ]
    [ "$(ls "$SKIFF_ROOT/layers" | wc -l)" -eq 1 ]
}

@test "a load killed midway leaves no visible image and its debris is cleaned" {
    big=$BATS_TEST_TMPDIR/big.tar
    d=$BATS_TEST_TMPDIR/bigimg
    mkdir -p "$d/rootfs"
    head -c 200000000 /dev/zero > "$d/rootfs/blob"
    tar -C "$d/rootfs" -cf "$d/layer.tar" .
    # Half the tar arrives, then the sender stalls: the kill lands midway
    # however fast the machine unpacks.
    mkfifo "$d/fifo"
    skiff import - localhost/big <"$d/fifo" & pid=$!
    exec 8>"$d/fifo"
    head -c 100000000 "$d/layer.tar" >&8
    sleep 0.5
    kill -9 $pid
    wait $pid || true
    exec 8>&-
    run skiff images -q
    [ -z "$output" ]
    load_busybox
    # The killed command's namespace child dies asynchronously (PDEATHSIG):
    # once it is gone, the next prune sweeps its debris.
    for i in $(seq 30); do
        skiff image prune -f >/dev/null
        [ -z "$(ls -A "$SKIFF_ROOT/tmp" 2>/dev/null)" ] && break
        sleep 0.2
    done
    [ -z "$(ls -A "$SKIFF_ROOT/tmp" 2>/dev/null)" ]
}

@test "unshare: root in the user namespace, subordinate IDs mapped" {
    run skiff unshare id -u
    assert_status 0
    [ "$output" = 0 ]
    if is_rootless && grep -q "^$(id -un):" /etc/subuid; then
        run skiff unshare cat /proc/self/uid_map
        [ "${#lines[@]}" -eq 2 ]
    fi
    run skiff unshare sh -c 'echo $SKIFF_ROOT'
    [ "$output" = "$SKIFF_ROOT" ]
    run -127 skiff unshare /nonexistent/cmd
    assert_status 127
}

@test "rootless: image files keep their owners in the user namespace" {
    is_rootless || skip "rootless only"
    load_busybox
    # www (33) owns nothing in the test image; make an image where it does.
    d=$BATS_TEST_TMPDIR/own
    mkdir -p "$d"
    tar --owner=33 --group=33 --numeric-owner -C "$TEST_IMAGES/rootfs" -cf "$d/l.tar" ./etc/motd
    skiff import "$d/l.tar" localhost/owned
    layer=$(skiff image inspect --format '{{.GraphDriver.Data.LowerDir}}' localhost/owned)
    run skiff unshare stat -c %u "$layer/etc/motd"
    [ "$output" = 33 ]
}

@test "image prune asks once and reads the answer from stdin" {
    load_busybox
    skiff import "$TEST_IMAGES/layer.tar" localhost/d1 >/dev/null
    skiff import --change 'ENV X=1' "$TEST_IMAGES/layer.tar" localhost/d1 >/dev/null
    run bash -c "echo y | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' image prune"
    assert_status 0
    [ "$(grep -c 'Are you sure' <<<"$output")" -eq 1 ]
    assert_output_contains "deleted: sha256:"
    run bash -c "echo n | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' image prune -a"
    run skiff images -q
    [ -n "$output" ]
}

@test "images --format with .Names lists every name of the image" {
    load_busybox
    skiff tag busybox localhost/second
    run skiff images --format '{{.Repository}} {{len .Names}}'
    assert_output_contains "localhost/busybox 2"
}

# Layers are committed before they reach the disk; a detached flusher
# syncs and clears their mark. A mark left by an earlier boot means the
# machine went down first: the image is dropped rather than served torn.
layer_marks() {
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(','.join(str(r[0]) for r in c.execute('select unsynced_boot from layers')))" "$SKIFF_ROOT/skiff.db"
}

@test "load: layers are flushed behind the command's back" {
    load_busybox
    for _ in $(seq 50); do
        [ "$(layer_marks)" = None ] && break
        sleep 0.1
    done
    [ "$(layer_marks)" = None ]
}

@test "an image a crash left unflushed is removed with a warning" {
    load_busybox
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update layers set unsynced_boot='an-earlier-boot'\"); c.commit()" "$SKIFF_ROOT/skiff.db"
    run skiff images --format '{{.Repository}}'
    assert_status 0
    assert_output_contains "WARNING: image localhost/busybox:latest was not completely on disk when the machine went down"
    run skiff images -q
    [ -z "$output" ]
    # The store stays usable: the same image loads again.
    load_busybox
    run skiff run --rm localhost/busybox true
    assert_status 0
}

@test "an unflushed image a container uses is kept, with a warning" {
    load_busybox
    skiff create --name keeper localhost/busybox true >/dev/null
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update layers set unsynced_boot='an-earlier-boot'\"); c.commit()" "$SKIFF_ROOT/skiff.db"
    run skiff images --format '{{.Repository}}'
    assert_output_contains "its containers may see damaged files"
    run skiff images --format '{{.Repository}}'
    [ "$output" = localhost/busybox ]
}

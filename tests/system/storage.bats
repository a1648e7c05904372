#!/usr/bin/env bats
# system df, system reset, and the store's storage driver.

load helpers

# A two-layer docker-archive "localhost/two:latest": the busybox layer of
# the test image plus a layer with one 10,000-byte file, so that it shares
# its base with localhost/busybox.
make_two_layer_archive() {
    local out=$1 d=$BATS_TEST_TMPDIR/two
    mkdir -p "$d/top/data" "$d/arch"
    head -c 10000 /dev/zero > "$d/top/data/file"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d/top" -cf "$d/top.tar" .
    local base_id top_id
    base_id=$(sha256sum "$TEST_IMAGES/layer.tar" | cut -d' ' -f1)
    top_id=$(sha256sum "$d/top.tar" | cut -d' ' -f1)
    mkdir -p "$d/arch/$base_id" "$d/arch/$top_id"
    cp "$TEST_IMAGES/layer.tar" "$d/arch/$base_id/layer.tar"
    cp "$d/top.tar" "$d/arch/$top_id/layer.tar"
    local config
    config=$(printf '{"architecture":"amd64","os":"linux","created":"2024-02-01T00:00:00Z","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' "$base_id" "$top_id")
    local cid
    cid=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
    printf '%s' "$config" > "$d/arch/$cid.json"
    printf '[{"Config":"%s.json","RepoTags":["localhost/two:latest"],"Layers":["%s/layer.tar","%s/layer.tar"]}]' \
        "$cid" "$base_id" "$top_id" > "$d/arch/manifest.json"
    tar -C "$d/arch" -cf "$out" .
}

# The df row for TYPE as "TOTAL ACTIVE SIZE RECLAIMABLE".
df_row() {
    skiff system df --format '{{.Type}}|{{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}' | grep "^$1|" | cut -d'|' -f2
}

@test "system df: Docker's four rows on an empty store" {
    run skiff system df
    assert_status 0
    [[ "${lines[0]}" == TYPE*TOTAL*ACTIVE*SIZE*RECLAIMABLE ]]
    [[ "${lines[1]}" == Images*0*0*0B*0B ]]
    [[ "${lines[2]}" == Containers*0*0*0B*0B ]]
    [[ "${lines[3]}" == "Local Volumes"*0*0*0B*0B ]]
    [[ "${lines[4]}" == "Build Cache"*0*0*0B*0B ]]
    [ "${#lines[@]}" -eq 5 ]
}

@test "system df: images, with unused ones reclaimable; --format template and json" {
    load_busybox
    size=$(skiff images --format '{{.Size}}')
    run df_row Images
    [ "$output" = "1 0 $size $size (100%)" ]
    # Another name for the same image is not another image.
    skiff tag localhost/busybox localhost/again:1
    run df_row Images
    [ "$output" = "1 0 $size $size (100%)" ]
    run skiff system df --format json
    assert_status 0
    [ "${#lines[@]}" -eq 4 ]
    echo "${lines[0]}" | jq -e '.Type == "Images" and .TotalCount == "1" and .Active == "0" and .RawSize > 2000000'
    echo "${lines[3]}" | jq -e '.Type == "Build Cache" and .Reclaimable == "0B"'
}

@test "system df: shared layers count once; -v shows shared and unique sizes" {
    load_busybox
    make_two_layer_archive "$BATS_TEST_TMPDIR/two.tar"
    skiff load -q -i "$BATS_TEST_TMPDIR/two.tar"
    # Layer sizes are those of their tar streams.
    raw=$(skiff system df --format json | jq -r 'select(.Type == "Images") | .RawSize')
    base=$(skiff image inspect --format '{{.Size}}' localhost/busybox)
    top=$(stat -c %s "$BATS_TEST_TMPDIR/two/top.tar")
    [ "$raw" -eq $((base + top)) ]
    [ "$(skiff image inspect --format '{{.Size}}' localhost/two)" -eq $((base + top)) ]
    run skiff system df -v
    assert_status 0
    [ "${lines[0]}" = "Images space usage:" ]
    [[ "${lines[1]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE*"SHARED SIZE"*"UNIQUE SIZE"*CONTAINERS ]]
    assert_output_contains "Containers space usage:"
    assert_output_contains "Local Volumes space usage:"
    assert_output_contains "Build cache usage: 0B"
    run skiff system df -v --format json
    assert_status 0
    echo "$output" | jq -e '.Images | length == 2'
    echo "$output" | jq -e '.Images[] | select(.Repository == "localhost/two") | .UniqueSize == "20.48kB"'
    base_h=$(skiff images --format '{{.Size}}' localhost/busybox)
    echo "$output" | jq -e --arg b "$base_h" '.Images[] | select(.Repository == "localhost/two") | .SharedSize == $b'
    echo "$output" | jq -e '.Images[] | select(.Repository == "localhost/busybox") | .UniqueSize == "0B"'
    run skiff system df -v --format '{{.Type}}'
    assert_status 125
    assert_one_line_error
}

@test "system df: containers make their image active; stopped ones are reclaimable" {
    load_busybox
    skiff create --name idle localhost/busybox true >/dev/null
    run df_row Images
    [[ "$output" == "1 1 "*" 0B (0%)" ]]
    run df_row Containers
    [ "$output" = "1 0 0B 0B" ]
    skiff run --name writer localhost/busybox sh -c 'head -c 50000 /dev/zero > /tmp/blob'
    run df_row Containers
    [ "$output" = "2 0 50kB 50kB (100%)" ]
    run skiff system df -v --format json
    echo "$output" | jq -e '.Containers[] | select(.Names == "writer") | .Size == "50kB"'
    echo "$output" | jq -e '.Images[0].Containers == 2'
    skiff rm writer idle >/dev/null
    run df_row Containers
    [ "$output" = "0 0 0B 0B" ]
}

@test "system reset: asks first, and no answer keeps everything" {
    load_busybox
    run skiff system reset < /dev/null
    assert_status 0
    assert_output_contains "WARNING! This will remove:"
    assert_output_contains "- all containers"
    assert_output_contains "- all volumes"
    assert_output_contains "the graphRoot directory: \"$SKIFF_ROOT\""
    assert_output_contains "the runRoot directory: \"$SKIFF_RUNROOT\""
    assert_output_contains "Are you sure you want to continue? [y/N]"
    run skiff images -q
    [ -n "$output" ]
    echo n | skiff system reset >/dev/null
    run skiff images -q
    [ -n "$output" ]
}

@test "system reset: removes images, containers and all store content" {
    load_busybox
    skiff create --name idle localhost/busybox true >/dev/null
    echo y | skiff system reset >/dev/null
    [ -z "$(ls -A "$SKIFF_ROOT")" ]
    [ -z "$(ls -A "$SKIFF_RUNROOT")" ]
    run skiff images -q
    assert_status 0
    [ -z "$output" ]
    run skiff ps -a -q
    [ -z "$output" ]
    # The store works again afterwards.
    load_busybox
    run skiff images -q
    [ "$output" = "$(busybox_id | cut -c1-12)" ]
}

@test "system reset -f: stops running containers first" {
    load_busybox
    skiff run -d --name sleeper localhost/busybox sleep 1000 >/dev/null
    pid=$(skiff inspect --format '{{.State.Pid}}' sleeper)
    [ "$pid" -gt 0 ]
    run skiff system reset -f
    assert_status 0
    [ -z "$output" ]
    ! kill -0 "$pid" 2>/dev/null
    [ -z "$(ls -A "$SKIFF_ROOT")" ]
}

@test "system reset -f: files of subordinate IDs go too" {
    is_rootless || skip "rootless only"
    grep -q "^$(id -un):" /etc/subuid || skip "no subordinate IDs for $(id -un)"
    d=$BATS_TEST_TMPDIR/own
    mkdir -p "$d/x/locked"
    echo data > "$d/x/locked/file"
    chmod 0500 "$d/x/locked"
    tar --owner=33 --group=33 --numeric-owner -C "$d" -cf "$d/l.tar" ./x
    skiff import "$d/l.tar" localhost/owned >/dev/null
    skiff system reset -f
    [ -z "$(ls -A "$SKIFF_ROOT")" ]
}

@test "system reset -f: unmounts what is mounted under runroot first" {
    is_rootless && skip "a rootless user cannot mount on the host"
    mkdir -p "$SKIFF_RUNROOT/m/inner"
    mount -t tmpfs tmpfs "$SKIFF_RUNROOT/m/inner"
    echo keep > "$SKIFF_RUNROOT/m/inner/file"
    run skiff system reset -f
    assert_status 0
    ! mountpoint -q "$SKIFF_RUNROOT/m/inner" 2>/dev/null
    [ -z "$(ls -A "$SKIFF_RUNROOT")" ]
}

@test "storage driver: recorded by the first command, shown by info, kept until reset" {
    run skiff info --format '{{.Store.GraphStatus.Source}}'
    [[ "$output" == detected || "$output" == requested ]]
    skiff --storage-driver vfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff info --format '{{.Driver}} {{.Store.GraphDriverName}} {{.Store.GraphStatus.Source}}'
    [ "$output" = "vfs vfs store" ]
    # Without a flag the store's driver is used; another one is refused.
    skiff load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff --storage-driver fuse-overlayfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    assert_status 125
    assert_one_line_error
    assert_output_contains "created with the vfs storage driver, not fuse-overlayfs"
    assert_output_contains "system reset"
    run skiff --storage-driver fuse-overlayfs info
    assert_status 0
    assert_output_contains "Storage Driver: vfs"
    assert_output_contains "Mismatch: fuse-overlayfs is configured"
    # A reset is how a store changes driver.
    skiff --storage-driver fuse-overlayfs system reset -f
    skiff --storage-driver fuse-overlayfs load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff info --format '{{.Driver}}'
    [ "$output" = "fuse-overlayfs" ]
}

@test "storage driver: skiff.conf [storage] driver chooses for a fresh store" {
    conf=$BATS_TEST_TMPDIR/skiff.conf
    printf '[storage]\ndriver = "vfs"\n' > "$conf"
    run skiff --config "$conf" info --format '{{.Driver}} {{.Store.GraphStatus.Source}}'
    [ "$output" = "vfs requested" ]
    skiff --config "$conf" load -q -i "$TEST_IMAGES/docker-archive.tar"
    run skiff info --format '{{.Driver}} {{.Store.GraphStatus.Source}}'
    [ "$output" = "vfs store" ]
}

@test "storage driver: a fresh store detects one, and layers are unpacked for it" {
    load_busybox
    run skiff info --format '{{.Driver}} {{.Store.GraphStatus.Source}}'
    [[ "$output" =~ ^(overlay|fuse-overlayfs|vfs)\ store$ ]]
    # The probe's answer is cached in the runroot, per boot.
    [ -n "$(ls "$SKIFF_RUNROOT/probe")" ]
    layer=$(skiff image inspect --format '{{.GraphDriver.Data.LowerDir}}' localhost/busybox)
    run skiff unshare cat "$layer/etc/motd"
    [ "$output" = "skiff test image" ]
}

@test "system df: local volumes, linked by containers, unused ones reclaimable" {
    load_busybox
    skiff volume create idle >/dev/null
    skiff run --name writer -v used:/data localhost/busybox sh -c 'head -c 30000 /dev/zero > /data/blob'
    skiff run --rm -v idle:/data localhost/busybox sh -c 'head -c 20000 /dev/zero > /data/blob'
    run df_row "Local Volumes"
    [ "$output" = "2 1 50kB 20kB (40%)" ]
    run skiff system df -v --format json
    echo "$output" | jq -e '.Volumes[] | select(.Name == "used") | .Links == 1 and .Size == "30kB"'
    echo "$output" | jq -e '.Volumes[] | select(.Name == "idle") | .Links == 0 and .Size == "20kB"'
    echo "$output" | jq -e '.Containers[] | select(.Names == "writer") | .LocalVolumes == 1'
    run skiff system df -v
    assert_output_contains "Local Volumes space usage:"
    [[ "$output" == *VOLUME\ NAME*LINKS*SIZE* ]]
    skiff rm writer >/dev/null
    run df_row "Local Volumes"
    [ "$output" = "2 0 50kB 50kB (100%)" ]
}

@test "system prune: stopped containers and dangling images; asks first" {
    load_busybox
    skiff import "$TEST_IMAGES/layer.tar" localhost/d1 >/dev/null
    skiff import --change 'ENV X=1' "$TEST_IMAGES/layer.tar" localhost/d1 >/dev/null  # the first becomes <none>
    skiff run --name stopped localhost/busybox sh -c 'head -c 40000 /dev/zero > /tmp/blob'
    skiff run -d --name running localhost/busybox sleep 1000 >/dev/null
    skiff network create unusednet >/dev/null
    run skiff system prune < /dev/null
    assert_output_contains "WARNING! This will remove:"
    assert_output_contains "  - all stopped containers"
    assert_output_contains "  - all networks not used by at least one container"
    assert_output_contains "  - all dangling images"
    assert_output_contains "Are you sure you want to continue? [y/N]"
    run skiff ps -aq
    [ "${#lines[@]}" -eq 2 ]
    stopped=$(skiff inspect --format '{{.Id}}' stopped)
    run skiff system prune -f
    assert_status 0
    [ "${lines[0]}" = "Deleted Containers:" ]
    [ "${lines[1]}" = "$stopped" ]
    [ "${lines[2]}" = "Deleted Networks:" ]
    [ "${lines[3]}" = "unusednet" ]
    [ "${lines[4]}" = "Deleted Images:" ]
    [[ "${lines[5]}" == "deleted: sha256:"* ]]
    [[ "${lines[6]}" == "Total reclaimed space: "* ]]
    [ "${lines[6]}" != "Total reclaimed space: 0B" ]
    run skiff ps -aq
    [ "${#lines[@]}" -eq 1 ]
    run skiff images -q
    [ "${#lines[@]}" -eq 2 ]
    # -a: every image no container uses (busybox runs).
    run skiff system prune -a -f
    assert_status 0
    run skiff images --format '{{.Repository}}'
    [ "$output" = localhost/busybox ]
    skiff rm -f running >/dev/null
}

@test "system prune --volumes: anonymous unused volumes only; filters" {
    load_busybox
    skiff volume create named >/dev/null
    skiff create --name holder -v /held localhost/busybox true >/dev/null
    skiff create --label prune=no --name labelled -v /other localhost/busybox true >/dev/null
    skiff create --label prune=yes --name loose -v /loose localhost/busybox true >/dev/null
    loose=$(skiff inspect --format '{{range .Mounts}}{{.Name}}{{end}}' loose)
    skiff start -a holder >/dev/null
    run skiff system prune -f --volumes --filter label=prune=yes
    assert_status 0
    [ "${lines[0]}" = "Deleted Containers:" ]
    # The label filter applies to volumes too: the anonymous ones lack it.
    [[ "$output" != *"Deleted Volumes:"* ]]
    run skiff ps -a --format '{{.Names}}'
    [ "${#lines[@]}" -eq 2 ]
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 4 ]
    run skiff system prune < /dev/null --volumes
    assert_output_contains "  - all anonymous volumes not used by at least one container"
    run skiff system prune -f --volumes
    assert_output_contains "Deleted Volumes:"
    assert_output_contains "$loose"
    run skiff ps -aq
    [ -z "$output" ]
    run skiff volume ls -q
    [ "$output" = named ]
    [[ "$loose" =~ ^[0-9a-f]{64}$ ]]
    run skiff system prune -f --filter bogus=1
    assert_status 125
    assert_output_contains "invalid filter 'bogus'"
    run skiff system prune -f --filter 'label!=x'
    assert_status 125
}

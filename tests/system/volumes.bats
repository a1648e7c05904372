#!/usr/bin/env bats
# volume create/ls/inspect/rm/prune/exists, and volumes in run/create:
# -v NAME:/path, -v /path, --mount type=volume, the image's VOLUMEs,
# Docker's copy-up, rm -v, run --rm, --volumes-from.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_store
    load_busybox >/dev/null
}

# localhost/www: the busybox tree plus /srv/www owned by www (33), with a
# 0750 directory, a 0640 file, a symlink, a hard link, a subdirectory and
# a user xattr, declared a VOLUME.
make_www_image() {
    local d=$BATS_TEST_TMPDIR/www
    mkdir -p "$d/srv/www/sub"
    echo page > "$d/srv/www/index.html"
    ln "$d/srv/www/index.html" "$d/srv/www/hard"
    ln -s index.html "$d/srv/www/link"
    echo deep > "$d/srv/www/sub/deep"
    chmod 0640 "$d/srv/www/index.html"
    chmod 0750 "$d/srv/www"
    chmod 0700 "$d/srv/www/sub"
    python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.origin", b"image")' "$d/srv/www/index.html" 2>/dev/null || true
    # posix: the format that carries xattrs (an append keeps the archive's).
    tar --format=posix --sort=name --numeric-owner --owner=0 --group=0 -C "$TEST_IMAGES/rootfs" -cf "$d/l.tar" .
    tar --numeric-owner --owner=33 --group=33 --xattrs --xattrs-include='user.*' -C "$d" -rf "$d/l.tar" ./srv
    skiff import --change 'VOLUME /srv/www' --change 'CMD ["sh"]' "$d/l.tar" localhost/www >/dev/null
}

@test "volume create, ls, inspect, exists and rm" {
    run skiff volume create data
    assert_status 0
    [ "$output" = data ]
    run skiff volume create
    assert_status 0
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    generated=$output
    run skiff volume ls
    [[ "${lines[0]}" == DRIVER*"VOLUME NAME" ]]
    [[ "$output" == *"local     data"* ]]
    [[ "$output" == *"local     $generated"* ]]
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 2 ]
    run skiff volume ls --noheading --format '{{.Name}}|{{.Driver}}|{{.Scope}}|{{.Mountpoint}}'
    assert_output_contains "data|local|local|$SKIFF_ROOT/volumes/data/_data"
    run skiff volume inspect data
    assert_status 0
    echo "$output" | jq -e '.[0] | .Name == "data" and .Driver == "local" and .Scope == "local" and .Labels == {} and .Options == {}'
    echo "$output" | jq -e --arg m "$SKIFF_ROOT/volumes/data/_data" '.[0].Mountpoint == $m and (.[0].CreatedAt | test("^20"))'
    [ -d "$SKIFF_ROOT/volumes/data/_data" ]
    run skiff volume inspect --format '{{.Name}} {{.Driver}}' data "$generated"
    [ "${lines[0]}" = "data local" ]
    [ "${lines[1]}" = "$generated local" ]
    run skiff volume inspect -a --format '{{.Name}}'
    [ "${#lines[@]}" -eq 2 ]
    run skiff volume exists data
    assert_status 0
    run skiff volume exists nosuch
    assert_status 1
    run skiff volume rm data "$generated"
    assert_status 0
    [ "${lines[0]}" = data ]
    [ ! -e "$SKIFF_ROOT/volumes/data" ]
    run skiff volume ls -q
    [ -z "$output" ]
    run skiff volume rm nosuch
    assert_status 1
    assert_output_contains "no such volume: nosuch"
    run skiff volume rm -f nosuch
    assert_status 0
    run skiff volume inspect nosuch
    assert_status 125
    assert_output_contains "no such volume: nosuch"
}

@test "volume create: labels, the same volume again, --ignore, drivers" {
    run skiff volume create --label env=dev -l team data
    assert_status 0
    run skiff volume inspect --format '{{json .Labels}}' data
    [ "$output" = '{"env":"dev","team":""}' ]
    # Docker: creating what exists is fine; something different is not.
    run skiff volume create data
    assert_status 0
    [ "$output" = data ]
    run skiff volume create --label env=prod data
    assert_status 125
    assert_one_line_error
    assert_output_contains "volume with name data already exists"
    run skiff volume create --ignore --label env=prod data
    assert_status 0
    run skiff volume inspect --format '{{index .Labels "env"}}' data
    [ "$output" = dev ]
    run skiff volume create --name old-style
    [ "$output" = old-style ]
    run skiff volume create --name one two
    assert_status 125
    assert_output_contains "conflicting options"
    run skiff volume create -d local other
    assert_status 0
    run skiff volume create -d nfs third
    assert_status 125
    assert_output_contains 'volume driver "nfs" is not supported'
}

@test "volume names: Docker's pattern, with its message" {
    for bad in a/b .. ../x _x a 'a b'; do
        run skiff volume create "$bad"
        assert_status 125
        assert_one_line_error
        assert_output_contains "includes invalid characters for a local volume name"
    done
    run skiff run --rm -v foo/bar:/x busybox true
    assert_status 125
    assert_output_contains '"foo/bar" includes invalid characters for a local volume name'
    assert_output_contains "If you intended to pass a host directory, use absolute path"
    run skiff run --rm --mount type=volume,source=../x,target=/x busybox true
    assert_status 125
    assert_output_contains "includes invalid characters"
    [ ! -e "$SKIFF_ROOT/x" ]
    run skiff run --rm -v data:relative busybox true
    assert_status 125
    assert_output_contains "must be absolute"
    run skiff run --rm -v data:/x:bogus busybox true
    assert_status 125
    assert_output_contains 'invalid volume option "bogus"'
    run skiff volume ls -q
    [ -z "$output" ]
}

@test "volume create --opt: the local driver's checks" {
    run skiff volume create -o size=1g v1
    assert_status 125
    assert_output_contains 'invalid option: "size"'
    run skiff volume create -o type=tmpfs v1
    assert_status 125
    assert_output_contains 'missing required option: "device"'
    run skiff volume create -o o=size=1m v1
    assert_status 125
    assert_output_contains 'missing required option: "device"'
    run skiff volume create -o novalue v1
    assert_status 125
    run skiff volume ls -q
    [ -z "$output" ]
    if is_rootless; then
        run skiff volume create -o type=ext4 -o device=/dev/nonexistent v1
        assert_status 125
        assert_output_contains 'volume type "ext4" cannot be mounted by a rootless user'
    fi
}

@test "volume --opt type=tmpfs: a tmpfs of that size at every start" {
    skiff volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=2m,mode=0770 scratch >/dev/null
    run skiff volume inspect --format '{{.Options.type}} {{.Options.device}} {{.Options.o}}' scratch
    [ "$output" = "tmpfs tmpfs size=2m,mode=0770" ]
    run skiff run --rm -v scratch:/scratch busybox sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch; echo x > /scratch/f && cat /scratch/f'
    assert_status 0
    assert_output_contains "tmpfs /scratch tmpfs"
    assert_output_contains "size=2048k"
    [ "${lines[1]}" = 770 ]
    [ "${lines[2]}" = x ]
    # Mounted in the container's own namespace: nothing shows in the store.
    [ -z "$(ls -A "$SKIFF_ROOT/volumes/scratch/_data")" ]
}

@test "volume --opt o=bind: a host directory" {
    host=$BATS_TEST_TMPDIR/hostdir
    mkdir -p "$host"
    echo from-host > "$host/file"
    chmod 0777 "$host"
    skiff volume create -o type=none -o device="$host" -o o=bind hostvol >/dev/null
    run skiff run --rm -v hostvol:/h busybox sh -c 'cat /h/file; echo from-ctr > /h/new'
    assert_status 0
    [ "$output" = from-host ]
    [ "$(cat "$host/new")" = from-ctr ]
    # Removing the volume never touches the device's files.
    skiff volume rm hostvol >/dev/null
    [ -f "$host/file" ] && [ -f "$host/new" ]
    run skiff volume create -o type=none -o device=relative -o o=bind bad
    assert_status 125
    assert_output_contains "absolute path"
    skiff volume create -o type=none -o device="$BATS_TEST_TMPDIR/missing" -o o=bind gone >/dev/null
    run skiff run --rm -v gone:/g busybox true
    assert_status 125
    assert_output_contains "volume gone: bind $BATS_TEST_TMPDIR/missing"
}

@test "volume ls --filter: name, label, dangling, driver" {
    skiff volume create --label env=dev --label tier=db v-dev >/dev/null
    skiff volume create --label env=prod v-prod >/dev/null
    skiff volume create plain >/dev/null
    skiff create --name user -v plain:/p busybox true >/dev/null
    run skiff volume ls -q --filter name=v-
    [ "$output" = $'v-dev\nv-prod' ]
    run skiff volume ls -q --filter label=env
    [ "$output" = $'v-dev\nv-prod' ]
    run skiff volume ls -q --filter label=env=prod
    [ "$output" = v-prod ]
    run skiff volume ls -q -f label=env=prod -f label=tier=db
    [ "$output" = $'v-dev\nv-prod' ]
    run skiff volume ls -q -f label=env -f name=prod
    [ "$output" = v-prod ]
    run skiff volume ls -q --filter 'label!=env'
    [ "$output" = plain ]
    run skiff volume ls -q --filter dangling=true
    [ "$output" = $'v-dev\nv-prod' ]
    run skiff volume ls -q --filter dangling=false
    [ "$output" = plain ]
    run skiff volume ls -q --filter driver=local
    [ "${#lines[@]}" -eq 3 ]
    run skiff volume ls -q --filter driver=nfs
    [ -z "$output" ]
    run skiff volume ls --filter bogus=1
    assert_status 125
    assert_output_contains "invalid filter 'bogus'"
    run skiff volume ls --filter dangling=maybe
    assert_status 125
    run skiff volume ls --format json
    assert_status 0
    echo "${lines[0]}" | jq -e '.Name and .Driver == "local" and .Mountpoint'
}

@test "named volumes: created on first use, data outlives the container" {
    run skiff run --name writer -v data:/data busybox sh -c 'echo kept > /data/file; id -u > /data/who'
    assert_status 0
    run skiff volume ls -q
    [ "$output" = data ]
    skiff rm writer >/dev/null
    run skiff run --rm -v data:/data busybox cat /data/file
    [ "$output" = kept ]
    # A rootless container's root writes as the volume's owner.
    run skiff run --rm -v data:/data busybox stat -c '%u %a' /data
    [ "$output" = "0 755" ]
    run skiff run --rm -v data:/data:ro busybox sh -c 'echo x > /data/other'
    assert_status 1
    assert_output_contains "Read-only file system"
    run skiff run --rm --mount type=volume,source=data,target=/m,readonly busybox sh -c 'cat /m/file; touch /m/x'
    assert_status 1
    [ "${lines[0]}" = kept ]
    run skiff run --rm --mount type=volume,src=data,dst=/m busybox cat /m/file
    [ "$output" = kept ]
    # The tutorials' form: --mount without a type is a volume.
    run skiff run --rm --mount source=data,target=/webapp busybox cat /webapp/file
    [ "$output" = kept ]
    run skiff run --rm -v data:/z:z -v data:/Z:Z busybox cat /z/file /Z/file
    [ "$output" = $'kept\nkept' ]
    run skiff run --rm --mount type=volume,source=other,target=/o,volume-driver=nfs busybox true
    assert_status 125
    assert_output_contains 'volume driver "nfs" is not supported'
    # create makes the volume too, before any start.
    skiff create --name later -v fresh:/f busybox true >/dev/null
    run skiff volume exists fresh
    assert_status 0
}

@test "--mount type=volume: volume-opt and volume-label make the volume" {
    skiff run --rm --mount type=volume,source=made,target=/m,volume-label=origin=mount,volume-opt=type=tmpfs,volume-opt=device=tmpfs busybox true
    run skiff volume inspect --format '{{index .Labels "origin"}} {{.Options.type}}' made
    [ "$output" = "mount tmpfs" ]
    run skiff run --rm --mount type=volume,target=/anon busybox sh -c 'grep -c " /anon " /proc/mounts'
    [ "$output" = 1 ]
    run skiff volume ls -q
    [ "$output" = made ]
}

@test "copy-up: an empty volume gets the image's files with owners, modes, links and xattrs" {
    make_www_image
    skiff run --name web localhost/www true
    vol=$(skiff inspect --format '{{range .Mounts}}{{.Name}}{{end}}' web)
    [[ "$vol" =~ ^[0-9a-f]{64}$ ]]
    run skiff volume inspect --format '{{.Anonymous}} {{json .Labels}}' "$vol"
    [ "$output" = 'true {"com.docker.volume.anonymous":""}' ]
    run skiff run --rm --volumes-from web localhost/www sh -c 'cd /srv/www; stat -c "%n %u:%g %a" . index.html hard sub sub/deep; readlink link; stat -c %i index.html hard | uniq | wc -l'
    assert_status 0
    [ "${lines[0]}" = ". 33:33 750" ]
    [ "${lines[1]}" = "index.html 33:33 640" ]
    [ "${lines[2]}" = "hard 33:33 640" ]
    [ "${lines[3]}" = "sub 33:33 700" ]
    [ "${lines[4]}" = "sub/deep 33:33 644" ]
    [ "${lines[5]}" = index.html ]
    [ "${lines[6]}" = 1 ]
    mp=$(skiff volume inspect --format '{{.Mountpoint}}' "$vol")
    run skiff unshare python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.origin").decode())' "$mp/index.html"
    [ "$output" = image ]
    # The container's user (www) owns what was copied: it may write there.
    run skiff run --rm --volumes-from web -u www localhost/www sh -c 'echo new > /srv/www/new && cat /srv/www/new'
    assert_status 0
    [ "$output" = new ]
}

@test "copy-up: named volumes too, only when empty, never with nocopy" {
    make_www_image
    run skiff run --rm -v site:/srv/www localhost/www cat /srv/www/index.html
    assert_status 0
    [ "$output" = page ]
    # A volume with content keeps it.
    skiff run --rm -v site:/srv/www localhost/www sh -c 'echo changed > /srv/www/index.html; rm /srv/www/hard'
    run skiff run --rm -v site:/srv/www localhost/www sh -c 'cat /srv/www/index.html; ls /srv/www/hard'
    [ "${lines[0]}" = changed ]
    assert_output_contains "No such file"
    run skiff run --rm -v empty:/srv/www:nocopy localhost/www ls -A /srv/www
    assert_status 0
    [ -z "$output" ]
    run skiff run --rm --mount type=volume,source=empty2,target=/srv/www,volume-nocopy localhost/www ls -A /srv/www
    [ -z "$output" ]
    # Only at a container's first start: emptied, it stays empty.
    skiff run --name once -v once:/srv/www localhost/www sh -c 'rm -rf /srv/www/*' >/dev/null
    skiff start -a once >/dev/null
    run skiff run --rm -v once:/srv/www:nocopy busybox ls -A /srv/www
    [ -z "$output" ]
    # A path the image does not have: nothing to copy.
    run skiff run --rm -v nothing:/not/in/image busybox ls -A /not/in/image
    assert_status 0
    [ -z "$output" ]
}

@test "copy-up never follows the image's symlinks out of the rootfs" {
    host=$BATS_TEST_TMPDIR/hostsecret
    mkdir -p "$host"
    echo secret > "$host/secret"
    d=$BATS_TEST_TMPDIR/evil
    mkdir -p "$d/in"
    # /vol points far above the root; /in/up points at the host's file.
    ln -s "../../../../../../../../..$host" "$d/vol"
    ln -s "$host/secret" "$d/in/up"
    ln -s / "$d/in/root"
    tar --sort=name --numeric-owner --owner=0 --group=0 -C "$TEST_IMAGES/rootfs" -cf "$d/l.tar" .
    tar --numeric-owner --owner=0 --group=0 -C "$d" -rf "$d/l.tar" ./vol ./in
    skiff import "$d/l.tar" localhost/evil >/dev/null
    run skiff run --rm -v v1:/in localhost/evil sh -c 'readlink /in/up; readlink /in/root'
    assert_status 0
    [ "${lines[0]}" = "$host/secret" ]
    [ "${lines[1]}" = / ]
    mp=$(skiff volume inspect --format '{{.Mountpoint}}' v1)
    [ -L "$mp/up" ] && [ -L "$mp/root" ]
    # The mount point resolves inside the rootfs: nothing of the host's.
    skiff run --rm -v v2:/vol localhost/evil true || true
    mp=$(skiff volume inspect --format '{{.Mountpoint}}' v2)
    [ ! -e "$mp/secret" ]
    [ "$(cat "$host/secret")" = secret ]
}

@test "image VOLUMEs: anonymous volumes unless something else is mounted there" {
    make_www_image
    skiff create --name a localhost/www >/dev/null
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 1 ]
    skiff create --name b -v named:/srv/www localhost/www >/dev/null
    skiff create --name c -v "$BATS_TEST_TMPDIR:/srv/www" localhost/www >/dev/null
    skiff create --name d --tmpfs /srv/www localhost/www >/dev/null
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 2 ]
    assert_output_contains named
    run skiff create -v x1:/x -v x2:/x busybox
    assert_status 125
    assert_output_contains "Duplicate mount point: /x"
}

@test "rm -v removes anonymous volumes only; rm keeps them" {
    skiff create --name keep -v /anon busybox true >/dev/null
    anon1=$(skiff inspect --format '{{range .Mounts}}{{.Name}}{{end}}' keep)
    skiff rm keep >/dev/null
    run skiff volume exists "$anon1"
    assert_status 0
    skiff create --name gone -v /anon -v named:/named busybox true >/dev/null
    anon2=$(skiff inspect --format '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' gone)
    run skiff rm -v gone
    assert_status 0
    run skiff volume exists "$anon2"
    assert_status 1
    [ ! -e "$SKIFF_ROOT/volumes/$anon2" ]
    run skiff volume exists named
    assert_status 0
}

@test "run --rm removes its anonymous volumes, not named ones" {
    run skiff run --rm -v /scratch -v named:/named busybox sh -c 'echo x > /scratch/f; echo y > /named/f'
    assert_status 0
    run skiff volume ls -q
    [ "$output" = named ]
    run skiff run --rm -d -v /scratch busybox sleep 0.2
    cid=$output
    run skiff wait "$cid"
    for _ in $(seq 50); do skiff container exists "$cid" || break; sleep 0.1; done
    run skiff volume ls -q
    [ "$output" = named ]
}

@test "--volumes-from: the same volumes and binds, :ro and :rw" {
    skiff create --name src -v shared:/shared -v "$BATS_TEST_TMPDIR:/bind" -v /anon busybox true >/dev/null
    run skiff run --rm --volumes-from src busybox sh -c 'echo hi > /shared/f; echo b > /bind/b; echo a > /anon/a; grep -c " /shared \| /bind \| /anon " /proc/mounts'
    assert_status 0
    [ "$output" = 3 ]
    [ "$(cat "$BATS_TEST_TMPDIR/b")" = b ]
    run skiff run --rm --volumes-from src:ro busybox sh -c 'cat /shared/f; cat /anon/a; touch /shared/x'
    assert_status 1
    [ "${lines[0]}" = hi ]
    [ "${lines[1]}" = a ]
    assert_output_contains "Read-only file system"
    # The user's own mount wins over the other container's.
    run skiff run --rm --volumes-from src -v mine:/shared busybox ls -A /shared
    [ -z "$output" ]
    run skiff run --rm --volumes-from nosuch busybox true
    assert_status 125
    assert_output_contains "no such container: nosuch"
    run skiff run --rm --volumes-from src:bogus busybox true
    assert_status 125
    assert_output_contains "the mode must be ro or rw"
    # Used by the first container: rm -v of the second keeps it.
    skiff create --name second --volumes-from src busybox true >/dev/null
    run skiff inspect --format '{{json .HostConfig.VolumesFrom}}' second
    [ "$output" = '["src"]' ]
    anon=$(skiff inspect --format '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' src)
    skiff rm -v second >/dev/null
    run skiff volume exists "$anon"
    assert_status 0
}

@test "volume rm refuses a volume in use, with Docker's message" {
    cid=$(skiff create -v busy:/b busybox true)
    run skiff volume rm busy
    assert_status 2
    assert_one_line_error
    [ "$output" = "Error: remove busy: volume is in use - [$cid]" ]
    run skiff volume rm -f busy
    assert_status 2
    skiff rm "$cid" >/dev/null
    run skiff volume rm busy
    assert_status 0
    [ "$output" = busy ]
}

@test "volume prune: anonymous unused volumes; -a all unused; --filter; asks first" {
    skiff volume create --label keep=yes named-a >/dev/null
    skiff volume create named-b >/dev/null
    skiff create --name holder -v /held -v named-b:/b busybox true >/dev/null
    skiff create --name tmp -v /loose busybox true >/dev/null
    loose=$(skiff inspect --format '{{range .Mounts}}{{.Name}}{{end}}' tmp)
    held=$(skiff inspect --format '{{range .Mounts}}{{if eq .Destination "/held"}}{{.Name}}{{end}}{{end}}' holder)
    skiff rm tmp >/dev/null
    skiff run --rm -v "$loose:/l" busybox sh -c 'head -c 10000 /dev/zero > /l/blob'
    run skiff volume prune < /dev/null
    assert_output_contains "WARNING! This will remove anonymous local volumes not used by at least one container."
    assert_output_contains "Are you sure you want to continue? [y/N]"
    run skiff volume exists "$loose"
    assert_status 0
    run skiff volume prune -f
    assert_status 0
    [ "${lines[0]}" = "Deleted Volumes:" ]
    [ "${lines[1]}" = "$loose" ]
    [ "${lines[2]}" = "Total reclaimed space: 10kB" ]
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 3 ]
    assert_output_contains "$held"
    run skiff volume prune -a -f --filter 'label=keep=no'
    [ "$output" = "Total reclaimed space: 0B" ]
    run skiff volume prune -a -f --filter 'label!=keep'
    [ "${lines[1]}" = "" ]
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 3 ]
    run skiff volume prune -a -f --filter until=2000-01-01T00:00:00Z
    [ "$output" = "Total reclaimed space: 0B" ]
    run bash -c "echo y | '$SKIFF' --root '$SKIFF_ROOT' --runroot '$SKIFF_RUNROOT' volume prune -a"
    assert_output_contains "WARNING! This will remove all local volumes not used by at least one container."
    assert_output_contains "named-a"
    run skiff volume ls -q
    [ "${#lines[@]}" -eq 2 ]
    run skiff volume prune -f --filter bogus=1
    assert_status 125
}

@test "inspect: a container's volume mounts; inspect finds volumes" {
    skiff create --name c1 -v data:/data:ro,z busybox true >/dev/null
    run skiff inspect --format '{{json .Mounts}}' c1
    echo "$output" | jq -e --arg s "$SKIFF_ROOT/volumes/data/_data" '.[0] | .Type == "volume" and .Name == "data" and .Source == $s and .Destination == "/data" and .Driver == "local" and .Mode == "z" and .RW == false and .Propagation == ""'
    run skiff inspect --format '{{.Name}} {{.Mountpoint}}' data
    [ "$output" = "data $SKIFF_ROOT/volumes/data/_data" ]
    run skiff inspect --type volume --format '{{.Driver}}' data
    [ "$output" = local ]
    run skiff inspect --type image data
    assert_status 125
    assert_output_contains "no such object: data"
}

#!/usr/bin/env bats
# The registry client against a real registry (Debian's docker-registry,
# CNCF Distribution): plain HTTP on 127.0.0.1, and TLS with htpasswd auth.
# Failures a real registry does not produce come from lib/registry_fake.py.

load helpers
source "$BATS_TEST_DIRNAME/lib/registry.sh"

setup_file() {
    export REG_DIR=$BATS_FILE_TMPDIR/plain SREG_DIR=$BATS_FILE_TMPDIR/secure
    REG=$(start_registry "$REG_DIR") || return 1
    SREG=$(start_registry "$SREG_DIR" --tls --auth alice s3cret) || return 1
    export REG SREG SCA=$SREG_DIR/ca.crt
}

teardown_file() {
    stop_registry "$REG_DIR"
    stop_registry "$SREG_DIR"
}

setup() {
    setup_store
    # Every test has its own credentials and registries.conf: the host's
    # never leak in (Debian ships short-name aliases).
    export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json
    export CONTAINERS_REGISTRIES_CONF=$BATS_TEST_TMPDIR/registries.conf
    : > "$CONTAINERS_REGISTRIES_CONF"
}

eval "store_$(declare -f teardown)"
teardown() {
    # Servers a test started (fake registries, extra registries).
    for p in "$BATS_TEST_TMPDIR"/*/pid; do
        [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
    done
    store_teardown
}

# A fresh, empty store for the pulling side of a round trip.
new_store() {
    store_teardown
    setup_store
}

# The CA of the TLS registry where certs.d expects it, under a private HOME.
certs_d_home() {
    local home=$BATS_TEST_TMPDIR/home
    mkdir -p "$home/.config/containers/certs.d/$SREG"
    cp "$SCA" "$home/.config/containers/certs.d/$SREG/ca.crt"
    echo "$home"
}

assert_store_empty() {
    run skiff images -q
    assert_status 0
    [ -z "$output" ] || { echo "images left: $output" >&2; return 1; }
    local left
    left=$(ls -A "$SKIFF_ROOT/layers" 2>/dev/null; ls -A "$SKIFF_ROOT/tmp" 2>/dev/null)
    [ -z "$left" ] || { echo "store debris: $left" >&2; return 1; }
}

@test "push then pull: the image ID survives the round trip" {
    load_busybox
    run skiff push localhost/busybox:latest "$REG/rt/busybox:1"
    assert_status 0
    assert_output_contains "The push refers to repository [$REG/rt/busybox]"
    assert_output_contains "1: digest: sha256:"
    new_store
    run skiff pull "$REG/rt/busybox:1"
    assert_status 0
    [ "${lines[-1]}" = "$(busybox_id)" ]
    assert_output_contains "Pull complete"
    assert_output_contains "Status: Downloaded newer image for $REG/rt/busybox:1"
    run skiff images --format '{{.Repository}}:{{.Tag}}'
    [ "$output" = "$REG/rt/busybox:1" ]
    run skiff image inspect --format '{{index .RepoDigests 0}}' "$REG/rt/busybox:1"
    [[ $output == "$REG/rt/busybox@sha256:"* ]]
    # Again: nothing to download.
    run skiff pull "$REG/rt/busybox:1"
    assert_status 0
    assert_output_contains "Already exists"
    assert_output_contains "Image is up to date"
}

@test "pull -q prints only the image ID; pull by digest names no tag" {
    load_busybox
    skiff push -q --digestfile "$BATS_TEST_TMPDIR/digest" localhost/busybox "$REG/bydigest/busybox:v1"
    digest=$(cat "$BATS_TEST_TMPDIR/digest")
    [[ $digest == sha256:* ]]
    new_store
    run skiff pull -q "$REG/bydigest/busybox@$digest"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    run skiff images --format '{{.Repository}} {{.Tag}} {{.Digest}}'
    [ "$output" = "$REG/bydigest/busybox <none> $digest" ]
    # A digest the registry does not have.
    run skiff pull "$REG/bydigest/busybox@sha256:$(printf '%064d' 0)"
    assert_status 125
    assert_output_contains "image not known"
}

@test "pull: an unknown image is a one-line 'image not known' and stores nothing" {
    run skiff pull -q "$REG/nope/nothing:1"
    assert_status 125
    assert_one_line_error
    assert_output_contains "$REG/nope/nothing:1: image not known"
    assert_store_empty
}

@test "pull: an unreachable registry fails clearly" {
    # (A DNS failure is not tested here: it would send a query to the host's
    # resolver, and tests only talk to loopback.)
    port=$(free_port)
    run skiff pull -q --retry 0 "127.0.0.1:$port/x/y"
    assert_status 125
    assert_one_line_error
    assert_output_contains "cannot connect to 127.0.0.1:$port"
}

@test "interop with skopeo: skiff pulls what skopeo pushed and re-pushes it byte for byte" {
    command -v skopeo >/dev/null || skip "skopeo is not installed"
    skopeo copy -q --dest-tls-verify=false "oci:$TEST_IMAGES/oci:latest" "docker://$REG/sk/busybox:latest"
    want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/sk/busybox:latest")
    run skiff pull -q "$REG/sk/busybox"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    # The stored blobs and manifest go out unchanged: same digest, and the
    # layer is mounted from the repository it came from.
    run skiff push "$REG/sk/busybox" "$REG/sk2/busybox:copy"
    assert_status 0
    assert_output_contains "Mounted from sk/busybox"
    assert_output_contains "copy: digest: $want"
    run skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/sk2/busybox:copy"
    [ "$output" = "$want" ]
    # skopeo reads what skiff wrote.
    load_busybox
    skiff push -q localhost/busybox "$REG/sk3/busybox:mine"
    run skopeo copy -q --src-tls-verify=false "docker://$REG/sk3/busybox:mine" "oci:$BATS_TEST_TMPDIR/out:mine"
    assert_status 0
}

@test "push: cross-repository mount, and existing layers are skipped" {
    load_busybox
    run skiff push localhost/busybox "$REG/m1/bb:1"
    assert_status 0
    assert_output_contains "Pushed"
    run skiff push localhost/busybox "$REG/m2/bb:1"
    assert_status 0
    assert_output_contains "Mounted from m1/bb"
    run skiff push localhost/busybox "$REG/m2/bb:2"
    assert_status 0
    assert_output_contains "Layer already exists"
}

@test "push: --format v2s2, --compression-format zstd and chunked uploads pull back the same image" {
    load_busybox
    skiff push -q --format v2s2 localhost/busybox "$REG/fmt/bb:v2s2"
    run reg_get "$REG" /v2/fmt/bb/manifests/v2s2 -H "Accept: application/vnd.docker.distribution.manifest.v2+json"
    [ "$(jq -r .mediaType <<< "$output")" = application/vnd.docker.distribution.manifest.v2+json ]
    [ "$(jq -r '.layers[0].mediaType' <<< "$output")" = application/vnd.docker.image.rootfs.diff.tar.gzip ]

    skiff push -q --compression-format zstd localhost/busybox "$REG/fmt/bb:zstd"
    run reg_get "$REG" /v2/fmt/bb/manifests/zstd -H "Accept: application/vnd.oci.image.manifest.v1+json"
    [ "$(jq -r '.layers[0].mediaType' <<< "$output")" = application/vnd.oci.image.layer.v1.tar+zstd ]

    run skiff push --compression-format zstd --format v2s2 localhost/busybox "$REG/fmt/bb:bad"
    assert_status 125
    assert_output_contains "zstd compression needs an OCI manifest"

    skiff push -q --chunk-size 64k localhost/busybox "$REG/fmt/bb:chunked"
    new_store
    for tag in v2s2 zstd chunked; do
        run skiff pull -q "$REG/fmt/bb:$tag"
        assert_status 0
        [ "$output" = "$(busybox_id)" ]
    done
}

@test "pull: a multi-arch index is resolved by --arch, --platform and the host" {
    load_busybox
    skiff push -q --format oci localhost/busybox "$REG/multi/bb:amd64"
    d=$BATS_TEST_TMPDIR
    reg_get "$REG" /v2/multi/bb/manifests/amd64 -H "Accept: application/vnd.oci.image.manifest.v1+json" -o "$d/amd.json"
    cfg=$(jq -r .config.digest "$d/amd.json")
    reg_get "$REG" "/v2/multi/bb/blobs/$cfg" -o "$d/amd-config.json"
    printf '%s' "$(jq -c '.architecture = "arm64" | .variant = "v8"' "$d/amd-config.json")" > "$d/arm-config.json"
    arm_cfg=$(reg_put_blob "$REG" multi/bb "$d/arm-config.json")
    printf '%s' "$(jq -c --arg d "$arm_cfg" --argjson s "$(stat -c %s "$d/arm-config.json")" \
        '.config.digest = $d | .config.size = $s' "$d/amd.json")" > "$d/arm.json"
    reg_put_manifest "$REG" multi/bb arm64 application/vnd.oci.image.manifest.v1+json "$d/arm.json"
    entry() {  # FILE ARCH [VARIANT]
        jq -nc --arg d "sha256:$(sha256sum "$1" | cut -d' ' -f1)" --argjson s "$(stat -c %s "$1")" \
            --arg a "$2" --arg v "${3:-}" \
            '{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
              platform: ({os: "linux", architecture: $a} + (if $v == "" then {} else {variant: $v} end))}'
    }
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
        "$(entry "$d/amd.json" amd64)" "$(entry "$d/arm.json" arm64 v8)" > "$d/index.json"
    reg_put_manifest "$REG" multi/bb latest application/vnd.oci.image.index.v1+json "$d/index.json"
    arm_id=${arm_cfg#sha256:}
    index_digest=sha256:$(sha256sum "$d/index.json" | cut -d' ' -f1)

    new_store
    run skiff pull -q --arch arm64 "$REG/multi/bb"
    assert_status 0
    [ "$output" = "$arm_id" ]
    run skiff pull -q --arch amd64 "$REG/multi/bb"
    [ "$output" = "$(busybox_id)" ]
    run skiff pull -q --platform linux/arm64/v8 "$REG/multi/bb"
    [ "$output" = "$arm_id" ]
    run skiff image inspect --format '{{.RepoDigests}}' "$REG/multi/bb"
    assert_output_contains "$REG/multi/bb@$index_digest"
    case $(uname -m) in
    x86_64) want=$(busybox_id) ;;
    aarch64) want=$arm_id ;;
    *) want="" ;;
    esac
    if [ -n "$want" ]; then
        run skiff pull -q "$REG/multi/bb"
        [ "$output" = "$want" ]
    fi
    run skiff pull -q --platform linux/s390x "$REG/multi/bb"
    assert_status 125
    assert_one_line_error
    assert_output_contains "no image found in manifest list for architecture s390x"
    assert_output_contains "linux/arm64/v8"
}

# two_layer_image REPO DIFF_ID_2: the busybox layer plus one that adds
# /etc/hello and deletes /etc/motd; the config names DIFF_ID_2 (default:
# the right one) for the second layer.
two_layer_image() {
    local repo=$1 d=$BATS_TEST_TMPDIR
    mkdir -p "$d/l2/etc"
    echo hello > "$d/l2/etc/hello"
    : > "$d/l2/etc/.wh.motd"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d/l2" -cf "$d/l2.tar" .
    gzip -n -c "$d/l2.tar" > "$d/l2.tar.gz"
    local diff1 diff2 l1 l2 c
    diff1=sha256:$(sha256sum "$TEST_IMAGES/layer.tar" | cut -d' ' -f1)
    diff2=${2:-sha256:$(sha256sum "$d/l2.tar" | cut -d' ' -f1)}
    l1=$(reg_put_blob "$REG" "$repo" "$TEST_IMAGES/layer.tar.gz")
    l2=$(reg_put_blob "$REG" "$repo" "$d/l2.tar.gz")
    printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s","%s"]}}' \
        "$diff1" "$diff2" > "$d/config.json"
    c=$(reg_put_blob "$REG" "$repo" "$d/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
        "$c" "$(stat -c %s "$d/config.json")" "$l1" "$(stat -c %s "$TEST_IMAGES/layer.tar.gz")" \
        "$l2" "$(stat -c %s "$d/l2.tar.gz")" > "$d/manifest.json"
    reg_put_manifest "$REG" "$repo" latest application/vnd.oci.image.manifest.v1+json "$d/manifest.json"
    echo "${c#sha256:}"
}

@test "pull: layers unpack in parallel; layers already stored are skipped" {
    id=$(two_layer_image two/bb)
    run skiff pull -q "$REG/two/bb"
    assert_status 0
    [ "$output" = "$id" ]
    [ "$(ls "$SKIFF_ROOT/layers" | wc -l)" -eq 2 ]
    run skiff image inspect --format '{{len .RootFS.Layers}}' "$REG/two/bb"
    [ "$output" = 2 ]

    new_store
    load_busybox
    run skiff pull "$REG/two/bb"
    assert_status 0
    assert_output_contains "Already exists"
    assert_output_contains "Pull complete"
    [ "${lines[-1]}" = "$id" ]
}

@test "pull: a layer whose content does not match the config's diff ID is refused" {
    two_layer_image wrongdiff/bb "sha256:$(printf '%064d' 7)" > /dev/null
    run skiff pull -q "$REG/wrongdiff/bb"
    assert_status 125
    assert_one_line_error
    assert_output_contains "diff ID"
    assert_store_empty
}

@test "pull --all-tags fetches every tag" {
    load_busybox
    skiff push -q localhost/busybox "$REG/alltags/bb:a"
    skiff push -q localhost/busybox "$REG/alltags/bb:b"
    new_store
    run skiff pull -q --all-tags "$REG/alltags/bb"
    assert_status 0
    [ "${#lines[@]}" -eq 2 ]
    run skiff images --format '{{.Tag}}'
    assert_output_contains a
    assert_output_contains b
    run skiff pull -a "$REG/alltags/bb:a"
    assert_status 125
    assert_output_contains "tag can't be used with --all-tags"
}

@test "TLS: certs.d CA, --cert-dir, untrusted certificate, --tls-verify=false" {
    load_busybox
    run skiff push -q --creds alice:s3cret localhost/busybox "$SREG/tls/bb:1"
    assert_status 125
    assert_one_line_error
    assert_output_contains "is not trusted"
    assert_output_contains "--tls-verify=false"
    run skiff push -q --tls-verify=false --creds alice:s3cret localhost/busybox "$SREG/tls/bb:1"
    assert_status 0
    # registries.conf's insecure = true does what --tls-verify=false does.
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$SREG" > "$CONTAINERS_REGISTRIES_CONF"
    run skiff push -q --creds alice:s3cret localhost/busybox "$SREG/tls/bb:2"
    assert_status 0
    : > "$CONTAINERS_REGISTRIES_CONF"
    mkdir -p "$BATS_TEST_TMPDIR/certs"
    cp "$SCA" "$BATS_TEST_TMPDIR/certs/ca.crt"
    new_store
    run skiff pull -q --cert-dir "$BATS_TEST_TMPDIR/certs" --creds alice:s3cret "$SREG/tls/bb:1"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    home=$(certs_d_home)
    run env HOME="$home" XDG_CONFIG_HOME= "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" \
        pull -q --creds alice:s3cret "$SREG/tls/bb:1"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
}

@test "TLS: a registry that wants a client certificate gets the one in the cert dir" {
    dir=$BATS_TEST_TMPDIR/clientreg
    host=$(start_registry "$dir" --client-certs)
    mkdir -p "$BATS_TEST_TMPDIR/ca-only" "$BATS_TEST_TMPDIR/with-client"
    cp "$dir/ca.crt" "$BATS_TEST_TMPDIR/ca-only/"
    cp "$dir/ca.crt" "$dir/client.cert" "$dir/client.key" "$BATS_TEST_TMPDIR/with-client/"
    load_busybox
    run skiff push -q --retry 0 --cert-dir "$BATS_TEST_TMPDIR/ca-only" localhost/busybox "$host/cc/bb:1"
    assert_status 125
    assert_one_line_error
    run skiff push -q --cert-dir "$BATS_TEST_TMPDIR/with-client" localhost/busybox "$host/cc/bb:1"
    assert_status 0
    # A key without its certificate is refused before any connection.
    rm "$BATS_TEST_TMPDIR/with-client/client.cert"
    run skiff pull -q --cert-dir "$BATS_TEST_TMPDIR/with-client" "$host/cc/bb:1"
    assert_status 125
    assert_output_contains "missing client certificate"
}

@test "login and logout: verified against the registry, stored 0600 in auth.json" {
    home=$(certs_d_home)
    sk() { env HOME="$home" XDG_CONFIG_HOME= "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" "$@"; }
    run sk login -u alice --password-stdin "$SREG" <<< "wrong"
    assert_status 125
    assert_output_contains "invalid username/password"
    [ ! -e "$REGISTRY_AUTH_FILE" ]
    run sk login -u alice --password-stdin "$SREG" <<< "s3cret"
    assert_status 0
    assert_output_contains "Login Succeeded!"
    [ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
    [ "$(jq -r --arg r "$SREG" '.auths[$r].auth' "$REGISTRY_AUTH_FILE" | base64 -d)" = "alice:s3cret" ]
    run sk login --get-login "$SREG"
    [ "$output" = alice ]

    load_busybox
    run sk push -q localhost/busybox "$SREG/login/bb:1"
    assert_status 0
    new_store
    run sk pull -q "$SREG/login/bb:1"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]

    run sk logout "$SREG"
    assert_status 0
    assert_output_contains "Removed login credentials for $SREG"
    run sk pull -q "$SREG/login/bb:1"
    assert_status 125
    assert_output_contains "authentication required"
    # Not logged in: nothing to do, no failure (Docker's; Podman exits 125).
    run sk logout "$SREG"
    assert_status 0
    assert_output_contains "Not logged in to $SREG"
    run sk login --get-login "$SREG"
    assert_status 125

    # --authfile, and logout --all.
    run sk login -u alice -p s3cret --authfile "$BATS_TEST_TMPDIR/other.json" "$SREG"
    assert_status 0
    run sk pull -q --authfile "$BATS_TEST_TMPDIR/other.json" "$SREG/login/bb:1"
    assert_status 0
    run sk logout --all --authfile "$BATS_TEST_TMPDIR/other.json"
    assert_status 0
    [ "$(jq -c .auths "$BATS_TEST_TMPDIR/other.json")" = "{}" ]
}

@test "login writes \$XDG_RUNTIME_DIR/containers/auth.json by default (rootless)" {
    is_rootless || skip "root uses /run/containers/0/auth.json"
    home=$(certs_d_home)
    rt=$BATS_TEST_TMPDIR/rt
    mkdir -m 0700 "$rt"
    run env -u REGISTRY_AUTH_FILE HOME="$home" XDG_CONFIG_HOME= XDG_RUNTIME_DIR="$rt" \
        "$SKIFF" login -u alice -p s3cret "$SREG"
    assert_status 0
    [ "$(stat -c %a "$rt/containers/auth.json")" = 600 ]
}

@test "credentials from ~/.docker/config.json and a credential helper" {
    home=$(certs_d_home)
    mkdir -p "$home/.docker" "$BATS_TEST_TMPDIR/bin"
    auth=$(printf 'alice:s3cret' | base64)
    printf '{"auths":{"https://%s/v1/":{"auth":"%s"}}}' "$SREG" "$auth" > "$home/.docker/config.json"
    load_busybox
    run env HOME="$home" XDG_CONFIG_HOME= "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" \
        push -q localhost/busybox "$SREG/dockercfg/bb:1"
    assert_status 0

    # docker-credential-NAME get: the server on stdin, JSON on stdout.
    cat > "$BATS_TEST_TMPDIR/bin/docker-credential-skifftest" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
cat > "$BATS_TEST_TMPDIR/helper-input"
printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}' "$SREG"
EOF
    chmod +x "$BATS_TEST_TMPDIR/bin/docker-credential-skifftest"
    printf '{"credHelpers":{"%s":"skifftest"}}' "$SREG" > "$home/.docker/config.json"
    new_store
    run env HOME="$home" XDG_CONFIG_HOME= PATH="$BATS_TEST_TMPDIR/bin:$PATH" \
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" pull -q "$SREG/dockercfg/bb:1"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    grep -q "$SREG" "$BATS_TEST_TMPDIR/helper-input"
    # A wrong secret from the helper is refused with its source named.
    sed -i 's/s3cret/nope/' "$BATS_TEST_TMPDIR/bin/docker-credential-skifftest"
    run env HOME="$home" XDG_CONFIG_HOME= PATH="$BATS_TEST_TMPDIR/bin:$PATH" \
        "$SKIFF" --root "$SKIFF_ROOT" --runroot "$SKIFF_RUNROOT" pull -q "$SREG/dockercfg/bb:1"
    assert_status 125
    assert_output_contains "docker-credential-skifftest"
}

@test "search: catalog, --list-tags, --format, --limit" {
    load_busybox
    skiff push -q localhost/busybox "$REG/search/alpha:1"
    skiff push -q localhost/busybox "$REG/search/beta:1"
    skiff push -q localhost/busybox "$REG/search/beta:2"
    run skiff search "$REG/search"
    assert_status 0
    [ "${lines[0]}" = "$(printf '%s' "${lines[0]}" | grep -E '^NAME +DESCRIPTION +STARS +OFFICIAL +AUTOMATED')" ]
    assert_output_contains "$REG/search/alpha"
    assert_output_contains "$REG/search/beta"
    run skiff search --format '{{.Name}}' "$REG/bet"
    [ "$output" = "$REG/search/beta" ]
    run skiff search --limit 1 --format '{{.Name}}' "$REG/search"
    [ "${#lines[@]}" -eq 1 ]
    run skiff search --list-tags "$REG/search/beta"
    assert_status 0
    [[ ${lines[0]} =~ ^NAME\ +TAG$ ]]
    assert_output_contains "$REG/search/beta   1"
    run skiff search --list-tags --format '{{.Tag}}' "$REG/search/beta"
    [ "$output" = "$(printf '1\n2')" ]
    run skiff search --format json "$REG/search/alpha"
    [ "$(jq -r .Name <<< "$output")" = "$REG/search/alpha" ]
}

@test "short names: unqualified-search-registries in order, aliases, mirrors, blocked" {
    load_busybox
    skiff push -q localhost/busybox "$REG/sn/busybox:1"
    skiff push -q localhost/busybox "$REG/mirror/bb:1"
    dead=127.0.0.1:$(free_port)
    cat > "$CONTAINERS_REGISTRIES_CONF" <<EOF
unqualified-search-registries = ["$dead", "$REG"]

[aliases]
"mybox" = "$REG/sn/busybox"

[[registry]]
location = "registry.example.invalid"
[[registry.mirror]]
location = "$REG/mirror"

[[registry]]
location = "blocked.example.invalid"
blocked = true
EOF
    new_store
    run skiff pull --retry 0 sn/busybox:1
    assert_status 0
    assert_output_contains "Trying to pull $dead/sn/busybox:1"
    assert_output_contains "Trying to pull $REG/sn/busybox:1"
    [ "${lines[-1]}" = "$(busybox_id)" ]
    run skiff images --format '{{.Repository}}:{{.Tag}}'
    [ "$output" = "$REG/sn/busybox:1" ]

    run skiff pull --retry 0 -q sn/nothing:1
    assert_status 125
    assert_one_line_error
    assert_output_contains "$dead/sn/nothing:1"
    assert_output_contains "$REG/sn/nothing:1: image not known"

    run skiff pull -q mybox:1
    assert_status 0
    [ "$output" = "$(busybox_id)" ]

    run skiff pull -q registry.example.invalid/bb:1
    assert_status 0
    run skiff images --format '{{.Repository}}:{{.Tag}}'
    assert_output_contains "registry.example.invalid/bb:1"

    run skiff pull -q blocked.example.invalid/bb:1
    assert_status 125
    assert_output_contains "blocked"
}

@test "fake registry: a corrupt blob is a digest mismatch and nothing is stored" {
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-corrupt" corrupt)
    run skiff pull -q "$host/test/busybox"
    assert_status 125
    assert_one_line_error
    assert_output_contains "digest mismatch"
    assert_store_empty
}

@test "fake registry: a truncated blob fails after retries; a broken connection resumes" {
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-truncate" truncate)
    run skiff pull -q --retry 1 --retry-delay 0 "$host/test/busybox"
    assert_status 125
    assert_one_line_error
    assert_output_contains "cut short"
    assert_store_empty
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-flaky" flaky)
    run skiff pull -q --retry-delay 0 "$host/test/busybox"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    grep -q "GET /v2/test/busybox/blobs/" "$BATS_TEST_TMPDIR/fake-flaky/log"
}

@test "fake registry: 429 is retried after Retry-After, and reported when it lasts" {
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-429" 429)
    run skiff pull -q "$host/test/busybox"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-429-always" 429-always)
    run skiff pull -q --retry 1 "$host/test/busybox"
    assert_status 125
    assert_one_line_error
    assert_output_contains "too many requests"
}

@test "fake registry: schema 1 manifests are refused clearly" {
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-schema1" schema1)
    run skiff pull -q "$host/test/busybox"
    assert_status 125
    assert_one_line_error
    assert_output_contains "schema 1"
}

@test "fake registry: Bearer tokens, anonymous and with credentials; blob redirects" {
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-bearer" bearer)
    run skiff pull -q "$host/test/busybox"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    grep -q "GET /token" "$BATS_TEST_TMPDIR/fake-bearer/log"

    new_store
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-bearer-user" bearer bob:pw)
    run skiff pull -q "$host/test/busybox"
    assert_status 125
    assert_output_contains "authentication required"
    run skiff pull -q --creds bob:wrong "$host/test/busybox"
    assert_status 125
    assert_output_contains "invalid username/password"
    run skiff pull -q --creds bob:pw "$host/test/busybox"
    assert_status 0

    new_store
    host=$(start_fake "$BATS_TEST_TMPDIR/fake-redirect" redirect)
    run skiff pull -q "$host/test/busybox"
    assert_status 0
    [ "$output" = "$(busybox_id)" ]
    grep -q "GET /storage/" "$BATS_TEST_TMPDIR/fake-redirect/log"
}

@test "pull progress: one line per event without a terminal, live bars on one" {
    load_busybox
    skiff push -q localhost/busybox "$REG/progress/bb:1"
    new_store
    run skiff pull "$REG/progress/bb:1"
    assert_status 0
    assert_output_contains "1: Pulling from progress/bb"
    assert_output_contains ": Pulling fs layer"
    assert_output_contains ": Pull complete"
    [[ $output != *$'\e['* ]]
    command -v script >/dev/null || skip "script (util-linux) is not installed"
    new_store
    script -qec "$SKIFF --root $SKIFF_ROOT --runroot $SKIFF_RUNROOT pull $REG/progress/bb:1" /dev/null \
        > "$BATS_TEST_TMPDIR/tty.out"
    grep -q $'\e\\[' "$BATS_TEST_TMPDIR/tty.out"
    grep -q "Pull complete" "$BATS_TEST_TMPDIR/tty.out"
}

@test "run and create pull a missing image; --pull never and always" {
    load_busybox
    skiff push -q localhost/busybox:latest "$REG/runpull/busybox:1" >/dev/null
    new_store
    run skiff run --rm --pull never "$REG/runpull/busybox:1" true
    assert_status 125
    assert_output_contains "image not known"
    run skiff run --rm "$REG/runpull/busybox:1" echo pulled-and-ran
    assert_status 0
    assert_output_contains "Unable to find image"
    [ "${lines[-1]}" = "pulled-and-ran" ]
    run skiff create --pull always --name pa "$REG/runpull/busybox:1" true
    assert_status 0
    run skiff ps -a --format '{{.Names}} {{.Image}}'
    [ "$output" = "pa $REG/runpull/busybox:1" ]
}

@test "run pulls a missing image and joins a user-defined network (rootless: pulled in the namespace, run from outside)" {
    load_busybox
    skiff push -q localhost/busybox:latest "$REG/netpull/one:1" >/dev/null
    skiff push -q localhost/busybox:latest "$REG/netpull/two:1" >/dev/null
    new_store
    skiff network create pullnet >/dev/null
    skiff run -d --name first --network pullnet --dns 127.0.0.9 "$REG/netpull/one:1" sleep 1000 >/dev/null
    # Pulled while the network daemon of the first container runs.
    run skiff run --rm --network pullnet --dns 127.0.0.9 "$REG/netpull/two:1" ping -c 1 first
    assert_status 0
    assert_output_contains "1 packets received"
    skiff rm -f first >/dev/null
}

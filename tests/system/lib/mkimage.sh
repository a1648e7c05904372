#!/usr/bin/env bash
# Builds the test image from Debian's busybox-static, with no network:
#   OUT/rootfs/            the unpacked tree
#   OUT/layer.tar          one-layer tar of it
#   OUT/oci/               an OCI image layout (index.json, blobs/sha256/…)
#   OUT/docker-archive.tar a `docker save`-style archive
# Usage: mkimage.sh OUT [NAME:TAG]
set -euo pipefail
out=$1
ref=${2:-localhost/busybox:latest}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "mkimage: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
file "$busybox" 2>/dev/null | grep -q 'statically linked' || ldd "$busybox" 2>&1 | grep -q 'not a dynamic' ||
    { echo "mkimage: $busybox is not static" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/rootfs"/{bin,etc,tmp,root,home,proc,sys,dev,var/tmp,usr/bin,usr/sbin,sbin}
chmod 1777 "$out/rootfs/tmp" "$out/rootfs/var/tmp"
cp "$busybox" "$out/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$out/rootfs/bin/$applet"
done
cat > "$out/rootfs/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www:x:33:33:www:/var/www:/bin/false
PW
cat > "$out/rootfs/etc/group" <<'GR'
root:x:0:
daemon:x:1:
bin:x:2:
tty:x:5:
wheel:x:10:root
www:x:33:
users:x:100:
nogroup:x:65534:
GR
echo "skiff test image" > "$out/rootfs/etc/motd"

# Reproducible: fixed mtimes, owners and order, so the image ID is stable.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out/rootfs" -cf "$out/layer.tar" .
diff_id=$(sha256sum "$out/layer.tar" | cut -d' ' -f1)
gzip -n -c "$out/layer.tar" > "$out/layer.tar.gz"
layer_digest=$(sha256sum "$out/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$out/layer.tar.gz")

config=$(cat <<CFG
{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"mkimage.sh: busybox-static"}]}
CFG
)
config_digest=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
config_size=$(printf '%s' "$config" | wc -c)
manifest=$(cat <<MAN
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer_digest","size":$layer_size}]}
MAN
)
manifest_digest=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
manifest_size=$(printf '%s' "$manifest" | wc -c)

mkdir -p "$out/oci/blobs/sha256"
cp "$out/layer.tar.gz" "$out/oci/blobs/sha256/$layer_digest"
printf '%s' "$config" > "$out/oci/blobs/sha256/$config_digest"
printf '%s' "$manifest" > "$out/oci/blobs/sha256/$manifest_digest"
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "${ref##*:}" > "$out/oci/index.json"

mkdir -p "$out/docker/$diff_id"
cp "$out/layer.tar" "$out/docker/$diff_id/layer.tar"
printf '%s' "$config" > "$out/docker/$config_digest.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_digest" "$ref" "$diff_id" \
    > "$out/docker/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out/docker" -cf "$out/docker-archive.tar" .
rm -rf "$out/docker"
echo "$config_digest" > "$out/image-id"

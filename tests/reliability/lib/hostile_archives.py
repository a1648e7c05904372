#!/usr/bin/env python3
"""Hostile inputs for `skiff load` and `skiff import` (issue 16).

    hostile_archives.py generate OUTDIR CANARY   every case, and OUTDIR/cases.tsv
    hostile_archives.py one CASE OUT CANARY      one case (a file, or a directory for oci-dir cases)
    hostile_archives.py list                     the case names

cases.tsv has one line per case: NAME, COMMAND (load | import), EXPECT and
a description. EXPECT is
    refuse  skiff must exit 125 with one "Error: ..." line and store nothing;
    load    skiff must accept it (what it does is safe: Docker does the same);
    safe    either, as long as nothing escapes.
CANARY is a directory on the host that every escape attempt aims at (by
absolute path, by "../" climbing, through symlinks and hard links); its
contents must be the same afterwards. Files an attempt would create are
named ESCAPED-<case>, so a leak anywhere is easy to find.

Only the standard library: the tars are written member by member, so
that they can say things tar(1) would never write.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

CLIMB = "../" * 40


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Tar:
    """A tar built in memory, member by member."""

    def __init__(self, fmt=tarfile.PAX_FORMAT):
        self.buf = io.BytesIO()
        self.t = tarfile.open(fileobj=self.buf, mode="w", format=fmt)

    def file(self, name, data=b"", mode=0o644, **kw):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = mode
        for k, v in kw.items():
            setattr(ti, k, v)
        self.t.addfile(ti, io.BytesIO(data))
        return self

    def dir(self, name, mode=0o755):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.mode = mode
        self.t.addfile(ti)
        return self

    def symlink(self, name, target):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
        self.t.addfile(ti)
        return self

    def hardlink(self, name, target):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.LNKTYPE
        ti.linkname = target
        self.t.addfile(ti)
        return self

    def special(self, name, kind, major=0, minor=0):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.devmajor, ti.devminor = major, minor
        ti.mode = 0o644
        self.t.addfile(ti)
        return self

    def pax(self, name, headers, data=b""):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.pax_headers = headers
        self.t.addfile(ti, io.BytesIO(data))
        return self

    def bytes(self):
        self.t.close()
        return self.buf.getvalue()


def ok_layer(marker="ok"):
    return Tar().dir("etc").file("etc/" + marker, b"fine\n").bytes()


def config(diff_ids):
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()


def docker_archive(layers, tags=("localhost/hostile:latest",), cfg=None, manifest=None, extra=()):
    """layers: [(member name, bytes)]; diff IDs from the bytes unless cfg is given."""
    t = Tar()
    for name, data in layers:
        t.file(name, data)
    cfg = cfg if cfg is not None else config([sha(data) for _, data in layers])
    t.file("config.json", cfg)
    if manifest is None:
        manifest = json.dumps([{"Config": "config.json", "RepoTags": list(tags),
                                "Layers": [n for n, _ in layers]}]).encode()
    t.file("manifest.json", manifest)
    for fn in extra:
        fn(t)
    return t.bytes()


def layer_archive(layer):
    """A docker-archive whose one layer is `layer`, its diff ID honest."""
    return docker_archive([("l/layer.tar", layer)])


def oci_archive(layers, index=None, manifest=None, cfg=None, blobs=None, layer_descs=None, config_desc=None):
    t = Tar()
    blob = {}
    for data in layers:
        blob[sha(data)] = data
    cfg = cfg if cfg is not None else config([sha(d) for d in layers])
    blob[sha(cfg)] = cfg
    if layer_descs is None:
        layer_descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(d), "size": len(d)}
                       for d in layers]
    if config_desc is None:
        config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg), "size": len(cfg)}
    if manifest is None:
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": config_desc, "layers": layer_descs}).encode()
    blob[sha(manifest)] = manifest
    if blobs:
        blob.update(blobs)
    if index is None:
        index = json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(manifest),
             "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "localhost/hostile:oci"}}]})
    t.file("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    t.file("index.json", index.encode() if isinstance(index, str) else index)
    for digest, data in blob.items():
        t.file("blobs/sha256/" + digest.split(":", 1)[1], data)
    return t.bytes()


def corrupt_gzip(data):
    z = bytearray(gzip.compress(data, mtime=0))
    for i in range(20, min(len(z) - 8, 400), 7):
        z[i] ^= 0x5A
    return bytes(z)


def truncated(data, keep=0.6):
    return data[: int(len(data) * keep)]


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def huge_member_tar():
    """A tar whose one member claims 8 GiB and brings 10 bytes."""
    ti = tarfile.TarInfo("huge")
    ti.size = 8 << 30
    hdr = ti.tobuf(tarfile.GNU_FORMAT)  # base-256 size field
    return hdr + b"0123456789" + b"\0" * 502


def cases(canary):
    """(name, command, expect, description, builder) for every input."""
    c = canary.rstrip("/")
    esc = lambda name: "ESCAPED-" + name
    out = []

    def add(name, command, expect, desc, build):
        out.append((name, command, expect, desc, build))

    # ---- docker-archive metadata that lies or has the wrong shape -------
    good = ok_layer()
    add("manifest-not-a-list", "load", "refuse", "manifest.json is an object",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b"{}"))
    add("manifest-list-of-lists", "load", "refuse", "manifest.json is [[]]",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b"[[]]"))
    add("manifest-empty-list", "load", "refuse", "manifest.json is []",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b"[]"))
    add("manifest-invalid-json", "load", "refuse", "manifest.json is cut short",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b'[{"Config":'))
    add("manifest-deep-nesting", "load", "refuse", "manifest.json nests 200000 lists",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b"[" * 200000 + b"]" * 200000))
    add("manifest-config-number", "load", "refuse", "Config is a number",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b'[{"Config":1,"Layers":[]}]'))
    add("manifest-layers-object", "load", "refuse", "Layers is an object",
        lambda: docker_archive([("l/layer.tar", good)], manifest=b'[{"Config":"config.json","Layers":{}}]'))
    add("manifest-repotags-string", "load", "refuse", "RepoTags is a string",
        lambda: docker_archive([("l/layer.tar", good)],
                               manifest=b'[{"Config":"config.json","Layers":["l/layer.tar"],"RepoTags":"x"}]'))
    add("manifest-bad-tag", "load", "refuse", "a RepoTag that is no reference",
        lambda: docker_archive([("l/layer.tar", good)], tags=["UPPER/Case:tag with space"]))
    add("manifest-long-tag", "load", "refuse", "a 300-character repository",
        lambda: docker_archive([("l/layer.tar", good)], tags=["localhost/" + "a" * 300 + ":1"]))
    add("no-manifest", "load", "refuse", "neither manifest.json nor index.json",
        lambda: Tar().file("l/layer.tar", good).file("config.json", config([sha(good)])).bytes())
    add("config-missing", "load", "refuse", "the manifest's Config is not in the archive",
        lambda: docker_archive([("l/layer.tar", good)], manifest=json.dumps(
            [{"Config": "nope.json", "Layers": ["l/layer.tar"]}]).encode()))
    add("config-absolute-path", "load", "refuse", "Config names /etc/passwd",
        lambda: docker_archive([("l/layer.tar", good)], manifest=json.dumps(
            [{"Config": "/etc/passwd", "Layers": ["l/layer.tar"]}]).encode()))
    add("config-traversal-path", "load", "refuse", "Config climbs out with ../",
        lambda: docker_archive([("l/layer.tar", good)], manifest=json.dumps(
            [{"Config": CLIMB + "etc/passwd", "Layers": ["l/layer.tar"]}]).encode()))
    add("config-not-object", "load", "refuse", "the image config is a list",
        lambda: docker_archive([("l/layer.tar", good)], cfg=b"[]"))
    add("config-rootfs-list", "load", "refuse", "rootfs is a list",
        lambda: docker_archive([("l/layer.tar", good)], cfg=b'{"rootfs":[]}'))
    add("config-diffid-count", "load", "refuse", "two diff IDs for one layer",
        lambda: docker_archive([("l/layer.tar", good)], cfg=config([sha(good), sha(good)])))
    add("config-diffid-path", "load", "refuse", "a diff ID that is a path",
        lambda: docker_archive([("l/layer.tar", good)], cfg=config(["sha256:" + CLIMB + "tmp"])))
    add("config-diffid-no-algorithm", "load", "refuse", "a diff ID without sha256:",
        lambda: docker_archive([("l/layer.tar", good)], cfg=config([hashlib.sha256(good).hexdigest()])))
    add("config-diffid-lie", "load", "refuse", "the diff ID of another layer",
        lambda: docker_archive([("l/layer.tar", good)], cfg=config([sha(ok_layer("other"))])))
    add("layer-missing", "load", "refuse", "a layer the manifest names is absent",
        lambda: docker_archive([], cfg=config([sha(good)]), manifest=json.dumps(
            [{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode()))
    add("layer-empty-file", "load", "refuse", "a 0-byte layer.tar",
        lambda: docker_archive([("l/layer.tar", b"")]))
    add("layer-garbage", "load", "refuse", "a layer of 300 random-looking bytes",
        lambda: docker_archive([("l/layer.tar", bytes(range(256)) + b"x" * 44)]))
    add("layer-is-config", "load", "refuse", "the manifest names the config as a layer",
        lambda: docker_archive([("l/layer.tar", good)], manifest=json.dumps(
            [{"Config": "config.json", "Layers": ["config.json"]}]).encode(), cfg=config([sha(good)])))
    add("layer-traversal-path", "load", "refuse", "a Layers entry climbing out of the archive",
        lambda: docker_archive([("l/layer.tar", good)], manifest=json.dumps(
            [{"Config": "config.json", "Layers": [CLIMB + "etc/passwd"]}]).encode()))
    add("layer-symlink-member-out", "load", "refuse", "the layer member is a symlink to /etc/passwd",
        lambda: docker_archive([], cfg=config([sha(good)]), manifest=json.dumps(
            [{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode(),
            extra=[lambda t: t.symlink("l/layer.tar", "/etc/passwd")]))
    add("member-symlink-loop", "load", "refuse", "manifest.json is a symlink loop",
        lambda: Tar().symlink("manifest.json", "a").symlink("a", "manifest.json").bytes())

    def shared_lie():
        other = ok_layer("other")
        t = Tar().file("L/layer.tar", good)
        t.file("c1.json", config([sha(good)])).file("c2.json", config([sha(other)]))
        t.file("manifest.json", json.dumps([
            {"Config": "c1.json", "RepoTags": ["localhost/first:1"], "Layers": ["L/layer.tar"]},
            {"Config": "c2.json", "RepoTags": ["localhost/second:1"], "Layers": ["L/layer.tar"]}]).encode())
        return t.bytes()
    add("shared-layer-lying-diffid", "load", "refuse",
        "two images share a layer file, the second claims another diff ID (issue 16, item 10)", shared_lie)

    def shared_ok():
        t = Tar().file("L/layer.tar", good).file("M/layer.tar", ok_layer("top"))
        t.file("c1.json", config([sha(good)])).file("c2.json", config([sha(good), sha(ok_layer("top"))]))
        t.file("manifest.json", json.dumps([
            {"Config": "c1.json", "RepoTags": ["localhost/first:1"], "Layers": ["L/layer.tar"]},
            {"Config": "c2.json", "RepoTags": ["localhost/second:1"], "Layers": ["L/layer.tar", "M/layer.tar"]}]).encode())
        return t.bytes()
    add("shared-layer-honest", "load", "load", "two images share a base layer file honestly", shared_ok)
    add("empty-layer-twice", "load", "load", "a 1024-byte empty layer at two places in one chain",
        lambda: docker_archive([("e/layer.tar", b"\0" * 1024), ("l/layer.tar", good), ("e/layer.tar", b"\0" * 1024)]))
    add("duplicate-manifest-last-bad", "load", "refuse", "two manifest.json members, the last one broken",
        lambda: docker_archive([("l/layer.tar", good)], extra=[lambda t: t.file("manifest.json", b"[[]]")]))
    add("duplicate-manifest-last-good", "load", "load", "two manifest.json members, the last one right",
        lambda: (lambda m: Tar().file("manifest.json", b"[[]]").file("l/layer.tar", good)
                 .file("config.json", config([sha(good)])).file("manifest.json", m).bytes())(
            json.dumps([{"Config": "config.json", "RepoTags": ["localhost/dup:1"], "Layers": ["l/layer.tar"]}]).encode()))
    add("duplicate-layer-member", "load", "refuse", "the layer member twice, the last one not what the config says",
        lambda: docker_archive([("l/layer.tar", good)], extra=[lambda t: t.file("l/layer.tar", ok_layer("swap"))]))
    add("outer-truncated", "load", "refuse", "the archive cut in the middle of its layer",
        lambda: truncated(docker_archive([("l/layer.tar", Tar().file("big", os.urandom(200000)).bytes())]), 0.5))
    add("outer-huge-member", "load", "refuse", "a member claims 8 GiB and brings 10 bytes", huge_member_tar)
    add("outer-corrupt-gzip", "load", "refuse", "a gzip archive with flipped bytes",
        lambda: corrupt_gzip(docker_archive([("l/layer.tar", good)])))
    add("outer-truncated-gzip", "load", "refuse", "a gzip archive cut short",
        lambda: truncated(gzip.compress(docker_archive([("l/layer.tar", Tar().file("big", os.urandom(100000)).bytes())]),
                                        mtime=0), 0.7))
    add("outer-corrupt-zstd", "load", "refuse", "zstd magic and garbage",
        lambda: ZSTD_MAGIC + b"\x00\x58" + os.urandom(4000))
    add("outer-garbage", "load", "refuse", "random bytes", lambda: os.urandom(20000))
    add("outer-empty", "load", "refuse", "an empty file", lambda: b"")
    add("layer-corrupt-gzip", "load", "refuse", "a gzip layer with flipped bytes",
        lambda: docker_archive([("l/layer.tar.gz", corrupt_gzip(Tar().file("big", os.urandom(50000)).bytes()))],
                               cfg=config([sha(good)])))
    add("layer-truncated-gzip", "load", "refuse", "a gzip layer cut short",
        lambda: (lambda lt: docker_archive([("l/layer.tar.gz", truncated(gzip.compress(lt, mtime=0), 0.6))],
                                           cfg=config([sha(lt)])))(Tar().file("big", os.urandom(100000)).bytes()))
    add("layer-corrupt-zstd", "load", "refuse", "a zstd layer of garbage",
        lambda: docker_archive([("l/layer.tar.zst", ZSTD_MAGIC + b"\x00\x58" + os.urandom(3000))],
                               cfg=config([sha(good)])))
    add("layer-truncated-tar", "load", "refuse", "a layer tar cut in a member's data",
        lambda: (lambda lt: docker_archive([("l/layer.tar", truncated(lt, 0.5))], cfg=config([sha(lt)])))(
            Tar().file("big", os.urandom(100000)).bytes()))
    add("layer-huge-member", "load", "refuse", "a layer member claims 8 GiB and brings 10 bytes",
        lambda: docker_archive([("l/layer.tar", huge_member_tar())]))

    # ---- layer contents that aim outside the layer ----------------------
    hostile_layers = [
        ("traversal-dotdot", "safe", "a member climbing out with ../",
         lambda n: Tar().file(CLIMB + c.lstrip("/") + "/" + esc(n), b"x").bytes()),
        ("traversal-inner-dotdot", "safe", "a member a/../../.. deep",
         lambda n: Tar().dir("a").file("a/" + CLIMB + c.lstrip("/") + "/" + esc(n), b"x").bytes()),
        ("traversal-absolute", "safe", "an absolute member name",
         lambda n: Tar().file(c + "/" + esc(n), b"x").bytes()),
        ("symlink-then-file", "safe", "a symlink to the canary, then a file through it",
         lambda n: Tar().symlink("evil", c).file("evil/" + esc(n), b"x").bytes()),
        ("symlink-relative-then-file", "safe", "a ../ symlink, then a file through it",
         lambda n: Tar().symlink("evil", CLIMB + c.lstrip("/")).file("evil/" + esc(n), b"x").bytes()),
        ("symlink-then-dir", "safe", "a symlink to the canary, then a directory and a file through it",
         lambda n: Tar().symlink("evil", c).dir("evil/" + esc(n)).file("evil/" + esc(n) + "/f", b"x").bytes()),
        ("symlink-chain", "safe", "a chain of symlinks ending at the canary",
         lambda n: Tar().symlink("a", "b").symlink("b", "c").symlink("c", c).file("a/" + esc(n), b"x").bytes()),
        ("symlink-replace-file", "safe", "a file written over a symlink to a canary file",
         lambda n: Tar().symlink("precious", c + "/precious").file("precious", b"overwritten").bytes()),
        ("hardlink-absolute", "safe", "a hard link to the canary's file by absolute path",
         lambda n: Tar().hardlink(esc(n), c + "/precious").bytes()),
        ("hardlink-dotdot", "safe", "a hard link climbing out with ../",
         lambda n: Tar().hardlink(esc(n), CLIMB + c.lstrip("/") + "/precious").bytes()),
        ("hardlink-through-symlink", "safe", "a symlink to the canary, then a hard link through it",
         lambda n: Tar().symlink("s", c).hardlink(esc(n), "s/precious").bytes()),
        ("hardlink-then-write", "safe", "a hard link to a symlink to the canary file, then data for it",
         lambda n: Tar().symlink("s", c + "/precious").hardlink("h", "s").file("h", b"overwritten").bytes()),
        ("hardlink-missing", "safe", "a hard link to nothing", lambda n: Tar().hardlink("h", "nowhere").bytes()),
        ("whiteout-dotdot", "safe", "a whiteout of ..", lambda n: Tar().dir("a").file("a/.wh..", b"").bytes()),
        ("whiteout-dotdotdot", "safe", "a whiteout named .wh...",
         lambda n: Tar().dir("a").file("a/.wh...", b"").bytes()),
        ("whiteout-dir-dotdotdot", "safe", "a directory .wh.../ with a file in it",
         lambda n: Tar().dir(".wh...").file(".wh.../" + esc(n), b"x").bytes()),
        ("whiteout-root", "safe", "a whiteout named .wh. (of nothing)", lambda n: Tar().file(".wh.", b"").bytes()),
        ("whiteout-traversal", "safe", "a whiteout climbing out at the canary's file",
         lambda n: Tar().file(CLIMB + c.lstrip("/") + "/.wh.precious", b"").bytes()),
        ("whiteout-through-symlink", "safe", "a symlink to the canary, then a whiteout through it",
         lambda n: Tar().symlink("s", c).file("s/.wh.precious", b"").bytes()),
        ("opaque-through-symlink", "safe", "a symlink to the canary, then an opaque marker through it",
         lambda n: Tar().symlink("s", c).file("s/.wh..wh..opq", b"").bytes()),
        ("opaque-root", "load", "an opaque marker at the root", lambda n: Tar().file(".wh..wh..opq", b"").bytes()),
        ("device-nodes", "load", "character and block devices (skipped rootless, as Docker does)",
         lambda n: Tar().special("dev/null", tarfile.CHRTYPE, 1, 3).special("dev/sda", tarfile.BLKTYPE, 8, 0)
         .special("dev/wh", tarfile.CHRTYPE, 0, 0).bytes()),
        ("device-through-symlink", "safe", "a symlink to the canary, then a device node through it",
         lambda n: Tar().symlink("s", c).special("s/" + esc(n), tarfile.CHRTYPE, 1, 3).bytes()),
        ("fifo", "load", "a fifo", lambda n: Tar().special("pipe", tarfile.FIFOTYPE).bytes()),
        ("setuid-file", "load", "a setuid root file", lambda n: Tar().file("suid", b"x", mode=0o4755).bytes()),
        ("xattr-private", "load", "overlay's own xattrs in a PAX header",
         lambda n: Tar().pax("f", {"SCHILY.xattr.trusted.overlay.redirect": "/etc",
                                    "SCHILY.xattr.user.overlay.opaque": "y",
                                    "SCHILY.xattr.security.selinux": "system_u:object_r:shadow_t:s0"}, b"x").bytes()),
        ("newline-name", "load", "a member name with a newline",
         lambda n: Tar().file("a\nError: forged", b"x").bytes()),
        ("newline-traversal", "safe", "a climbing member name with a newline (one error line still)",
         lambda n: Tar().file(CLIMB + "x\nError: forged", b"x").bytes()),
        ("long-name", "safe", "a 5000-character PAX name", lambda n: Tar().file("n" * 5000, b"x").bytes()),
        ("deep-dirs", "safe", "400 nested directories",
         lambda n: Tar().file("/".join(["d"] * 400) + "/f", b"x").bytes()),
        ("file-then-dir", "load", "a file, then a directory of the same name",
         lambda n: Tar().file("x", b"x").dir("x").file("x/y", b"y").bytes()),
        ("dir-then-file", "load", "a directory with a file, then a file of the same name",
         lambda n: Tar().dir("x").file("x/y", b"y").file("x", b"x").bytes()),
        ("root-member-file", "safe", "a regular file named ./",
         lambda n: Tar().file("./", b"x").bytes()),
        ("dir-mode-zero", "load", "a directory of mode 0 with a file in it",
         lambda n: Tar().dir("locked", 0).file("locked/f", b"x").bytes()),
    ]
    for name, expect, desc, build in hostile_layers:
        add("layer-" + name, "load", expect, desc + " (in a layer)",
            (lambda b, n: lambda: layer_archive(b(n)))(build, "layer-" + name))
        add("import-" + name, "import", expect, desc + " (a tarball to import)",
            (lambda b, n: lambda: b(n))(build, "import-" + name))
    # Docker imports an empty file as an empty layer.
    add("import-empty-file", "import", "safe", "an empty file", lambda: b"")
    add("import-garbage", "import", "refuse", "random bytes", lambda: os.urandom(5000))
    add("import-corrupt-gzip", "import", "refuse", "a gzip tarball with flipped bytes",
        lambda: corrupt_gzip(Tar().file("big", os.urandom(50000)).bytes()))
    add("import-truncated-gzip", "import", "refuse", "a gzip tarball cut short",
        lambda: truncated(gzip.compress(Tar().file("big", os.urandom(100000)).bytes(), mtime=0), 0.6))
    add("import-corrupt-zstd", "import", "refuse", "zstd magic and garbage",
        lambda: ZSTD_MAGIC + b"\x00\x58" + os.urandom(3000))
    add("import-truncated-tar", "import", "refuse", "a tar cut in a member's data",
        lambda: truncated(Tar().file("big", os.urandom(100000)).bytes(), 0.5))
    add("import-huge-member", "import", "refuse", "a member claims 8 GiB and brings 10 bytes", huge_member_tar)

    # ---- oci-archive ----------------------------------------------------
    add("oci-index-list", "load", "refuse", "index.json is a list", lambda: oci_archive([good], index="[]"))
    add("oci-index-list-of-lists", "load", "refuse", "manifests is [[]]",
        lambda: oci_archive([good], index='{"manifests":[[]]}'))
    add("oci-index-empty", "load", "refuse", "index.json lists nothing", lambda: oci_archive([good], index='{"manifests":[]}'))
    add("oci-index-no-manifests", "load", "refuse", "index.json without manifests", lambda: oci_archive([good], index="{}"))
    add("oci-index-digest-path", "load", "refuse", "a manifest digest that is a path",
        lambda: oci_archive([good], index=json.dumps({"manifests": [{"digest": "sha256:" + CLIMB + "etc/passwd"}]})))
    add("oci-index-digest-md5", "load", "refuse", "a manifest digest of another algorithm",
        lambda: oci_archive([good], index=json.dumps({"manifests": [{"digest": "md5:" + "a" * 32}]})))
    add("oci-manifest-missing", "load", "refuse", "the manifest blob is absent",
        lambda: oci_archive([good], index=json.dumps({"manifests": [{"digest": sha(b"nothing")}]})))
    add("oci-manifest-size-lie", "load", "refuse", "the manifest descriptor says 2^62 bytes",
        lambda: (lambda m: oci_archive([good], manifest=m, index=json.dumps(
            {"manifests": [{"digest": sha(m), "size": 1 << 62}]})))(
            json.dumps({"config": {"digest": sha(config([sha(good)]))},
                        "layers": [{"digest": sha(good), "size": len(good)}]}).encode()))
    add("oci-manifest-size-negative", "load", "refuse", "the manifest descriptor says -1 bytes",
        lambda: oci_archive([good], index=json.dumps({"manifests": [{"digest": sha(b"x"), "size": -1}]})))

    def wrong_blob():
        m = json.dumps({"config": {"digest": sha(config([sha(good)]))},
                        "layers": [{"digest": sha(good)}]}).encode()
        # The manifest filed under another blob's digest.
        return oci_archive([good], manifest=b"{}", index=json.dumps({"manifests": [{"digest": sha(m)}]}),
                           blobs={sha(m): b'{"config":{},"layers":[]}'})
    add("oci-manifest-digest-mismatch", "load", "refuse", "a manifest blob that does not hash to its name", wrong_blob)
    add("oci-manifest-not-object", "load", "refuse", "the manifest is a list", lambda: oci_archive([good], manifest=b"[]"))
    add("oci-manifest-layers-object", "load", "refuse", "the manifest's layers is an object",
        lambda: oci_archive([good], manifest=json.dumps({"config": {"digest": sha(config([sha(good)]))},
                                                           "layers": {}}).encode()))
    add("oci-config-missing", "load", "refuse", "the config blob is absent",
        lambda: oci_archive([good], config_desc={"digest": sha(b"no config")}))
    add("oci-config-size-lie", "load", "refuse", "the config descriptor's size is wrong",
        lambda: (lambda cf: oci_archive([good], cfg=cf, config_desc={"digest": sha(cf), "size": len(cf) + 1}))(
            config([sha(good)])))
    add("oci-layer-missing", "load", "refuse", "a layer blob is absent",
        lambda: oci_archive([], cfg=config([sha(good)]), layer_descs=[{"digest": sha(good), "size": len(good)}]))
    add("oci-layer-digest-lie", "load", "refuse", "a layer filed under another layer's digest",
        lambda: (lambda other: oci_archive([], cfg=config([sha(good)]), layer_descs=[{"digest": sha(other)}],
                                           blobs={sha(other): good}))(ok_layer("other")))
    add("oci-layer-size-lie", "load", "refuse", "a layer descriptor's size is 2^40",
        lambda: oci_archive([good], layer_descs=[{"digest": sha(good), "size": 1 << 40}]))
    add("oci-layer-diffid-lie", "load", "refuse", "the config's diff ID is another layer's",
        lambda: oci_archive([good], cfg=config([sha(ok_layer("other"))])))
    add("oci-layer-empty-blob", "load", "refuse", "a 0-byte layer blob",
        lambda: oci_archive([], cfg=config([sha(b"")]), layer_descs=[{"digest": sha(b"")}], blobs={sha(b""): b""}))

    def oci_shared_lie():
        other = ok_layer("other")
        c1, c2 = config([sha(good)]), config([sha(other)])
        m1 = json.dumps({"config": {"digest": sha(c1)}, "layers": [{"digest": sha(good)}]}).encode()
        m2 = json.dumps({"config": {"digest": sha(c2)}, "layers": [{"digest": sha(good)}]}).encode()
        return oci_archive([good], cfg=c1, manifest=m1, blobs={sha(c2): c2, sha(m2): m2},
                           index=json.dumps({"manifests": [{"digest": sha(m1)}, {"digest": sha(m2)}]}))
    add("oci-shared-layer-lying-diffid", "load", "refuse", "two manifests share a layer blob, one lies about it",
        oci_shared_lie)

    def nested(depth):
        def build():
            m = json.dumps({"config": {"digest": sha(config([sha(good)]))},
                            "layers": [{"digest": sha(good)}]}).encode()
            blobs, top = {}, m
            for _ in range(depth):
                idx = json.dumps({"mediaType": "application/vnd.oci.image.index.v1+json",
                                  "manifests": [{"digest": sha(top)}]}).encode()
                blobs[sha(idx)] = idx
                top = idx
            return oci_archive([good], manifest=m, blobs=blobs, index=json.dumps({"manifests": [{"digest": sha(top)}]}))
        return build
    add("oci-nested-index-deep", "load", "refuse", "indexes nested 50 deep", nested(50))
    add("oci-nested-index-ok", "load", "load", "an index inside the index", nested(1))
    add("oci-honest", "load", "load", "a plain, honest oci-archive", lambda: oci_archive([good]))
    return out


def write_case(case, out):
    name, command, expect, desc, build = case
    data = build()
    with open(out, "wb") as f:
        f.write(data)


def main(argv):
    if len(argv) >= 3 and argv[0] == "generate":
        outdir, canary = argv[1], argv[2]
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "cases.tsv"), "w") as tsv:
            for case in cases(canary):
                name, command, expect, desc, _ = case
                write_case(case, os.path.join(outdir, name + ".tar"))
                tsv.write("\t".join([name, command, expect, desc]) + "\n")
        return 0
    if len(argv) >= 4 and argv[0] == "one":
        for case in cases(argv[3]):
            if case[0] == argv[1]:
                write_case(case, argv[2])
                return 0
        print("no such case: " + argv[1], file=sys.stderr)
        return 2
    if argv[:1] == ["list"]:
        for case in cases("/canary"):
            print(case[0])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

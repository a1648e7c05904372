// tar_apply: content, metadata, compression, digests, whiteouts, and
// archives written to attack the extractor.
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <clocale>
#include <locale.h>

#include <catch2/catch.hpp>

#include "layers/tar_apply.hpp"
#include "test_layers_helpers.hpp"
#include "util/error.hpp"

using namespace skiff::layers;
using namespace layers_test;

namespace {

std::string basic_tar() {
    TarBuilder t;
    t.dir("etc", {.mode = 0755, .mtime = 1500000000});
    t.file("etc/hostname", "box\n", {.mode = 0640, .mtime = 1500000001});
    t.dir("usr/bin", {.mode = 0755});
    t.file("usr/bin/tool", "#!/bin/sh\necho hi\n", {.mode = 0755});
    t.symlink("bin", "usr/bin");
    t.hardlink("usr/bin/tool2", "usr/bin/tool");
    return t.finish();
}

}  // namespace

TEST_CASE("apply: files, dirs, symlinks and hard links", "[layers]") {
    TempDir d;
    auto tar = basic_tar();
    auto res = apply_tar(string_reader(tar, 777), d.path(), quiet());
    CHECK(res.entries == 6);
    CHECK(slurp(d / "etc/hostname") == "box\n");
    auto st = lstat_of(d / "etc/hostname");
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_mtim.tv_sec == 1500000001);
    CHECK(lstat_of(d / "etc").st_mtim.tv_sec == 1500000000);
    CHECK(S_ISDIR(lstat_of(d / "usr").st_mode));  // made implicitly
    CHECK(S_ISLNK(lstat_of(d / "bin").st_mode));
    char target[64] = {};
    REQUIRE(::readlink((d / "bin").c_str(), target, sizeof target - 1) > 0);
    CHECK(std::string(target) == "usr/bin");
    auto a = lstat_of(d / "usr/bin/tool"), b = lstat_of(d / "usr/bin/tool2");
    CHECK(a.st_ino == b.st_ino);
    CHECK(a.st_nlink == 2);
}

TEST_CASE("apply: digests and sizes for plain, gzip and zstd", "[layers]") {
    auto tar = basic_tar();
    for (auto c : {Compression::None, Compression::Gzip, Compression::Zstd}) {
        DYNAMIC_SECTION("compression " << compression_name(c)) {
            TempDir d;
            auto blob = compress(tar, c);
            auto res = apply_tar(string_reader(blob, 1000), d.path(), quiet());
            CHECK(res.compression == c);
            CHECK(res.digest == sha(blob));
            CHECK(res.diff_id == sha(tar));
            CHECK(res.compressed_size == blob.size());
            CHECK(res.size == tar.size());
            CHECK(slurp(d / "usr/bin/tool") == "#!/bin/sh\necho hi\n");
        }
    }
}

TEST_CASE("apply: the diff ID covers padding after the end-of-archive blocks", "[layers]") {
    TempDir d;
    auto tar = basic_tar() + std::string(8192, '\0');
    auto blob = compress(tar, Compression::Gzip);
    auto res = apply_tar(string_reader(blob), d.path(), quiet());
    CHECK(res.diff_id == sha(tar));
    CHECK(res.digest == sha(blob));
}

TEST_CASE("apply: concatenated gzip members are one stream", "[layers]") {
    TempDir d;
    auto tar = basic_tar();
    auto half = tar.size() / 2;
    auto blob = compress(tar.substr(0, half), Compression::Gzip) + compress(tar.substr(half), Compression::Gzip);
    auto res = apply_tar(string_reader(blob), d.path(), quiet());
    CHECK(res.diff_id == sha(tar));
    CHECK(exists(d / "usr/bin/tool2"));
}

TEST_CASE("apply: empty layers", "[layers]") {
    TempDir d;
    CHECK(apply_tar(string_reader(""), d.path(), quiet()).entries == 0);
    CHECK(apply_tar(string_reader(std::string(1024, '\0')), d.path(), quiet()).entries == 0);
    CHECK(apply_tar(string_reader(compress(TarBuilder().finish(), Compression::Gzip)), d.path(), quiet())
              .entries == 0);
}

TEST_CASE("apply: truncated and corrupt streams are refused", "[layers]") {
    auto tar = TarBuilder().file("big", std::string(300000, 'x')).finish();
    SECTION("truncated gzip") {
        TempDir d;
        auto gz = compress(tar, Compression::Gzip);
        gz.resize(gz.size() - 10);  // cuts the trailer (crc, size)
        CHECK_THROWS_WITH(apply_tar(string_reader(gz), d.path(), quiet()),
                          Catch::Contains("truncated") || Catch::Contains("unexpected end"));
    }
    SECTION("truncated gzip in the middle of a member") {
        TempDir d;
        auto gz = compress(tar, Compression::Gzip);
        gz.resize(gz.size() / 3);
        CHECK_THROWS(apply_tar(string_reader(gz), d.path(), quiet()));
    }
    SECTION("corrupt gzip") {
        TempDir d;
        auto gz = compress(tar + std::string("more data to compress"), Compression::Gzip);
        for (size_t i = 20; i < 40; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
        CHECK_THROWS(apply_tar(string_reader(gz), d.path(), quiet()));
    }
    SECTION("truncated zstd") {
        TempDir d;
        auto zs = compress(tar, Compression::Zstd);
        zs.resize(zs.size() - 3);
        CHECK_THROWS(apply_tar(string_reader(zs), d.path(), quiet()));
    }
    SECTION("truncated plain tar") {
        TempDir d;
        CHECK_THROWS_WITH(apply_tar(string_reader(tar.substr(0, tar.size() / 2)), d.path(), quiet()),
                          Catch::Contains("big") && Catch::Contains("Truncated"));
    }
    SECTION("garbage after a gzip stream") {
        TempDir d;
        auto gz = compress(tar, Compression::Gzip) + "garbage";
        CHECK_THROWS_WITH(apply_tar(string_reader(gz), d.path(), quiet()), Catch::Contains("after the end"));
    }
}

TEST_CASE("extract_layer: renames into place, leaves nothing on failure", "[layers]") {
    TempDir d;
    auto tar = basic_tar();
    SECTION("success") {
        auto res = extract_layer(string_reader(tar), d / "layer", quiet());
        CHECK(slurp(d / "layer/etc/hostname") == "box\n");
        CHECK(res.diff_id == sha(tar));
        int fd = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY);
        CHECK(list_dir(fd) == std::vector<std::string>{"layer"});
        ::close(fd);
    }
    SECTION("digest mismatch") {
        auto o = quiet();
        o.expect_diff_id = "sha256:" + std::string(64, '0');
        CHECK_THROWS_WITH(extract_layer(string_reader(tar), d / "layer", o), Catch::Contains("mismatch"));
        CHECK_FALSE(exists(d / "layer"));
        int fd = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY);
        CHECK(list_dir(fd).empty());
        ::close(fd);
    }
    SECTION("truncated input") {
        auto gz = compress(tar, Compression::Gzip);
        gz.resize(gz.size() / 2);
        CHECK_THROWS(extract_layer(string_reader(gz), d / "layer", quiet()));
        int fd = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY);
        CHECK(list_dir(fd).empty());
        ::close(fd);
    }
}

TEST_CASE("apply: setuid, setgid and sticky bits survive", "[layers]") {
    TempDir d;
    auto tar = TarBuilder()
                   .file("suid", "x", {.mode = 04755})
                   .file("sgid", "x", {.mode = 02755})
                   .dir("tmp", {.mode = 01777})
                   .finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    CHECK((lstat_of(d / "suid").st_mode & 07777) == 04755);
    CHECK((lstat_of(d / "sgid").st_mode & 07777) == 02755);
    CHECK((lstat_of(d / "tmp").st_mode & 07777) == 01777);
}

TEST_CASE("apply: read-only directories are filled, then locked", "[layers]") {
    TempDir d;
    auto tar = TarBuilder().dir("ro", {.mode = 0555}).file("ro/f", "data").dir("ro/sub", {.mode = 0500}).finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    CHECK(slurp(d / "ro/f") == "data");
    CHECK((lstat_of(d / "ro").st_mode & 07777) == 0555);
    CHECK((lstat_of(d / "ro/sub").st_mode & 07777) == 0500);
}

TEST_CASE("apply: owners", "[layers]") {
    TempDir d;
    auto tar = TarBuilder().file("owned", "x", {.uid = 1234, .gid = 5678}).dir("odir", {.uid = 1234, .gid = 5678}).finish();
    if (is_root()) {
        apply_tar(string_reader(tar), d.path(), quiet());
        CHECK(lstat_of(d / "owned").st_uid == 1234);
        CHECK(lstat_of(d / "owned").st_gid == 5678);
        CHECK(lstat_of(d / "odir").st_uid == 1234);
    } else {
        CHECK_THROWS_WITH(apply_tar(string_reader(tar), d.path(), quiet()), Catch::Contains("chown"));
        TempDir d2;
        auto o = quiet();
        o.ignore_owners = true;
        apply_tar(string_reader(tar), d2.path(), o);
        CHECK(lstat_of(d2 / "owned").st_uid == ::geteuid());
    }
}

TEST_CASE("apply: chown keeps setuid (mode is set after the owner)", "[layers]") {
    if (!is_root()) {
        WARN("needs root to chown; skipped");
        return;
    }
    TempDir d;
    auto tar = TarBuilder().file("su", "x", {.mode = 04711, .uid = 0, .gid = 0}).finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    CHECK((lstat_of(d / "su").st_mode & 07777) == 04711);
}

TEST_CASE("apply: xattrs", "[layers]") {
    TempDir d;
    auto tar = TarBuilder()
                   .file("f", "x", {.xattrs = {{"user.note", "hello"}, {"trusted.overlay.redirect", "/evil"}}})
                   .finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    char v[32] = {};
    ssize_t n = ::getxattr((d / "f").c_str(), "user.note", v, sizeof v);
    if (n < 0 && errno == ENOTSUP) {
        WARN("no user xattrs on /tmp; skipped");
        return;
    }
    CHECK(std::string(v, static_cast<size_t>(n)) == "hello");
    // Overlay's own xattrs are never taken from a layer.
    CHECK(::getxattr((d / "f").c_str(), "trusted.overlay.redirect", v, sizeof v) < 0);
}

TEST_CASE("apply: security.capability", "[layers]") {
    // VFS v2 capability: effective, cap_net_bind_service permitted.
    std::string cap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
    auto tar = TarBuilder().file("ping", "x", {.mode = 0755, .xattrs = {{"security.capability", cap}}}).finish();
    TempDir d;
    if (is_root()) {
        apply_tar(string_reader(tar), d.path(), quiet());
        char v[64];
        ssize_t n = ::getxattr((d / "ping").c_str(), "security.capability", v, sizeof v);
        REQUIRE(n > 0);
        CHECK(std::string(v, static_cast<size_t>(n)) == cap);
    } else {
        CHECK_THROWS_WITH(apply_tar(string_reader(tar), d.path(), quiet()), Catch::Contains("security.capability"));
        TempDir d2;
        auto o = quiet();
        int warnings = 0;
        o.ignore_xattr_errors = true;
        o.warn = [&](const std::string&) { ++warnings; };
        apply_tar(string_reader(tar), d2.path(), o);
        CHECK(warnings == 1);
        CHECK(exists(d2 / "ping"));
    }
}

TEST_CASE("apply: device nodes and fifos", "[layers]") {
    TempDir d;
    auto tar = TarBuilder().chardev("null", 1, 3).chardev("zero", 1, 5).fifo("pipe").finish();
    auto o = quiet();
    int warnings = 0;
    o.warn = [&](const std::string&) { ++warnings; };
    auto res = apply_tar(string_reader(tar), d.path(), o);
    CHECK(S_ISFIFO(lstat_of(d / "pipe").st_mode));
    if (res.skipped_devices == 0) {
        auto st = lstat_of(d / "null");
        CHECK(S_ISCHR(st.st_mode));
        CHECK(st.st_rdev == makedev(1, 3));
        CHECK(warnings == 0);
    } else {
        CHECK(res.skipped_devices == 2);
        CHECK(warnings == 1);  // one warning per layer, not per node
        CHECK_FALSE(exists(d / "null"));
    }
}

TEST_CASE("apply: sparse files keep their holes", "[layers]") {
    TempDir d;
    const int64_t size = 64 << 20;
    auto tar = TarBuilder()
                   .sparse("disk.img", size, {{0, std::string(4096, 'a')}, {32 << 20, std::string(4096, 'b')}})
                   .finish();
    CHECK(tar.size() < 100000);  // the holes are not in the archive
    apply_tar(string_reader(tar), d.path(), quiet());
    auto st = lstat_of(d / "disk.img");
    CHECK(st.st_size == size);
    CHECK(st.st_blocks * 512 < (1 << 20));
    auto content = slurp(d / "disk.img");
    CHECK(content.substr(0, 4096) == std::string(4096, 'a'));
    CHECK(content.substr(4096, 4096) == std::string(4096, '\0'));
    CHECK(content.substr(32 << 20, 4096) == std::string(4096, 'b'));
}

TEST_CASE("apply: later members replace earlier ones", "[layers]") {
    TempDir d;
    auto tar = TarBuilder()
                   .file("x", "first")
                   .file("x", "second")
                   .dir("d")
                   .file("d/f", "in d")
                   .file("d", "now a file")
                   .symlink("s", "nowhere")
                   .dir("s")
                   .finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    CHECK(slurp(d / "x") == "second");
    CHECK(slurp(d / "d") == "now a file");
    CHECK(S_ISDIR(lstat_of(d / "s").st_mode));
}

TEST_CASE("apply: non-ASCII names survive the C locale", "[layers]") {
    SECTION("raw bytes (hdrcharset=BINARY)") {
        TempDir d;
        auto tar = TarBuilder().file("caf\xc3\xa9/na\xc3\xafve.txt", "ok").file("raw\xff", "bin").finish();
        apply_tar(string_reader(tar), d.path(), quiet());
        CHECK(slurp(d / "caf\xc3\xa9/na\xc3\xafve.txt") == "ok");
        CHECK(slurp(d / "raw\xff") == "bin");
    }
    SECTION("pax UTF-8 path records, as Go writes them") {
        std::string tar;
        {
            // Writing UTF-8 pax records needs a UTF-8 locale; applying must not.
            locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
            if (!utf8) {
                WARN("no C.UTF-8 locale; skipped");
                return;
            }
            locale_t old = ::uselocale(utf8);
            std::string long_name = "d/" + std::string(120, 'x') + "-\xc3\xa9";
            tar = TarBuilder().file("caf\xc3\xa9", "ok").file(long_name, "long").finish();
            ::uselocale(old);
            ::freelocale(utf8);
        }
        TempDir d;
        apply_tar(string_reader(tar), d.path(), quiet());
        CHECK(slurp(d / "caf\xc3\xa9") == "ok");
        CHECK(slurp(d / ("d/" + std::string(120, 'x') + "-\xc3\xa9")) == "long");
    }
}

// --- whiteouts ---------------------------------------------------------------

TEST_CASE("apply: overlay whiteouts become 0:0 devices and opaque xattrs", "[layers]") {
    TempDir d;
    auto tar = TarBuilder()
                   .dir("etc")
                   .file("etc/.wh.motd", "")
                   .dir("var/cache")
                   .file("var/cache/.wh..wh..opq", "")
                   .file("var/cache/new", "n")
                   .file(".wh.kept", "")
                   .finish();
    // "kept" is in the same layer as its whiteout: the whiteout must not hide it.
    auto tar2 = TarBuilder().file("kept", "k").file(".wh.kept", "").finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    auto st = lstat_of(d / "etc/motd");
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    CHECK_FALSE(exists(d / "etc/.wh.motd"));
    CHECK_FALSE(exists(d / "var/cache/.wh..wh..opq"));
    CHECK(slurp(d / "var/cache/new") == "n");
    char v[4] = {};
    ssize_t n = ::getxattr((d / "var/cache").c_str(), kOpaqueXattrUserns, v, sizeof v);
    if (n < 0 && errno == ENOTSUP) {
        WARN("no user xattrs on /tmp; opaque check skipped");
    } else {
        CHECK(n == 1);
        CHECK(v[0] == 'y');
    }
    TempDir d2;
    apply_tar(string_reader(tar2), d2.path(), quiet());
    CHECK(slurp(d2 / "kept") == "k");
}

TEST_CASE("apply: trusted opaque xattr needs privilege, with a clear error", "[layers]") {
    TempDir d;
    auto tar = TarBuilder().dir("d").file("d/.wh..wh..opq", "").finish();
    auto o = quiet();
    o.opaque_xattr = kOpaqueXattrRoot;
    if (is_root()) {
        apply_tar(string_reader(tar), d.path(), o);
        char v[4];
        CHECK(::getxattr((d / "d").c_str(), kOpaqueXattrRoot, v, sizeof v) == 1);
    } else {
        CHECK_THROWS_WITH(apply_tar(string_reader(tar), d.path(), o), Catch::Contains("user.overlay.opaque"));
    }
}

TEST_CASE("apply: Apply-mode whiteouts delete lower content", "[layers]") {
    TempDir d;
    // The lower layers' content, already in place.
    auto lower = TarBuilder()
                     .dir("etc")
                     .file("etc/motd", "hello")
                     .file("etc/keep", "keep")
                     .dir("cache")
                     .file("cache/old1", "1")
                     .dir("cache/sub")
                     .file("cache/sub/old2", "2")
                     .dir("gone")
                     .file("gone/inner", "x")
                     .finish();
    apply_tar(string_reader(lower), d.path(), quiet(WhiteoutMode::Apply));
    auto upper = TarBuilder()
                     .file("etc/.wh.motd", "")
                     .file(".wh.gone", "")
                     .dir("cache")
                     .file("cache/new", "n")
                     .dir("cache/sub")
                     .file("cache/sub/new2", "n2")
                     .file("cache/.wh..wh..opq", "")  // after this layer's own files
                     .file(".wh.never-existed", "")
                     .hardlink("etc/keep2", "etc/keep")  // a link to a lower layer's file
                     .finish();
    apply_tar(string_reader(upper), d.path(), quiet(WhiteoutMode::Apply));
    CHECK_FALSE(exists(d / "etc/motd"));
    CHECK(slurp(d / "etc/keep") == "keep");
    CHECK_FALSE(exists(d / "gone"));
    CHECK_FALSE(exists(d / "cache/old1"));
    CHECK_FALSE(exists(d / "cache/sub/old2"));
    CHECK(slurp(d / "cache/new") == "n");
    CHECK(slurp(d / "cache/sub/new2") == "n2");
    CHECK_FALSE(exists(d / "never-existed"));
    CHECK_FALSE(exists(d / ".wh.never-existed"));
    CHECK(lstat_of(d / "etc/keep2").st_ino == lstat_of(d / "etc/keep").st_ino);
}

// --- hostile archives ----------------------------------------------------------

namespace {

// Applies `tar` into box/root and checks that nothing appeared in box/outside.
void expect_refused(const std::string& tar, const std::string& what) {
    TempDir box;
    ::mkdir((box / "root").c_str(), 0755);
    ::mkdir((box / "outside").c_str(), 0755);
    spit(box / "outside/passwd", "root:x:0:0\n");
    CHECK_THROWS_WITH(apply_tar(string_reader(tar), box / "root", quiet()), Catch::Contains(what));
    CHECK(slurp(box / "outside/passwd") == "root:x:0:0\n");
    int fd = ::open((box / "outside").c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(list_dir(fd) == std::vector<std::string>{"passwd"});
    ::close(fd);
    CHECK_FALSE(exists(box / "escape"));
    CHECK_FALSE(exists(box / "pwned"));
}

}  // namespace

TEST_CASE("apply: hostile archives are refused", "[layers]") {
    SECTION("../ escape") { expect_refused(TarBuilder().file("../escape", "x").finish(), "escapes the root"); }
    SECTION("deeper ../ escape") {
        expect_refused(TarBuilder().file("a/../../escape", "x").finish(), "escapes the root");
    }
    SECTION("absolute path") { expect_refused(TarBuilder().file("/abs", "x").finish(), "absolute"); }
    SECTION("through a symlink to /") {
        expect_refused(TarBuilder().symlink("evil", "/").file("evil/etc/passwd", "x").finish(), "symlink");
    }
    SECTION("through a relative symlink out of the root") {
        expect_refused(TarBuilder().symlink("evil", "../outside").file("evil/passwd", "x").finish(), "symlink");
    }
    SECTION("hard link out of the root") {
        expect_refused(TarBuilder().hardlink("h", "../../etc/passwd").finish(), "escapes the root");
        expect_refused(TarBuilder().hardlink("h", "../outside/passwd").finish(), "escapes the root");
    }
    SECTION("hard link through a symlink") {
        expect_refused(TarBuilder().symlink("l", "../outside").hardlink("h", "l/passwd").finish(), "symlink");
    }
    SECTION("symlink swapped in for a directory") {
        expect_refused(TarBuilder().dir("d").file("d/ok", "1").symlink("d", "../outside").file("d/passwd", "x").finish(),
                       "symlink");
    }
    SECTION("whiteout through a symlink") {
        expect_refused(TarBuilder().symlink("l", "../outside").file("l/.wh.passwd", "").finish(), "symlink");
    }
    SECTION("whiteout of ..") { expect_refused(TarBuilder().file("a/.wh...", "").finish(), "whiteout"); }
    SECTION("a name with a newline cannot forge a second error line") {
        std::string name = "../x\nError: forged";
        TempDir box;
        ::mkdir((box / "root").c_str(), 0755);
        try {
            apply_tar(string_reader(TarBuilder().file(name, "x").finish()), box / "root", quiet());
            FAIL("not refused");
        } catch (const skiff::Error& e) {
            CHECK(std::string(e.what()).find('\n') == std::string::npos);
            CHECK_THAT(e.what(), Catch::Contains("x?Error: forged"));
        }
    }
}

TEST_CASE("apply: a member over a symlink replaces the link, not its target", "[layers]") {
    TempDir box;
    ::mkdir((box / "root").c_str(), 0755);
    spit(box / "target", "precious");
    auto tar = TarBuilder().symlink("f", box / "target").file("f", "replaced").finish();
    apply_tar(string_reader(tar), box / "root", quiet());
    CHECK(slurp(box / "target") == "precious");
    CHECK(S_ISREG(lstat_of(box / "root/f").st_mode));
    CHECK(slurp(box / "root/f") == "replaced");
}

TEST_CASE("apply: a hard link to a symlink links the symlink itself", "[layers]") {
    TempDir box;
    ::mkdir((box / "root").c_str(), 0755);
    auto tar = TarBuilder().symlink("s", "/etc/passwd").hardlink("h", "s").finish();
    apply_tar(string_reader(tar), box / "root", quiet());
    CHECK(S_ISLNK(lstat_of(box / "root/h").st_mode));
}

TEST_CASE("apply: an early refusal stops the reader thread at once", "[layers]") {
    TempDir d;
    auto tar = TarBuilder().file("../escape", "x").file("big", std::string(64 << 20, 'b')).finish();
    size_t served = 0;
    auto inner = string_reader(std::move(tar), 1 << 16);
    ReadFn counting = [&](char* buf, size_t len) {
        size_t n = inner(buf, len);
        served += n;
        return n;
    };
    CHECK_THROWS_WITH(apply_tar(counting, d.path(), quiet()), Catch::Contains("escapes the root"));
    // The worker read ahead a few blocks at most, not the whole stream.
    CHECK(served < (16u << 20));
}

TEST_CASE("apply: many small files, written beside the parser, keep order with links and whiteouts", "[layers]") {
    TempDir d;
    TarBuilder b;
    for (int i = 0; i < 40; ++i) {
        std::string dir = "d" + std::to_string(i);
        b.dir(dir);
        for (int j = 0; j < 50; ++j) b.file(dir + "/f" + std::to_string(j), dir + ":" + std::to_string(j));
    }
    // Each needs a queued file on disk first (the whiteout first of all,
    // while the queue is longest).
    b.file("d39/.wh.f48", "");
    b.file("d12/.wh.gone", "");
    b.hardlink("link", "d3/f7");
    b.file("d5/f1", "replaced");
    b.file("d9", "a file now");
    auto tar = b.finish();
    apply_tar(string_reader(tar), d.path(), quiet());
    CHECK(slurp(d / "d0/f0") == "d0:0");
    CHECK(slurp(d / "d39/f49") == "d39:49");
    CHECK(slurp(d / "link") == "d3:7");
    CHECK(lstat_of(d / "link").st_ino == lstat_of(d / "d3/f7").st_ino);
    CHECK(slurp(d / "d5/f1") == "replaced");
    CHECK(slurp(d / "d9") == "a file now");
    // A whiteout hides only what lower layers brought: this layer's own
    // file stays (it was on disk before the whiteout was looked at);
    // other names get overlay's 0:0 character device.
    CHECK(slurp(d / "d39/f48") == "d39:48");
    CHECK(S_ISCHR(lstat_of(d / "d12/gone").st_mode));
}

TEST_CASE("apply: a directory replaced twice still takes small files; a member replaces this layer's whiteout",
          "[layers]") {
    SECTION("the pool's parent directory is looked up again after a replacement") {
        TempDir d;
        auto tar = TarBuilder().dir("a").file("a/x", "x").file("a", "a file").dir("a").file("a/y", "y").finish();
        apply_tar(string_reader(tar), d.path(), quiet());
        CHECK(slurp(d / "a/y") == "y");
    }
    SECTION("a file after a whiteout of its name") {
        TempDir d;
        auto tar = TarBuilder().dir("d").file("d/.wh.f", "").file("d/f", "back").finish();
        apply_tar(string_reader(tar), d.path(), quiet());
        CHECK(slurp(d / "d/f") == "back");
    }
}

// tar_diff: whole trees, overlay upper dirs, tree-vs-layers comparisons,
// and round trips through tar_apply.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>

#include "layers/tar_apply.hpp"
#include "layers/tar_diff.hpp"
#include "test_layers_helpers.hpp"

using namespace skiff::layers;
using namespace layers_test;

namespace {

bool user_xattrs_work(const std::string& dir) {
    std::string p = dir + "/.xattr-probe";
    spit(p, "");
    bool ok = ::setxattr(p.c_str(), "user.probe", "1", 1, 0) == 0;
    ::unlink(p.c_str());
    return ok;
}

// Every member kind, all directories explicit, in sorted order.
std::string rich_tar(bool xattrs) {
    Opts fx;
    if (xattrs) fx.xattrs = {{"user.origin", "test"}};
    return TarBuilder()
        .dir("bin", {.mode = 0755, .mtime = 1600000100})
        .file("bin/sh", "#!shell", {.mode = 04755, .mtime = 1600000200})
        .hardlink("bin/sh2", "bin/sh", {.mode = 04755, .mtime = 1600000200})
        .symlink("bin/sh3", "sh")
        .dir("empty", {.mode = 0700})
        .dir("etc", {.mode = 0750, .mtime = 1600000300})
        .file("etc/conf", "a=1\n", fx)
        .fifo("etc/pipe")
        .sparse("etc/sparse", 8 << 20, {{4096, "data"}, {(8 << 20) - 4, "tail"}})
        .finish();
}

std::string run_tar(DiffResult (*fn)(const std::string&, const WriteFn&, const DiffOptions&),
                    const std::string& dir, DiffOptions o = {}, DiffResult* res = nullptr) {
    std::string out;
    auto r = fn(dir, [&](const char* d, size_t n) { out.append(d, n); }, o);
    if (res) *res = r;
    return out;
}

std::string changes_str(const std::vector<Change>& cs) {
    std::string s;
    for (const auto& c : cs) s += std::string(1, change_letter(c.kind)) + " " + c.path + "\n";
    return s;
}

}  // namespace

TEST_CASE("diff: a tree round-trips through apply and tar_tree", "[layers]") {
    TempDir a, b;
    bool xattrs = user_xattrs_work(a.path());
    auto orig = rich_tar(xattrs);
    apply_tar(string_reader(orig), a.path(), quiet());
    DiffResult res;
    auto out = run_tar(tar_tree, a.path(), {}, &res);
    CHECK(members(out) == members(orig));
    CHECK(res.entries == members(orig).size());
    CHECK(res.diff_id == sha(out));
    CHECK(res.digest == res.diff_id);
    CHECK(res.changes.size() == res.entries);
    CHECK(res.changes.front() == Change{"/bin", ChangeKind::Added});
    // The sparse file stays sparse in the tar.
    CHECK(out.size() < 64 * 1024);

    // Deterministic: the same tree gives the same bytes.
    apply_tar(string_reader(out), b.path(), quiet());
    CHECK(run_tar(tar_tree, b.path()) == out);
    CHECK(lstat_of(b / "etc/sparse").st_blocks * 512 < (1 << 20));
    CHECK((lstat_of(b / "bin/sh").st_mode & 07777) == 04755);
}

TEST_CASE("diff: gzip output and its digests", "[layers]") {
    TempDir a;
    apply_tar(string_reader(rich_tar(false)), a.path(), quiet());
    DiffResult res;
    auto gz = run_tar(tar_tree, a.path(), {.compression = Compression::Gzip, .level = 1}, &res);
    CHECK(res.compression == Compression::Gzip);
    CHECK(res.digest == sha(gz));
    CHECK(res.compressed_size == gz.size());
    auto plain = run_tar(tar_tree, a.path());
    CHECK(res.diff_id == sha(plain));
    CHECK(res.size == plain.size());
    // And it applies back.
    TempDir b;
    auto back = apply_tar(string_reader(gz), b.path(), quiet());
    CHECK(back.diff_id == res.diff_id);
}

TEST_CASE("diff: an overlay upper dir becomes OCI whiteouts", "[layers]") {
    TempDir lower, upper, flat;
    if (!user_xattrs_work(upper.path())) {
        WARN("no user xattrs on /tmp; skipped");
        return;
    }
    auto lower_tar = TarBuilder()
                         .dir("etc")
                         .file("etc/keep", "old")
                         .file("etc/motd", "hello")
                         .dir("var")
                         .dir("var/cache")
                         .file("var/cache/old", "o")
                         .finish();
    apply_tar(string_reader(lower_tar), lower.path(), quiet());

    // What the kernel leaves after: rm /etc/motd; echo new > /etc/keep;
    // echo n > /etc/new; rm -rf /var/cache; mkdir /var/cache; touch fresh.
    ::mkdir((upper / "etc").c_str(), 0755);
    if (::mknod((upper / "etc/motd").c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) {
        WARN("cannot create whiteout devices here (Linux < 5.8?); skipped");
        return;
    }
    spit(upper / "etc/keep", "new");
    spit(upper / "etc/new", "n");
    ::mkdir((upper / "var").c_str(), 0755);
    ::mkdir((upper / "var/cache").c_str(), 0755);
    REQUIRE(::setxattr((upper / "var/cache").c_str(), "user.overlay.opaque", "y", 1, 0) == 0);
    spit(upper / "var/cache/fresh", "f");

    std::string out;
    auto res = tar_overlay_upper(upper.path(), {lower.path()}, [&](const char* d, size_t n) { out.append(d, n); });
    auto ms = members(out);
    CHECK(names(ms) == std::vector<std::string>{"etc", "etc/keep", "etc/.wh.motd", "etc/new", "var", "var/cache",
                                                "var/cache/.wh..wh..opq", "var/cache/fresh"});
    for (const auto& m : ms) {
        for (const auto& x : m.xattrs) CHECK_FALSE(x.first.find("overlay") != std::string::npos);
    }
    CHECK(changes_str(res.changes) ==
          "C /etc\nC /etc/keep\nD /etc/motd\nA /etc/new\nC /var\nC /var/cache\nA /var/cache/fresh\n");

    // Applying lower then the diff (vfs style) gives the merged view.
    apply_tar(string_reader(lower_tar), flat.path(), quiet(WhiteoutMode::Apply));
    apply_tar(string_reader(out), flat.path(), quiet(WhiteoutMode::Apply));
    CHECK_FALSE(exists(flat / "etc/motd"));
    CHECK(slurp(flat / "etc/keep") == "new");
    CHECK_FALSE(exists(flat / "var/cache/old"));
    CHECK(slurp(flat / "var/cache/fresh") == "f");

    // Changes only: no sink, same list.
    CHECK(tar_overlay_upper(upper.path(), {lower.path()}, {}).changes == res.changes);
}

TEST_CASE("diff: fuse-overlayfs' fallback whiteout files are understood", "[layers]") {
    TempDir lower, upper;
    apply_tar(string_reader(TarBuilder().file("a", "1").dir("d").file("d/x", "2").finish()), lower.path(), quiet());
    spit(upper / ".wh.a", "");
    ::mkdir((upper / "d").c_str(), 0755);
    spit(upper / "d/.wh..wh..opq", "");
    std::string out;
    auto res = tar_overlay_upper(upper.path(), {lower.path()}, [&](const char* d, size_t n) { out.append(d, n); });
    CHECK(names(members(out)) == std::vector<std::string>{".wh.a", "d", "d/.wh..wh..opq"});
    CHECK(changes_str(res.changes) == "D /a\nC /d\n");
}

TEST_CASE("diff: DiffOptions::skip leaves files out of the tar and the changes", "[layers]") {
    TempDir lower, upper;
    apply_tar(string_reader(TarBuilder().dir("etc").file("etc/passwd", "root").finish()), lower.path(), quiet());
    ::mkdir((upper / "etc").c_str(), 0755);
    spit(upper / "etc/hosts", "");
    spit(upper / "etc/new", "n");
    DiffOptions o;
    std::vector<std::string> asked;
    o.skip = [&](const std::string& path, const struct stat&, ChangeKind kind) {
        asked.push_back(path);
        return path == "/etc/hosts" && kind == ChangeKind::Added;
    };
    std::string out;
    auto res = tar_overlay_upper(upper.path(), {lower.path()}, [&](const char* d, size_t n) { out.append(d, n); }, o);
    CHECK(names(members(out)) == std::vector<std::string>{"etc", "etc/new"});
    CHECK(changes_str(res.changes) == "C /etc\nA /etc/new\n");
    // Directories are never asked about.
    CHECK(asked == std::vector<std::string>{"/etc/hosts", "/etc/new"});
}

TEST_CASE("diff: a changed tree against its layers (vfs) round-trips", "[layers]") {
    TempDir old_dir, now, replay;
    auto base = TarBuilder()
                    .dir("etc")
                    .file("etc/keep", "same")
                    .file("etc/motd", "hello")
                    .file("etc/passwd", "root")
                    .dir("var")
                    .dir("var/cache")
                    .file("var/cache/a", "a")
                    .file("var/cache/b", "b")
                    .file("var/file-to-dir", "f")
                    .symlink("var/link", "etc/keep")
                    .finish();
    apply_tar(string_reader(base), old_dir.path(), quiet(WhiteoutMode::Apply));
    apply_tar(string_reader(base), now.path(), quiet(WhiteoutMode::Apply));
    apply_tar(string_reader(base), replay.path(), quiet(WhiteoutMode::Apply));

    // A container's changes.
    ::unlink((now / "etc/motd").c_str());
    spit(now / "etc/passwd", "root\nuser");
    spit(now / "etc/new", "n");
    ::chmod((now / "etc/keep").c_str(), 0600);
    remove_tree(now / "var/cache");
    ::unlink((now / "var/file-to-dir").c_str());
    ::mkdir((now / "var/file-to-dir").c_str(), 0755);
    spit(now / "var/file-to-dir/inside", "i");
    ::unlink((now / "var/link").c_str());
    ::symlink("etc/passwd", (now / "var/link").c_str());

    std::string out;
    auto res = tar_compare(now.path(), {old_dir.path()}, [&](const char* d, size_t n) { out.append(d, n); });
    CHECK(changes_str(res.changes) ==
          "C /etc\nC /etc/keep\nD /etc/motd\nA /etc/new\nC /etc/passwd\nC /var\nD /var/cache\n"
          "C /var/file-to-dir\nA /var/file-to-dir/inside\nC /var/link\n");
    auto ms = names(members(out));
    CHECK(ms == std::vector<std::string>{"etc", "etc/keep", "etc/.wh.motd", "etc/new", "etc/passwd", "var",
                                         "var/.wh.cache", "var/file-to-dir", "var/file-to-dir/inside",
                                         "var/link"});

    apply_tar(string_reader(out), replay.path(), quiet(WhiteoutMode::Apply));
    CHECK(members(run_tar(tar_tree, replay.path())) == members(run_tar(tar_tree, now.path())));
    // The replayed tree differs from the base exactly as the container did.
    CHECK(tar_compare(replay.path(), {old_dir.path()}, {}).changes == res.changes);
}

TEST_CASE("diff: comparing with a stack of overlay-form layers", "[layers]") {
    TempDir l1, l2, flat;
    if (!user_xattrs_work(l1.path())) {
        WARN("no user xattrs on /tmp; skipped");
        return;
    }
    auto t1 = TarBuilder()
                  .dir("a")
                  .file("a/one", "1")
                  .file("a/two", "2")
                  .dir("b")
                  .file("b/old", "o")
                  .file("top", "t")
                  .finish();
    auto t2 = TarBuilder()
                  .dir("a")
                  .file("a/.wh.one", "")
                  .file("a/three", "3")
                  .dir("b")
                  .file("b/.wh..wh..opq", "")
                  .file("b/new", "n")
                  .finish();
    apply_tar(string_reader(t1), l1.path(), quiet());
    try {
        apply_tar(string_reader(t2), l2.path(), quiet());
    } catch (const std::exception& e) {
        WARN(std::string("cannot create whiteouts here: ") + e.what());
        return;
    }
    apply_tar(string_reader(t1), flat.path(), quiet(WhiteoutMode::Apply));
    apply_tar(string_reader(t2), flat.path(), quiet(WhiteoutMode::Apply));
    CHECK_FALSE(exists(flat / "a/one"));
    CHECK_FALSE(exists(flat / "b/old"));

    // The flattened tree is exactly the merged view: no changes.
    auto res = tar_compare(flat.path(), {l1.path(), l2.path()}, {});
    CHECK(changes_str(res.changes) == "");

    // And a file that the top layer deleted counts as added when it returns.
    spit(flat / "a/one", "back");
    CHECK(changes_str(tar_compare(flat.path(), {l1.path(), l2.path()}, {}).changes) == "C /a\nA /a/one\n");
}

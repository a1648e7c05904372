// Storage drivers and mounts. The mounting tests run in a child inside the
// user namespace (unprivileged) or a private mount namespace (root), so
// nothing is ever mounted in the test runner's own namespace.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "layers/driver.hpp"
#include "layers/flatten.hpp"
#include "layers/mount.hpp"
#include "layers/userns.hpp"
#include "state/db.hpp"
#include "state/paths.hpp"
#include "test_layers_helpers.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace skiff::layers;
using namespace layers_test;

namespace {

// Inside the child: a failed expectation ends it with the message printed.
void expect(bool ok, const std::string& what) {
    if (!ok) throw skiff::Error("expectation failed: " + what, 1);
}

std::string base_tar() {
    return TarBuilder()
        .dir("etc")
        .file("etc/motd", "lower motd")
        .file("etc/keep", "keep")
        .file("etc/shadow", "secret", {.mode = 0600})
        .dir("opt")
        .dir("opt/app")
        .file("opt/app/old", "old")
        .file("bin-tool", "tool", {.mode = 0755})
        .hardlink("bin-tool-link", "bin-tool", {.mode = 0755})
        .finish();
}

std::string top_tar() {
    return TarBuilder()
        .dir("etc")
        .file("etc/.wh.motd", "")
        .file("etc/keep", "top keep")
        .dir("opt")
        .dir("opt/app")
        .file("opt/app/.wh..wh..opq", "")
        .file("opt/app/new", "new")
        .finish();
}

// Extracts the two layers as `d` wants them, under dir/l1, dir/l2.
std::vector<std::string> make_layers(const Driver& d, const std::string& dir) {
    auto o = d.layer_apply_options();
    o.sync = false;
    o.warn = [](const std::string&) {};
    extract_layer(string_reader(base_tar()), dir + "/l1", o);
    extract_layer(string_reader(top_tar()), dir + "/l2", o);
    return {dir + "/l1", dir + "/l2"};
}

// The merged view both layers make, whatever made it.
void check_merged(const std::string& root) {
    expect(!exists(root + "/etc/motd"), "whiteout hides etc/motd");
    expect(slurp(root + "/etc/keep") == "top keep", "top layer wins");
    expect(slurp(root + "/etc/shadow") == "secret", "lower file visible");
    expect((lstat_of(root + "/etc/shadow").st_mode & 07777) == 0600, "mode kept");
    expect(!exists(root + "/opt/app/old"), "opaque dir hides lower content");
    expect(slurp(root + "/opt/app/new") == "new", "opaque dir keeps its own content");
    expect(slurp(root + "/bin-tool-link") == "tool", "hard link");
}

// A container's life on `kind`: mount, change, diff, commit, unmount.
int container_cycle(DriverKind kind, const std::string& dir) {
    DriverOptions o;
    o.storage_dir = dir + "/storage";
    o.cache_dir = dir + "/cache";
    auto d = make_driver(kind, o);
    auto layers = make_layers(*d, dir);
    std::string cdir = dir + "/ctr";
    std::string root = d->mount_rootfs(layers, cdir);
    expect(d->mount_rootfs(layers, cdir) == root, "mount_rootfs is idempotent");
    check_merged(root);

    ::unlink((root + "/etc/shadow").c_str());
    spit(root + "/etc/hosts", "127.0.0.1 localhost\n");
    spit(root + "/etc/keep", "container keep");
    ::mkdir((root + "/data").c_str(), 0755);
    spit(root + "/data/x", "x");

    std::string changes;
    for (const auto& c : d->changes(layers, cdir)) changes += std::string(1, change_letter(c.kind)) + " " + c.path + "\n";
    expect(changes == "A /data\nA /data/x\nC /etc\nA /etc/hosts\nC /etc/keep\nD /etc/shadow\n",
           "changes were:\n" + changes);

    std::string tar;
    auto res = d->diff(layers, cdir, [&](const char* p, size_t n) { tar.append(p, n); }, {});
    expect(res.diff_id == sha(tar), "diff ID of the commit");
    auto ns = names(members(tar));
    std::string listed;
    for (const auto& n : ns) listed += " " + n;
    expect(ns == std::vector<std::string>{"data", "data/x", "etc", "etc/hosts", "etc/keep", "etc/.wh.shadow"},
           "commit members:" + listed);

    d->unmount(cdir);
    if (kind != DriverKind::Vfs) expect(!is_mountpoint(root), "unmounted");
    // The commit stacks on the image like any layer.
    auto ao = d->layer_apply_options();
    ao.sync = false;
    extract_layer(string_reader(tar), dir + "/l3", ao);
    std::string root2 = d->mount_rootfs({layers[0], layers[1], dir + "/l3"}, dir + "/ctr2");
    expect(!exists(root2 + "/etc/shadow"), "committed deletion");
    expect(slurp(root2 + "/etc/keep") == "container keep", "committed change");
    d->remove(dir + "/ctr2");
    d->remove(cdir);
    expect(!exists(cdir + "/upper") && !exists(cdir + "/rootfs"), "removed");
    return 0;
}

// Runs fn in the namespace where mounting is allowed; -1 = not here.
int in_namespace(const std::function<int()>& fn) {
    UsernsOptions uo;
    uo.warn = [](const std::string&) {};
    try {
        return is_root() ? run_in_userns(fn, IdMapping{}) : run_in_userns(fn, current_user_mapping(uo));
    } catch (const skiff::Error& e) {
        WARN("cannot enter a user namespace here: " << e.what());
        return -1;
    }
}

}  // namespace

TEST_CASE("driver: names", "[layers]") {
    CHECK(parse_driver("overlay") == DriverKind::Overlay);
    CHECK(parse_driver("overlay2") == DriverKind::Overlay);
    CHECK(parse_driver("fuse-overlayfs") == DriverKind::FuseOverlayfs);
    CHECK(parse_driver("vfs") == DriverKind::Vfs);
    CHECK(driver_name(DriverKind::FuseOverlayfs) == "fuse-overlayfs");
    CHECK_THROWS_WITH(parse_driver("btrfs"), Catch::Contains("unknown storage driver"));
}

TEST_CASE("driver: layer options follow the namespace", "[layers]") {
    DriverOptions o;
    o.userns = true;
    CHECK(make_driver(DriverKind::Overlay, o)->layer_apply_options().opaque_xattr == "user.overlay.opaque");
    o.userns = false;
    auto a = make_driver(DriverKind::Overlay, o)->layer_apply_options();
    CHECK(a.opaque_xattr == "trusted.overlay.opaque");
    CHECK(a.whiteouts == WhiteoutMode::Overlay);
}

TEST_CASE("flatten: the merged view of overlay-form layers, copied", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] {
        DriverOptions o;
        auto drv = make_driver(DriverKind::Vfs, o);
        auto layers = make_layers(*drv, d.path());
        ::mkdir((d / "flat").c_str(), 0755);
        auto stats = flatten_layers(layers, d / "flat");
        check_merged(d / "flat");
        expect(lstat_of(d / "flat/bin-tool").st_ino == lstat_of(d / "flat/bin-tool-link").st_ino,
               "hard links stay links");
        expect(stats.files >= 4, "file count");
        // No overlay bookkeeping leaks into a plain tree.
        char v[4];
        expect(::getxattr((d / "flat/opt/app").c_str(), "user.overlay.opaque", v, sizeof v) < 0, "no opaque xattr");
        expect(::getxattr((d / "flat/opt/app").c_str(), "trusted.overlay.opaque", v, sizeof v) < 0,
               "no opaque xattr");
        return 0;
    });
    if (rc != -1) CHECK(rc == 0);
}

TEST_CASE("driver: vfs container cycle", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] { return container_cycle(DriverKind::Vfs, d.path()); });
    if (rc != -1) CHECK(rc == 0);
}

TEST_CASE("driver: overlay container cycle", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] {
        OverlayProbe p = probe_overlay(d / "storage", d / "cache", in_user_namespace());
        if (!p.supported) {
            std::fprintf(stderr, "overlay unsupported here: %s\n", p.reason.c_str());
            return 77;
        }
        // Cached per boot.
        auto cached = skiff::fs::read_file_if_exists(d / (in_user_namespace() ? "cache/overlay-probe-userxattr"
                                                                              : "cache/overlay-probe"));
        expect(cached && cached->starts_with(boot_id() + "\n1"), "probe result cached");
        return container_cycle(DriverKind::Overlay, d.path());
    });
    if (rc == 77) WARN("kernel overlay unavailable; skipped");
    if (rc != -1 && rc != 77) CHECK(rc == 0);
}

TEST_CASE("driver: fuse-overlayfs container cycle", "[layers]") {
    if (!skiff::fs::find_executable("fuse-overlayfs") || ::access("/dev/fuse", R_OK | W_OK) != 0) {
        WARN("fuse-overlayfs or /dev/fuse unavailable; skipped");
        return;
    }
    TempDir d;
    int rc = in_namespace([&] { return container_cycle(DriverKind::FuseOverlayfs, d.path()); });
    if (rc != -1) CHECK(rc == 0);
}

TEST_CASE("mount: many layers, the top one wins", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] {
        if (!probe_overlay(d / "storage", d / "cache", in_user_namespace()).supported) return 77;
        // Long paths: 80 layers do not fit in one page of mount options.
        std::vector<std::string> layers;
        std::string base = d / std::string(60, 'L');
        ::mkdir(base.c_str(), 0755);
        for (int i = 0; i < 80; ++i) {
            layers.push_back(base + "/layer-" + std::to_string(i));
            ::mkdir(layers.back().c_str(), 0755);
            spit(layers.back() + "/f", std::to_string(i));
            spit(layers.back() + "/only-" + std::to_string(i), "");
        }
        ::mkdir((d / "m").c_str(), 0755);
        OverlayConfig cfg;
        cfg.lowers = layers;
        cfg.userxattr = in_user_namespace();
        {
            Mount m = mount_overlay(cfg, d / "m");
            expect(slurp(d / "m/f") == "79", "top layer wins");
            expect(exists(d / "m/only-0") && exists(d / "m/only-79"), "all layers present");
        }
        expect(!is_mountpoint(d / "m"), "Mount detaches on destruction");
        return 0;
    });
    if (rc == 77) WARN("kernel overlay unavailable; skipped");
    if (rc != -1 && rc != 77) CHECK(rc == 0);
}

TEST_CASE("mount: Mount::release keeps the mount, unmount_path takes it down", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] {
        ::mkdir((d / "t").c_str(), 0755);
        std::string target;
        {
            if (::mount("tmpfs", (d / "t").c_str(), "tmpfs", 0, "size=1m") < 0) return 2;
            Mount m(d / "t");
            target = m.release();
        }
        expect(is_mountpoint(target), "released mount stays");
        unmount_path(target);
        expect(!is_mountpoint(target), "unmounted");
        unmount_path(target);  // not mounted: fine
        return 0;
    });
    if (rc != -1) CHECK(rc == 0);
}

TEST_CASE("driver: detect_driver picks a working driver", "[layers]") {
    TempDir d;
    int rc = in_namespace([&] {
        DriverOptions o;
        o.storage_dir = d / "storage";
        o.cache_dir = d / "cache";
        std::string why;
        DriverKind k = detect_driver(o, &why);
        bool overlay = probe_overlay(o.storage_dir, o.cache_dir, in_user_namespace()).supported;
        expect(overlay == (k == DriverKind::Overlay), "overlay chosen iff supported (" + why + ")");
        return 0;
    });
    if (rc != -1) CHECK(rc == 0);
}

TEST_CASE("driver: a store keeps the driver it was created with", "[layers]") {
    TempDir d;
    skiff::state::Database db(d / "skiff.db");
    DriverOptions o;
    o.storage_dir = d / "tmp";
    o.cache_dir = d / "probe";
    // Nothing recorded and nothing asked for: detected, recorded on request.
    auto peek = select_store_driver(&db, o, "", false);
    CHECK(peek.origin == "detected");
    CHECK_FALSE(skiff::state::get_setting(db, "storage.driver"));
    CHECK(skiff::fs::exists(d / "probe"));  // the probe's answer is cached
    // Asked for: that one, recorded.
    auto first = select_store_driver(&db, o, "vfs", true);
    CHECK(first.kind == DriverKind::Vfs);
    CHECK(first.origin == "requested");
    CHECK(skiff::state::get_setting(db, "storage.driver") == std::optional<std::string>("vfs"));
    // From then on the store's, whatever is detected; another request fails.
    auto later = select_store_driver(&db, o, "", true);
    CHECK(later.kind == DriverKind::Vfs);
    CHECK(later.origin == "store");
    CHECK(select_store_driver(&db, o, "vfs", true).kind == DriverKind::Vfs);
    CHECK_THROWS_WITH(select_store_driver(&db, o, "overlay", true),
                      Catch::Contains("created with the vfs storage driver, not overlay") &&
                          Catch::Contains("system reset"));
    CHECK(select_store_driver(&db, o, "overlay", false, true).kind == DriverKind::Vfs);
    // No store yet: the request, or detection; nothing to record.
    CHECK(select_store_driver(nullptr, o, "fuse-overlayfs", true).kind == DriverKind::FuseOverlayfs);
}

TEST_CASE("driver: store options drop owners only where they cannot be kept", "[layers]") {
    auto paths = skiff::state::Paths::resolve({"/tmp/skiff-x/root", "/tmp/skiff-x/run", ""});
    auto o = store_driver_options(paths);
    CHECK(o.cache_dir == paths.probe_cache_dir());
    CHECK(o.ignore_owners == (!is_root() || single_id_mapping()));
    CHECK(*o.userns == (!is_root() || in_user_namespace()));
    auto a = make_driver(DriverKind::Vfs, o)->layer_apply_options();
    CHECK(a.ignore_xattr_errors == (o.ignore_owners || *o.userns));
}

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/copy.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace skiff;
using container::CopySource;
using container::DestInfo;
using container::plan_copy;

TEST_CASE("cp paths split as docker cp sees them", "[cp]") {
    CHECK(container::split_copy_path("/a/b/") == std::pair<std::string, std::string>{"/a", "b"});
    CHECK(container::split_copy_path("/a") == std::pair<std::string, std::string>{"/", "a"});
    CHECK(container::split_copy_path("/") == std::pair<std::string, std::string>{"/", "."});
    CHECK(container::split_copy_path("a") == std::pair<std::string, std::string>{".", "a"});
    CHECK(container::copies_contents("/a/."));
    CHECK(container::copies_contents("/a/./"));
    CHECK(container::copies_contents("."));
    CHECK_FALSE(container::copies_contents("/a/.b"));
    CHECK_FALSE(container::copies_contents("/a"));
}

TEST_CASE("cp follows Docker's table for files", "[cp]") {
    CopySource file{false, "hosts", false};
    // Missing destination: the file takes that name.
    auto t = plan_copy(file, "/tmp/new", DestInfo{false, false});
    CHECK(t.dir == "/tmp");
    CHECK(t.rebase_to == "new");
    // Missing destination with a trailing slash: an error.
    CHECK_THROWS_WITH(plan_copy(file, "/tmp/new/", DestInfo{false, false}),
                      Catch::Contains("does not exist"));
    // An existing file is overwritten.
    t = plan_copy(file, "/etc/x", DestInfo{true, false});
    CHECK(t.dir == "/etc");
    CHECK(t.rebase_to == "x");
    // An existing directory receives the file under its own name.
    t = plan_copy(file, "/srv/", DestInfo{true, true});
    CHECK(t.dir == "/srv");
    CHECK(t.rebase_to == "hosts");
}

TEST_CASE("cp follows Docker's table for directories", "[cp]") {
    CopySource dir{true, "data", false};
    auto t = plan_copy(dir, "out", DestInfo{false, false});
    CHECK(t.dir == ".");
    CHECK(t.rebase_to == "out");
    t = plan_copy(dir, "out", DestInfo{true, true});
    CHECK(t.dir == "out");
    CHECK(t.rebase_to == "data");
    CopySource contents{true, "data", true};
    t = plan_copy(contents, "out", DestInfo{true, true});
    CHECK(t.dir == "out");
    CHECK(t.rebase_to.empty());
    CHECK_THROWS_WITH(plan_copy(dir, "/etc/hosts", DestInfo{true, false}),
                      Catch::Contains("cannot copy a directory"));
}

TEST_CASE("paths resolve inside the root, whatever the symlinks say", "[cp]") {
    char tmpl[] = "/tmp/skiff-cp-XXXXXX";
    std::string root = mkdtemp(tmpl);
    fs::make_dirs(root + "/etc", 0755);
    fs::write_atomic(root + "/etc/passwd", "inside\n");
    REQUIRE(::symlink("/", (root + "/up").c_str()) == 0);
    REQUIRE(::symlink("../../../../..", (root + "/dots").c_str()) == 0);
    UniqueFd rfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY));
    for (const char* p : {"/up/etc/passwd", "dots/etc/passwd", "/../../etc/passwd"}) {
        UniqueFd fd = container::open_in_root(rfd.get(), p, O_RDONLY);
        REQUIRE(fd);
        char buf[16] = {};
        REQUIRE(::read(fd.get(), buf, sizeof buf - 1) > 0);
        CHECK(std::string(buf) == "inside\n");
    }
    CHECK_FALSE(container::open_in_root(rfd.get(), "/missing", O_RDONLY));
    CHECK(container::stat_in_root(rfd.get(), "/up").is_dir);
    CHECK_FALSE(container::stat_in_root(rfd.get(), "/nope").exists);
    CHECK(std::system(("rm -rf " + root).c_str()) == 0);
}

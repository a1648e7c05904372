#include <catch2/catch.hpp>
#include <unistd.h>

#include <thread>

#include "state/db.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace skiff;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/skiff-unit-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

void add_container(state::Database& db, const std::string& id, const std::string& name) {
    state::Transaction tx(db);
    db.prepare("INSERT INTO containers (id, name, image_name, created, spec) VALUES (?1, ?2, 'img', 0, '{}')")
        .bind(1, id)
        .bind(2, name)
        .run();
    tx.commit();
}

}  // namespace

TEST_CASE("database migrates to the latest schema once", "[state]") {
    TempDir dir;
    std::string path = dir.path + "/skiff.db";
    {
        state::Database db(path);
        CHECK(db.schema_version() == static_cast<int>(state::migrations().size()));
    }
    state::Database again(path);
    CHECK(again.schema_version() == static_cast<int>(state::migrations().size()));
}

TEST_CASE("ids: random, short, names", "[state]") {
    auto id = state::random_id();
    CHECK(id.size() == 64);
    CHECK(state::short_id(id).size() == 12);
    CHECK(state::random_id() != id);
    auto name = state::random_name();
    CHECK(name.find('_') != std::string::npos);
}

TEST_CASE("resolve_id: name, full ID, unique prefix, ambiguity", "[state]") {
    TempDir dir;
    state::Database db(dir.path + "/skiff.db");
    add_container(db, "abc1230000000000000000000000000000000000000000000000000000000000", "web");
    add_container(db, "abc4560000000000000000000000000000000000000000000000000000000000", "db");
    add_container(db, "ffff000000000000000000000000000000000000000000000000000000000000", "cache");
    auto resolve = [&](const std::string& ref) {
        return state::resolve_id(db, "containers", "id", "name", ref, "container");
    };
    CHECK(resolve("web").substr(0, 6) == "abc123");
    CHECK(resolve("abc4").substr(0, 6) == "abc456");
    CHECK(resolve("ffff").substr(0, 4) == "ffff");
    CHECK(resolve("FFFF").substr(0, 4) == "ffff");
    CHECK_THROWS_WITH(resolve("abc"), Catch::Contains("ambiguous"));
    CHECK_THROWS_AS(resolve("nope"), NotFound);
    CHECK_THROWS_AS(resolve("0123"), NotFound);
}

TEST_CASE("unique names are enforced by the database", "[state]") {
    TempDir dir;
    state::Database db(dir.path + "/skiff.db");
    add_container(db, state::random_id(), "same");
    CHECK_THROWS_WITH(add_container(db, state::random_id(), "same"), Catch::Contains("UNIQUE"));
}

TEST_CASE("many writers at once neither fail nor lose rows", "[state]") {
    TempDir dir;
    std::string path = dir.path + "/skiff.db";
    { state::Database init(path); }
    constexpr int kThreads = 8, kEach = 25;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            state::Database db(path);  // one connection each, as separate processes have
            for (int i = 0; i < kEach; ++i)
                add_container(db, state::random_id(), "c" + std::to_string(t) + "_" + std::to_string(i));
        });
    }
    for (auto& th : threads) th.join();
    state::Database db(path);
    auto st = db.prepare("SELECT count(*) FROM containers");
    st.step();
    CHECK(st.integer(0) == kThreads * kEach);
}

TEST_CASE("settings: the first value recorded sticks", "[state]") {
    TempDir dir;
    state::Database db(dir.path + "/skiff.db");
    CHECK_FALSE(state::get_setting(db, "storage.driver"));
    CHECK(state::set_setting_once(db, "storage.driver", "vfs") == "vfs");
    CHECK(state::set_setting_once(db, "storage.driver", "overlay") == "vfs");
    state::Database other(dir.path + "/skiff.db");
    CHECK(state::get_setting(other, "storage.driver") == std::optional<std::string>("vfs"));
}

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "registry/auth.hpp"
#include "registry/challenge.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"

using namespace skiff;
using namespace skiff::registry;

namespace {

// A private HOME and auth file for one test, restored afterwards.
struct TempEnv {
    std::string dir;
    std::string old_home, old_auth, old_docker;
    TempEnv() {
        char tmpl[] = "/tmp/skiff-auth-test-XXXXXX";
        dir = ::mkdtemp(tmpl);
        save("HOME", old_home);
        save("REGISTRY_AUTH_FILE", old_auth);
        save("DOCKER_CONFIG", old_docker);
        ::setenv("HOME", dir.c_str(), 1);
        ::setenv("REGISTRY_AUTH_FILE", (dir + "/auth.json").c_str(), 1);
        ::unsetenv("DOCKER_CONFIG");
    }
    ~TempEnv() {
        restore("HOME", old_home);
        restore("REGISTRY_AUTH_FILE", old_auth);
        restore("DOCKER_CONFIG", old_docker);
        fs::remove_all(dir);
    }
    static void save(const char* n, std::string& into) {
        const char* v = std::getenv(n);
        into = v ? std::string("=") + v : "";
    }
    static void restore(const char* n, const std::string& v) {
        if (v.empty()) ::unsetenv(n);
        else ::setenv(n, v.c_str() + 1, 1);
    }
};

}  // namespace

TEST_CASE("base64 round trips", "[registry]") {
    for (std::string s : {"", "a", "ab", "abc", "user:pa:ss", "\xff\x00\x10"}) CHECK(base64_decode(base64_encode(s)) == s);
    CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
}

TEST_CASE("auth keys normalize as Podman's", "[registry]") {
    CHECK(normalize_auth_key("https://index.docker.io/v1/") == "docker.io");
    CHECK(normalize_auth_key("registry-1.docker.io") == "docker.io");
    CHECK(normalize_auth_key("http://localhost:5000/") == "localhost:5000");
    CHECK(normalize_auth_key("quay.io/ns/repo") == "quay.io/ns/repo");
    CHECK(normalize_auth_key("https://quay.io/v2/") == "quay.io");
}

TEST_CASE("credentials are stored with 0600 and found again", "[registry]") {
    TempEnv env;
    std::string file = env.dir + "/auth.json";
    store_credentials(file, "localhost:5000", {"alice", "s3cret", "", ""});
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto c = find_credentials("", "localhost:5000/some/repo");
    REQUIRE(c);
    CHECK(c->username == "alice");
    CHECK(c->password == "s3cret");
    // A repository-specific entry wins over the registry's.
    store_credentials(file, "localhost:5000/some", {"bob", "pw", "", ""});
    CHECK(find_credentials("", "localhost:5000/some/repo")->username == "bob");
    CHECK(find_credentials("", "localhost:5000/other")->username == "alice");
    CHECK(remove_credentials(file, "localhost:5000/some"));
    CHECK_FALSE(remove_credentials(file, "localhost:5000/some"));
    CHECK(find_credentials("", "localhost:5000/some/repo")->username == "alice");
    remove_all_credentials(file);
    CHECK_FALSE(find_credentials("", "localhost:5000"));
}

TEST_CASE("Docker's config.json is read after auth.json", "[registry]") {
    TempEnv env;
    fs::make_dirs(env.dir + "/.docker", 0700);
    Json cfg = Json::object();
    cfg["auths"]["https://index.docker.io/v1/"]["auth"] = base64_encode("hubuser:hubpw");
    cfg["auths"]["other.example"] = Json::object();
    fs::write_atomic(env.dir + "/.docker/config.json", cfg.dump(), 0600);
    auto c = find_credentials("", "docker.io/library/busybox");
    REQUIRE(c);
    CHECK(c->username == "hubuser");
    CHECK(c->source == env.dir + "/.docker/config.json");
    // An empty entry (secret in a store that is not configured) is no credential.
    CHECK_FALSE(find_credentials("", "other.example"));
}

TEST_CASE("WWW-Authenticate challenges parse", "[registry]") {
    auto ch = parse_challenges(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"");
    REQUIRE(ch.size() == 1);
    CHECK(ch[0].scheme == "bearer");
    CHECK(ch[0].param("realm") == "https://auth.docker.io/token");
    CHECK(ch[0].param("service") == "registry.docker.io");
    CHECK(ch[0].param("scope") == "repository:library/busybox:pull");

    ch = parse_challenges("Basic realm=\"Registry Realm\"");
    REQUIRE(ch.size() == 1);
    CHECK(ch[0].scheme == "basic");
    CHECK(ch[0].param("realm") == "Registry Realm");

    ch = parse_challenges("Basic realm=x, Bearer realm=\"a\\\"b\",service=s");
    REQUIRE(ch.size() == 2);
    CHECK(ch[0].param("realm") == "x");
    CHECK(ch[1].scheme == "bearer");
    CHECK(ch[1].param("realm") == "a\"b");
    CHECK(ch[1].param("service") == "s");

    ch = parse_challenges("Negotiate abc==, Basic realm=r");
    REQUIRE(ch.size() == 2);
    CHECK(ch[1].scheme == "basic");
}

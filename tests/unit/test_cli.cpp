#include <catch2/catch.hpp>

#include "cli/command.hpp"
#include "cli/docs.hpp"
#include "cli/help.hpp"
#include "commands/registry.hpp"
#include "util/error.hpp"

using namespace skiff;
using cli::FlagType;

namespace {

cli::Command sample(bool stop_at_args = false) {
    cli::Command c;
    c.path = "run";
    c.flags = {{"detach", 'd', FlagType::Bool, "Run in background"},
               {"interactive", 'i', FlagType::Bool, "Keep STDIN open"},
               {"tty", 't', FlagType::Bool, "Allocate a pseudo-TTY"},
               {"publish", 'p', FlagType::List, "Publish a port", "list"},
               {"name", 0, FlagType::String, "Assign a name", "string"},
               {"time", 0, FlagType::Int, "Seconds", "int"}};
    c.flags_before_args_only = stop_at_args;
    return c;
}

}  // namespace

TEST_CASE("parser: long, short clusters, attached values", "[cli]") {
    auto a = cli::parse(sample(), {"-it", "-p80:80", "-p", "443:443", "--name=web", "--detach=false", "img"});
    CHECK(a.flag("interactive"));
    CHECK(a.flag("tty"));
    CHECK_FALSE(a.flag("detach"));
    CHECK(a.list("publish") == std::vector<std::string>{"80:80", "443:443"});
    CHECK(a.str("name") == "web");
    CHECK(a.positionals == std::vector<std::string>{"img"});
}

TEST_CASE("parser: run-style commands stop at the first positional", "[cli]") {
    auto a = cli::parse(sample(true), {"-d", "img", "sh", "-c", "echo -d"});
    CHECK(a.flag("detach"));
    CHECK(a.positionals == std::vector<std::string>{"img", "sh", "-c", "echo -d"});
    auto b = cli::parse(sample(false), {"img", "-d"});
    CHECK(b.flag("detach"));
    auto c = cli::parse(sample(false), {"--", "-d"});
    CHECK(c.positionals == std::vector<std::string>{"-d"});
}

TEST_CASE("parser: errors with suggestions", "[cli]") {
    CHECK_THROWS_WITH(cli::parse(sample(), {"--nmae", "x"}), Catch::Contains("unknown flag: --nmae (did you mean --name?)"));
    CHECK_THROWS_WITH(cli::parse(sample(), {"-z"}), Catch::Contains("unknown flag: -z"));
    CHECK_THROWS_WITH(cli::parse(sample(), {"--name"}), Catch::Contains("flag needs an argument: --name"));
    CHECK_THROWS_WITH(cli::parse(sample(), {"--time", "abc"}), Catch::Contains("not an integer"));
    CHECK_THROWS_WITH(cli::parse(sample(), {"--detach=maybe"}), Catch::Contains("expected true or false"));
}

TEST_CASE("parser: global flags are accepted after the command", "[cli]") {
    auto a = cli::parse(sample(), {"--root", "/x", "img"});
    CHECK(a.str("root") == "/x");
}

TEST_CASE("table: management forms resolve to the same command", "[cli]") {
    auto table = commands::build_table();
    size_t used = 0;
    auto* v = table.resolve({"system", "info", "--format", "x"}, used);
    REQUIRE(v != nullptr);
    CHECK(v->path == "info");
    CHECK(used == 2);
    CHECK(cli::suggest("verison", table.top_level_names()) == "version");
    CHECK(cli::suggest("zzzzzz", table.top_level_names()).empty());
}

TEST_CASE("help and docs come from the table", "[cli]") {
    auto table = commands::build_table();
    auto* info = table.find("info");
    REQUIRE(info != nullptr);
    auto help = cli::command_help(table, *info);
    CHECK(help.find("Usage:  skiff info [OPTIONS]") != std::string::npos);
    CHECK(help.find("skiff system info") != std::string::npos);
    CHECK(help.find("-f, --format string") != std::string::npos);
    auto man = cli::man_page(table, *info, "1.0");
    CHECK(man.find(".SH OPTIONS") != std::string::npos);
    auto bash = cli::completion_script(table, "bash");
    CHECK(bash.find("complete -F _skiff skiff") != std::string::npos);
    CHECK(bash.find("_skiff_flags_system_info") != std::string::npos);
    CHECK_THROWS_AS(cli::completion_script(table, "tcsh"), Error);
}

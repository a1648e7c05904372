// Tables and --format handling, checked against the Docker CLI's output.
#include <catch2/catch.hpp>

#include "format/output.hpp"
#include "util/error.hpp"

using skiff::Error;
using skiff::Json;
using namespace skiff::format;
using Catch::Matchers::Contains;

namespace {

const std::vector<Column>& ps_columns() {
    static const std::vector<Column> columns = {
        {"CONTAINER ID", "{{.ID}}"},    {"IMAGE", "{{.Image}}"},   {"COMMAND", "{{.Command}}"}, {"CREATED", "{{.RunningFor}}"},
        {"STATUS", "{{.Status}}"},      {"PORTS", "{{.Ports}}"},   {"NAMES", "{{.Names}}"},
    };
    return columns;
}

std::vector<Json> ps_rows() {
    return {
        Json::parse(R"({"ID":"5b6a8a1ad3a2","Image":"nginx:latest","Command":"\"/docker-entrypoint.\u2026\"",
                        "RunningFor":"3 seconds ago","Status":"Up 2 seconds","Ports":"80/tcp","Names":"web",
                        "Labels":{"com.x":"1"},"Size":"1.09kB","Note":"<b>&"})"),
        Json::parse(R"({"ID":"0c1d2e3f4a5b","Image":"redis","Command":"\"redis-server\"",
                        "RunningFor":"2 hours ago","Status":"Exited (0) 1 hour ago","Ports":"","Names":"cache",
                        "Labels":{},"Size":"0B","Note":""})"),
    };
}

}  // namespace

TEST_CASE("TableWriter: Docker's ps header", "[format][table]") {
    TableWriter t;
    t.add_row({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
    CHECK(t.render() == "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
}

TEST_CASE("TableWriter: columns grow to the widest cell plus 3", "[format][table]") {
    TableWriter t;
    t.add_row({"NAME", "DRIVER"});
    t.add_row({"a-rather-long-volume-name", "local"});
    CHECK(t.render() ==
          "NAME                        DRIVER\n"
          "a-rather-long-volume-name   local\n");
}

TEST_CASE("TableWriter: widths count runes", "[format][table]") {
    TableWriter t;
    t.add_row({"h\xC3\xA9llo", "x"});
    t.add_row({"\"/docker-entrypoint.\xE2\x80\xA6\"", "y"});
    CHECK(t.render() ==
          "h\xC3\xA9llo" + std::string(20, ' ') + "x\n"
          "\"/docker-entrypoint.\xE2\x80\xA6\"   y\n");
}

TEST_CASE("TableWriter: column blocks as Go's tabwriter", "[format][table]") {
    TableWriter t;
    // The empty line ends the first block: each block has its own width.
    t.write("aaa\tb\n\nccccccccccccccc\td\n");
    CHECK(t.render() ==
          "aaa       b\n"
          "\n"
          "ccccccccccccccc   d\n");

    TableWriter trailing;
    trailing.write("a\tb\t\n");
    CHECK(trailing.render() == "a         b         \n");

    TableWriter ragged;
    // Column 1 is a column only on the first line, so only that line sizes it.
    ragged.write("a\tb\tc\nlonger-than-ten\tx\n");
    CHECK(ragged.render() ==
          "a                 b         c\n"
          "longer-than-ten   x\n");

    TableWriter unterminated;
    unterminated.write("x\ty");
    CHECK(unterminated.render() == "x         y");

    TableWriter custom(0, 1);
    custom.write("a\tbb\nccc\td\n");
    CHECK(custom.render() == "a   bb\nccc d\n");

    CHECK(TableWriter().render().empty());
}

TEST_CASE("format_list: the default table", "[format][list]") {
    std::string expected =
        "CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                  PORTS     NAMES\n"
        "5b6a8a1ad3a2   nginx:latest   \"/docker-entrypoint.\xE2\x80\xA6\"   3 seconds ago   Up 2 seconds            80/tcp    web\n"
        "0c1d2e3f4a5b   redis          \"redis-server\"           2 hours ago     Exited (0) 1 hour ago             cache\n";
    CHECK(format_list("", ps_rows(), ps_columns(), false) == expected);
    CHECK(format_list("table", ps_rows(), ps_columns(), false) == expected);
    CHECK(format_list("", {}, ps_columns(), false) ==
          "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
    CHECK(format_list("", ps_rows(), ps_columns(), true) ==
          "5b6a8a1ad3a2   nginx:latest   \"/docker-entrypoint.\xE2\x80\xA6\"   3 seconds ago   Up 2 seconds            80/tcp    web\n"
          "0c1d2e3f4a5b   redis          \"redis-server\"           2 hours ago     Exited (0) 1 hour ago             cache\n");
}

TEST_CASE("format_list: table templates", "[format][list]") {
    // Users type \t as two characters; it separates columns.
    CHECK(format_list(R"(table {{.ID}}\t{{.Image}})", ps_rows(), ps_columns(), false) ==
          "CONTAINER ID   IMAGE\n"
          "5b6a8a1ad3a2   nginx:latest\n"
          "0c1d2e3f4a5b   redis\n");
    CHECK(format_list("table {{.Names}}\t{{.Foo}}", ps_rows(), ps_columns(), false) ==
          "NAMES     FOO\n"
          "web       <no value>\n"
          "cache     <no value>\n");
    CHECK(format_list("table {{.Names}}", {}, ps_columns(), false) == "NAMES\n");
    CHECK(format_list("table {{.Names}}", ps_rows(), ps_columns(), true) == "web\ncache\n");
    CHECK(format_list("table {{.Names | upper}}\\t{{truncate .ID 4}}", ps_rows(), ps_columns(), false) ==
          "NAMES     CONTAINER ID\n"
          "WEB       5b6a\n"
          "CACHE     0c1d\n");

    ListOptions options;
    options.default_columns = ps_columns();
    options.headers = {{"Size", "SIZE"}, {"Names", "NAME"}};
    CHECK(format_list(R"(table {{.Names}}\t{{.Size}})", ps_rows(), options) ==
          "NAME      SIZE\n"
          "web       1.09kB\n"
          "cache     0B\n");
}

TEST_CASE("format_list: plain templates", "[format][list]") {
    CHECK(format_list("{{.ID}}: {{.Names}}", ps_rows(), ps_columns(), false) == "5b6a8a1ad3a2: web\n0c1d2e3f4a5b: cache\n");
    // Outside tables \t is a plain tab: no alignment.
    CHECK(format_list(R"({{.Names}}\t{{.Status}})", ps_rows(), ps_columns(), false) ==
          "web\tUp 2 seconds\ncache\tExited (0) 1 hour ago\n");
    CHECK(format_list(R"({{.Names}}\n)", ps_rows(), ps_columns(), false) == "web\n\ncache\n\n");
    CHECK(format_list("  {{.Names}}  ", ps_rows(), ps_columns(), false) == "web\ncache\n");
    CHECK(format_list("{{.Names}}", {}, ps_columns(), false) == "");
    CHECK(format_list("{{index .Labels \"com.x\"}}", ps_rows(), ps_columns(), false) == "1\n\n");
}

TEST_CASE("format_list: json prints one object per line", "[format][list]") {
    std::vector<Json> rows = {Json::parse(R"({"ID":"a","Note":"<b>&"})"), Json::parse(R"({"ID":"b","N":1.5})")};
    CHECK(format_list("json", rows, ps_columns(), false) == "{\"ID\":\"a\",\"Note\":\"<b>&\"}\n{\"ID\":\"b\",\"N\":1.5}\n");
    CHECK(format_list("json", {}, ps_columns(), false) == "");
    CHECK(format_list("{{json .}}", {rows[0]}, ps_columns(), false) == "{\"ID\":\"a\",\"Note\":\"<b>&\"}\n");
}

TEST_CASE("format_list: methods and functions reach the template", "[format][list]") {
    ListOptions options;
    options.default_columns = ps_columns();
    options.functions.methods["Label"] = [](const Json& row, const std::vector<Json>& args) {
        return Json(row.at("Labels").value(args.at(0).get<std::string>(), ""));
    };
    CHECK(format_list(R"(table {{.Names}}\t{{.Label "com.x"}})", ps_rows(), options) ==
          "NAMES     LABEL\n"
          "web       1\n"
          "cache     \n");
}

TEST_CASE("format_list: errors", "[format][list]") {
    CHECK_THROWS_WITH(format_list("{{.Names", ps_rows(), ps_columns(), false), "template: :1: unclosed action");
    CHECK_THROWS_WITH(format_list("{{.Names.X}}", ps_rows(), ps_columns(), false),
                      Contains("can't evaluate field X in type string"));
    CHECK_THROWS_AS(format_list("table {{nope}}", ps_rows(), ps_columns(), false), Error);
}

TEST_CASE("format_inspect: indented JSON array as docker inspect", "[format][inspect]") {
    std::vector<Json> objects = {Json::parse(R"({"Id":"abc","Args":[],"Config":{"Env":["A=<b>"],"Labels":{}}})")};
    CHECK(format_inspect("", objects) ==
          "[\n"
          "    {\n"
          "        \"Id\": \"abc\",\n"
          "        \"Args\": [],\n"
          "        \"Config\": {\n"
          "            \"Env\": [\n"
          "                \"A=\\u003cb\\u003e\"\n"
          "            ],\n"
          "            \"Labels\": {}\n"
          "        }\n"
          "    }\n"
          "]\n");
    CHECK(format_inspect("", {}) == "[]\n");
    CHECK(format_inspect("json", objects) == "[{\"Id\":\"abc\",\"Args\":[],\"Config\":{\"Env\":[\"A=\\u003cb\\u003e\"],\"Labels\":{}}}]\n");
}

TEST_CASE("format_inspect: templates render one line per object", "[format][inspect]") {
    std::vector<Json> objects = {Json::parse(R"({"Id":"a","State":{"Running":true}})"),
                                 Json::parse(R"({"Id":"b","State":{"Running":false}})")};
    CHECK(format_inspect("{{.Id}}", objects) == "a\nb\n");
    CHECK(format_inspect("{{.Id}} {{.State.Running}}", objects) == "a true\nb false\n");
    CHECK(format_inspect("{{json .State}}", objects) == "{\"Running\":true}\n{\"Running\":false}\n");
    CHECK(format_inspect("{{.Id}}", {}) == "\n");
    CHECK_THROWS_WITH(format_inspect("{{bogus .Id}}", objects), "template: :1: function \"bogus\" not defined");
}

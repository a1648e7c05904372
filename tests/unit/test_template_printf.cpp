// printf, %v printing and JSON encoding, checked against what Go's fmt and
// encoding/json print for the same values.
#include <catch2/catch.hpp>

#include "format/gofmt.hpp"
#include "format/gojson.hpp"
#include "format/gonum.hpp"
#include "format/template.hpp"

using skiff::Json;
using skiff::format::go_json;
using skiff::format::GoJsonStyle;
using skiff::format::Template;
namespace gofmt = skiff::format::gofmt;
namespace gonum = skiff::format::gonum;

namespace {

// Formats through a real template, so argument evaluation is covered too.
std::string printf_(std::string_view args) {
    return Template::parse("{{printf " + std::string(args) + "}}").render(Json::object());
}

std::string sprintf(std::string_view format, const std::vector<Json>& values) {
    std::vector<const Json*> args;
    for (const Json& v : values) args.push_back(&v);
    return gofmt::sprintf(format, args);
}

}  // namespace

TEST_CASE("printf: strings", "[format][printf]") {
    CHECK(printf_(R"("%s" "web")") == "web");
    CHECK(printf_(R"("%10s|" "web")") == "       web|");
    CHECK(printf_(R"("%-10s|" "web")") == "web       |");
    CHECK(printf_(R"("%.2s" "web")") == "we");
    CHECK(printf_(R"("%-6.2s|" "h\u00e9llo")") == "h\xC3\xA9    |");
    CHECK(printf_(R"("%5s|" "h\u00e9")") == "   h\xC3\xA9|");
    CHECK(printf_(R"("%q" "web")") == "\"web\"");
    CHECK(printf_(R"("%q" "a\"b\n\x01")") == R"("a\"b\n\x01")");
    CHECK(printf_(R"("%q" "h\u00e9")") == "\"h\xC3\xA9\"");
    CHECK(printf_(R"("%+q" "h\u00e9")") == R"("h\u00e9")");
    CHECK(printf_(R"("%#q" "abc")") == "`abc`");
    CHECK(printf_(R"("%x" "hi")") == "6869");
    CHECK(printf_(R"("% x" "hi")") == "68 69");
    CHECK(printf_(R"("%X" "hi")") == "6869");
    CHECK(printf_(R"("%v|%T" "s" "s")") == "s|string");
}

TEST_CASE("printf: integers", "[format][printf]") {
    CHECK(printf_(R"("%d" 42)") == "42");
    CHECK(printf_(R"("%5d|" 42)") == "   42|");
    CHECK(printf_(R"("%-5d|" 42)") == "42   |");
    CHECK(printf_(R"("%05d" 42)") == "00042");
    CHECK(printf_(R"("%05d" -42)") == "-0042");
    CHECK(printf_(R"("%+d % d" 42 42)") == "+42  42");
    CHECK(printf_(R"("%x %X %#x %o %#o %b %O" 255 255 255 8 8 5 8)") == "ff FF 0xff 10 010 101 0o10");
    CHECK(printf_(R"("%x" -255)") == "-ff");
    CHECK(printf_(R"("%.3d|%6.3d|%.0d|" 7 7 0)") == "007|   007||");
    CHECK(printf_(R"("%c|%3c|%q" 65 65 97)") == "A|  A|'a'");
    CHECK(printf_(R"("%U %#U" 128512 65)") == "U+1F600 U+0041 'A'");
    CHECK(printf_(R"("%v %T" 7 7)") == "7 int");
    CHECK(printf_(R"("%*d|%-*d|" 5 42 4 7)") == "   42|7   |");
    CHECK(printf_(R"("%6.2f" 3)") == "  3.00");
}

TEST_CASE("printf: floats", "[format][printf]") {
    CHECK(printf_(R"("%5.2f" 3.14159)") == " 3.14");
    CHECK(printf_(R"("%f" 1.5)") == "1.500000");
    CHECK(printf_(R"("%.0f" 2.5)") == "2");
    CHECK(printf_(R"("%08.3f" -3.14159)") == "-003.142");
    CHECK(printf_(R"("%+.1e" 12345.5)") == "+1.2e+04");
    CHECK(printf_(R"("%e" 1234.5678)") == "1.234568e+03");
    CHECK(printf_(R"("%E" 1234.5678)") == "1.234568E+03");
    CHECK(printf_(R"("%g %g %g" 1234.5678 0.0000001 100000.5)") == "1234.5678 1e-07 100000.5");
    CHECK(printf_(R"("%.3g" 1234.5678)") == "1.23e+03");
    CHECK(printf_(R"("%v" 1.5)") == "1.5");
    CHECK(printf_(R"("%v" 1234567.5)") == "1.2345675e+06");
    CHECK(printf_(R"("%6.2f%%" 12.346)") == " 12.35%");
    CHECK(printf_(R"("%T" 1.5)") == "float64");
}

TEST_CASE("printf: other types", "[format][printf]") {
    CHECK(printf_(R"("%t|%5t|%v" true false true)") == "true|false|true");
    CHECK(sprintf("%v", {Json::parse(R"(["a","b"])")}) == "[a b]");
    CHECK(sprintf("%s", {Json::parse(R"(["a","b"])")}) == "[a b]");
    CHECK(sprintf("%q", {Json::parse(R"(["a","b"])")}) == R"(["a" "b"])");
    CHECK(sprintf("%d", {Json::parse("[1,2]")}) == "[1 2]");
    CHECK(sprintf("%03d", {Json::parse("[1,2]")}) == "[001 002]");
    CHECK(sprintf("%v", {Json::parse(R"({"b":2,"a":1})")}) == "map[a:1 b:2]");
    CHECK(sprintf("%q", {Json::parse(R"({"a":"x"})")}) == R"(map["a":"x"])");
    CHECK(sprintf("%v", {Json::parse(R"({"a":[1,{"b":null}]})")}) == "map[a:[1 map[b:<nil>]]]");
    CHECK(sprintf("%T %T", {Json::parse("[1]"), Json::parse("{}")}) == "[]interface {} map[string]interface {}");
    CHECK(printf_(R"("%v|%s|%d" nil nil nil)") == "<nil>|%!s(<nil>)|%!d(<nil>)");
}

TEST_CASE("printf: mistakes print as Go prints them", "[format][printf]") {
    CHECK(printf_(R"("%d" "web")") == "%!d(string=web)");
    CHECK(printf_(R"("%s" 5)") == "%!s(int=5)");
    CHECK(printf_(R"("%d" 1.5)") == "%!d(float64=1.5)");
    CHECK(printf_(R"("%t" 1)") == "%!t(int=1)");
    CHECK(printf_(R"("%z" 5)") == "%!z(int=5)");
    CHECK(printf_(R"("%d %s" 1)") == "1 %!s(MISSING)");
    CHECK(printf_(R"("%d" 1 2 "x")") == "1%!(EXTRA int=2, string=x)");
    CHECK(printf_(R"("100%")") == "100%!(NOVERB)");
    CHECK(printf_(R"("%%d" 1)") == "%d%!(EXTRA int=1)");
    CHECK(printf_(R"("%[2]s %[1]s" "a" "b")") == "b a");
    CHECK(printf_(R"("%*d" "x" 5)") == "%!(BADWIDTH)5");
    CHECK(printf_(R"("no verbs")") == "no verbs");
}

TEST_CASE("sprint and sprintln spacing", "[format][printf]") {
    Json one = 1, two = 2, a = "a";
    CHECK(gofmt::sprint({&one, &two}) == "1 2");
    CHECK(gofmt::sprint({&one, &a, &two}) == "1a2");
    CHECK(gofmt::sprint({nullptr, nullptr}) == "<nil> <nil>");
    CHECK(gofmt::sprintln({&a, &one}) == "a 1\n");
    CHECK(gofmt::sprintln({}) == "\n");
}

TEST_CASE("Go's float formatting", "[format][printf]") {
    CHECK(gonum::shortest_g(100000.0) == "100000");
    CHECK(gonum::shortest_g(1000000.0) == "1e+06");
    CHECK(gonum::shortest_g(0.0001) == "0.0001");
    CHECK(gonum::shortest_g(0.00001) == "1e-05");
    CHECK(gonum::shortest_g(123456.7) == "123456.7");
    CHECK(gonum::shortest_g(-2.5e-10) == "-2.5e-10");
    CHECK(gonum::shortest_g(1e100) == "1e+100");
    CHECK(gonum::to_string(Json(2.0)) == "2");
    CHECK(gonum::to_string(Json(1e20)) == "100000000000000000000");
    CHECK(gonum::to_string(Json(1e21)) == "1e+21");
    CHECK(gonum::to_string(Json(-0.0)) == "0");
}

TEST_CASE("JSON as Go's encoding/json writes it", "[format][json]") {
    Json v = Json::parse(R"({"b":"<x> & y","a":[1,2.5,true,null],"c":{}})");
    CHECK(go_json(v) == R"({"b":"\u003cx\u003e \u0026 y","a":[1,2.5,true,null],"c":{}})");
    GoJsonStyle raw;
    raw.escape_html = false;
    CHECK(go_json(v, raw) == R"({"b":"<x> & y","a":[1,2.5,true,null],"c":{}})");
    CHECK(go_json(Json("\x01\n\t\r\b\f\"\\\x7f")) == "\"\\u0001\\n\\t\\r\\b\\f\\\"\\\\\x7f\"");
    CHECK(go_json(Json("\xE2\x80\xA8|\xE2\x80\xA9")) == R"("\u2028|\u2029")");
    CHECK(go_json(Json("bad\xFFutf8")) == R"("bad\ufffdutf8")");
    CHECK(go_json(Json("h\xC3\xA9llo")) == "\"h\xC3\xA9llo\"");
}

TEST_CASE("JSON numbers as Go writes float64", "[format][json]") {
    CHECK(go_json(Json(1.5)) == "1.5");
    CHECK(go_json(Json(100.0)) == "100");
    CHECK(go_json(Json(123456789012.0)) == "123456789012");
    CHECK(go_json(Json(1e21)) == "1e+21");
    CHECK(go_json(Json(1e-7)) == "1e-7");
    CHECK(go_json(Json(0.000001)) == "0.000001");
    CHECK(go_json(Json(-0.0)) == "-0");
    CHECK(go_json(Json(42)) == "42");
    CHECK(go_json(Json(-42)) == "-42");
    CHECK(go_json(Json(18446744073709551615ULL)) == "18446744073709551615");
}

TEST_CASE("JSON indented as MarshalIndent", "[format][json]") {
    Json v = Json::parse(R"({"a":[1,2],"b":{},"c":[],"d":{"e":"f"}})");
    GoJsonStyle style;
    style.indent = "    ";
    CHECK(go_json(v, style) ==
          "{\n"
          "    \"a\": [\n"
          "        1,\n"
          "        2\n"
          "    ],\n"
          "    \"b\": {},\n"
          "    \"c\": [],\n"
          "    \"d\": {\n"
          "        \"e\": \"f\"\n"
          "    }\n"
          "}");
}

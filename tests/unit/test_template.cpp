// Expected outputs are what Go's text/template (with Docker's functions)
// prints for the same template over the same data.
#include <catch2/catch.hpp>

#include "format/template.hpp"
#include "util/error.hpp"

using skiff::Error;
using skiff::Json;
using skiff::format::Functions;
using skiff::format::HeaderMap;
using skiff::format::Template;
using Catch::Matchers::Contains;

namespace {

const Json& container() {
    static const Json data = Json::parse(R"({
        "ID": "5b6a8a1ad3a2c9f0e1d2",
        "Names": "web",
        "Image": "nginx:latest",
        "Status": "Up 2 hours",
        "Running": true,
        "Count": 3,
        "Ratio": 1.5,
        "Whole": 2.0,
        "Nothing": null,
        "Empty": [],
        "Args": ["a", "b", "c"],
        "Matrix": [[1, 2], [3, 4]],
        "Labels": {"com.x": "1", "b": "two", "a": "one"},
        "Mounts": [{"Source": "/data", "Destination": "/srv"}, {"Source": "/logs", "Destination": "/var/log"}],
        "State": {"Status": "running", "Pid": 42, "Health": null}
    })");
    return data;
}

std::string render(std::string_view text, const Json& data = container()) { return Template::parse(text).render(data); }

std::string header(std::string_view text, const HeaderMap& headers = {}) { return Template::parse(text).render_header(headers); }

}  // namespace

TEST_CASE("template: fields", "[format][template]") {
    CHECK(render("{{.Names}}") == "web");
    CHECK(render("{{.Names}}\t{{.Status}}") == "web\tUp 2 hours");
    CHECK(render("{{.State.Status}}") == "running");
    CHECK(render("{{.Labels.a}}") == "one");
    CHECK(render("id={{.ID}}!") == "id=5b6a8a1ad3a2c9f0e1d2!");
    CHECK(render("plain text") == "plain text");
    CHECK(render("") == "");
    CHECK(render("{{$.Names}}") == "web");
    CHECK(render("{{.}}", Json("dot")) == "dot");
}

TEST_CASE("template: missing keys print <no value> as on Docker's map data", "[format][template]") {
    CHECK(render("{{.Missing}}") == "<no value>");
    CHECK(render("{{.Labels.nope}}") == "<no value>");
    CHECK(render("{{.Missing.Deeper}}") == "<no value>");
    CHECK(render("{{.Nothing}}") == "<no value>");
    CHECK(render("{{.State.Health.Status}}") == "<no value>");
}

TEST_CASE("template: default printing of values follows Go's fmt", "[format][template]") {
    CHECK(render("{{.Count}}") == "3");
    CHECK(render("{{.Ratio}}") == "1.5");
    CHECK(render("{{.Whole}}") == "2");
    CHECK(render("{{.Running}}") == "true");
    CHECK(render("{{.Args}}") == "[a b c]");
    CHECK(render("{{.Empty}}") == "[]");
    CHECK(render("{{.Matrix}}") == "[[1 2] [3 4]]");
    CHECK(render("{{.Labels}}") == "map[a:one b:two com.x:1]");
    CHECK(render("{{.State}}") == "map[Health:<nil> Pid:42 Status:running]");
    CHECK(render("{{.V}}", Json::parse(R"({"V": 1234567.5})")) == "1.2345675e+06");
    CHECK(render("{{.V}}", Json::parse(R"({"V": 0.00001})")) == "1e-05");
    CHECK(render("{{.V}}", Json::parse(R"({"V": -7})")) == "-7");
    CHECK(render("{{.V}}", Json::parse(R"({"V": 18446744073709551615})")) == "18446744073709551615");
}

TEST_CASE("template: literals", "[format][template]") {
    CHECK(render(R"({{"a\tb"}})") == "a\tb");
    CHECK(render("{{`raw\\n`}}") == "raw\\n");
    CHECK(render("{{'a'}}") == "97");
    CHECK(render("{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}") == "31 15 15 5 1000");
    CHECK(render("{{1.5}} {{-3}} {{+4}} {{1e3}} {{.5}}") == "1.5 -3 4 1000 0.5");
    CHECK(render("{{true}} {{false}}") == "true false");
    CHECK(render(R"({{"\u00e9\x41\101"}})") == "\xC3\xA9"
                                                  "AA");
}

TEST_CASE("template: whitespace trimming", "[format][template]") {
    CHECK(render("a  {{- .Names -}}  b") == "awebb");
    CHECK(render("a  {{.Names -}}\n\t b") == "a  webb");
    CHECK(render("a \n {{- .Names}} b") == "aweb b");
    CHECK(render("{{range .Args}}\n  {{- .}}\n{{- end}}") == "abc");
    CHECK(render("{{- .Names -}}") == "web");
    CHECK(render("x {{- /* note */ -}} y") == "xy");
    CHECK(render("x{{/* note */}}y") == "xy");
    // "-" directly before a number is a sign, not a trim marker.
    CHECK(render("a {{-3}}") == "a -3");
}

TEST_CASE("template: if / else if / else", "[format][template]") {
    CHECK(render("{{if .Running}}up{{else}}down{{end}}") == "up");
    CHECK(render("{{if .Missing}}up{{else}}down{{end}}") == "down");
    const char* chain = "{{if eq .Count 1}}one{{else if eq .Count 3}}three{{else}}many{{end}}";
    CHECK(render(chain) == "three");
    CHECK(render(chain, Json::parse(R"({"Count": 9})")) == "many");
    CHECK(render("{{if .Empty}}x{{else}}empty{{end}}") == "empty");
    CHECK(render("{{if .Labels}}labels{{end}}") == "labels");
    CHECK(render("{{if 0}}x{{else}}zero{{end}}") == "zero");
    CHECK(render("{{if \"\"}}x{{else}}blank{{end}}") == "blank");
    CHECK(render("{{if .Nothing}}x{{else}}nil{{end}}") == "nil");
}

TEST_CASE("template: with", "[format][template]") {
    CHECK(render("{{with .State}}{{.Status}}/{{.Pid}}{{end}}") == "running/42");
    CHECK(render("{{with .Missing}}x{{else}}none{{end}}") == "none");
    CHECK(render("{{with $s := .State.Status}}{{$s}}{{end}}") == "running");
    CHECK(render("{{with .Missing}}a{{else with .Names}}{{.}}{{end}}") == "web");
}

TEST_CASE("template: range over arrays and maps", "[format][template]") {
    CHECK(render("{{range .Mounts}}{{.Source}} {{end}}") == "/data /logs ");
    CHECK(render("{{range $i, $e := .Args}}{{$i}}={{$e}},{{end}}") == "0=a,1=b,2=c,");
    CHECK(render("{{range $e := .Args}}{{$e}}{{end}}") == "abc");
    // Go visits map keys in sorted order.
    CHECK(render("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}") == "a=one;b=two;com.x=1;");
    CHECK(render("{{range .Labels}}{{.}} {{end}}") == "one two 1 ");
    CHECK(render("{{range .Empty}}x{{else}}none{{end}}") == "none");
    CHECK(render("{{range .Missing}}x{{else}}none{{end}}") == "none");
    CHECK(render("{{range .Nothing}}x{{end}}") == "");
    CHECK(render("{{range .Args}}{{$.Names}}{{end}}") == "webwebweb");
    CHECK(render("{{range .Matrix}}{{range .}}{{.}}{{end}}|{{end}}") == "12|34|");
    CHECK(render("{{range 3}}{{.}}{{end}}") == "012");
}

TEST_CASE("template: break and continue", "[format][template]") {
    CHECK(render("{{range .Args}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}") == "a");
    CHECK(render("{{range .Args}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}") == "ac");
}

TEST_CASE("template: variables", "[format][template]") {
    CHECK(render("{{$x := .Count}}{{$x}}") == "3");
    CHECK(render("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}") == "2");
    CHECK(render("{{$x := 1}}{{range .Args}}{{$x = .}}{{end}}{{$x}}") == "c");
    CHECK(render("{{$n := .Names}}{{range .Args}}{{$n}}{{end}}") == "webwebweb");
    CHECK(render("{{$m := .State}}{{$m.Status}}") == "running");
    CHECK(render("{{$}}", Json("root")) == "root");
}

TEST_CASE("template: pipelines and parentheses", "[format][template]") {
    CHECK(render("{{.Names | upper}}") == "WEB");
    CHECK(render("{{.Names | printf \"%s!\"}}") == "web!");
    CHECK(render("{{\"x\" | printf \"%s-%s\" \"y\"}}") == "y-x");
    CHECK(render("{{.Names | len}}") == "3");
    CHECK(render("{{printf \"%s\" (upper .Names)}}") == "WEB");
    CHECK(render("{{(index .Mounts 1).Source}}") == "/logs");
    CHECK(render("{{(.State).Pid}}") == "42");
    CHECK(render("{{.Image | split \":\" | len}}", container()) == "1");
}

TEST_CASE("template: index and slice", "[format][template]") {
    CHECK(render("{{index .Labels \"com.x\"}}") == "1");
    CHECK(render("{{index .Labels \"missing\"}}") == "");
    CHECK(render("{{index .Args 1}}") == "b");
    CHECK(render("{{index .Matrix 1 0}}") == "3");
    CHECK(render("{{index .Names 0}}") == "119");
    CHECK(render("{{index .Nothing \"k\"}}") == "");
    CHECK(render("{{index .Args}}") == "[a b c]");
    CHECK(render("{{slice .Names 1 3}}") == "eb");
    CHECK(render("{{slice .Args 1}}") == "[b c]");
    CHECK(render("{{slice .Args}}") == "[a b c]");
    CHECK(render("{{slice .Args 0 1 2}}") == "[a]");
}

TEST_CASE("template: len", "[format][template]") {
    CHECK(render("{{len .Args}}") == "3");
    CHECK(render("{{len .Labels}}") == "3");
    CHECK(render("{{len .V}}", Json::parse(R"({"V": "h\u00e9llo"})")) == "6");
    CHECK(render("{{len .Nothing}}") == "0");
}

TEST_CASE("template: comparisons", "[format][template]") {
    CHECK(render("{{eq .Names \"web\"}}") == "true");
    CHECK(render("{{eq .Count 1 2 3}}") == "true");
    CHECK(render("{{eq .Count 1 2}}") == "false");
    CHECK(render("{{eq .Missing \"x\"}}") == "false");
    CHECK(render("{{ne 1 2}} {{ne \"a\" \"a\"}}") == "true false");
    CHECK(render("{{lt 1 2}} {{lt 2 1}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}}") == "true false true true false");
    // JSON keeps no int/float distinction, so numbers compare by value
    // where Go would refuse to compare an int with a float64.
    CHECK(render("{{lt 1 1.5}}") == "true");
    CHECK(render("{{eq .Whole 2}}") == "true");
    CHECK(render("{{if gt .State.Pid 0}}pid{{end}}") == "pid");
}

TEST_CASE("template: and, or, not", "[format][template]") {
    CHECK(render("{{and 1 \"x\"}}") == "x");
    CHECK(render("{{and 0 \"x\"}}") == "0");
    CHECK(render("{{or \"\" \"y\"}}") == "y");
    CHECK(render("{{or 0 \"\"}}") == "");
    CHECK(render("{{not \"\"}} {{not .Running}}") == "true false");
    CHECK(render("{{if and .Running (eq .Names \"web\")}}yes{{end}}") == "yes");
    // Go 1.18+ stops at the first deciding argument.
    CHECK(render("{{and false (index .Args 10)}}") == "false");
    CHECK(render("{{or true (index .Args 10)}}") == "true");
}

TEST_CASE("template: print and println", "[format][template]") {
    CHECK(render("{{print 1 2}}") == "1 2");
    CHECK(render("{{print \"a\" \"b\"}}") == "ab");
    CHECK(render("{{print 1 \"a\" 2}}") == "1a2");
    CHECK(render("{{print nil}}") == "<nil>");
    CHECK(render("{{print .Missing}}") == "<nil>");
    CHECK(render("{{println \"a\" 1}}") == "a 1\n");
    CHECK(render("{{print .Args .Count}}") == "[a b c] 3");
}

TEST_CASE("template: Docker's functions", "[format][template]") {
    CHECK(render("{{json .Labels}}") == R"({"com.x":"1","b":"two","a":"one"})");
    CHECK(render("{{json .Names}}") == R"("web")");
    CHECK(render("{{json .Missing}}") == "null");
    CHECK(render("{{json .Mounts}}") == R"([{"Source":"/data","Destination":"/srv"},{"Source":"/logs","Destination":"/var/log"}])");
    // Docker's json function turns off Go's HTML escaping.
    CHECK(render("{{json .V}}", Json::parse(R"({"V": "a<b>&c"})")) == R"("a<b>&c")");
    CHECK(render("{{join .Args \",\"}}") == "a,b,c");
    CHECK(render("{{join .Empty \",\"}}") == "");
    CHECK(render("{{join .Nothing \",\"}}") == "");
    CHECK(render("{{split \"a:b:c\" \":\"}}") == "[a b c]");
    CHECK(render("{{index (split .Image \":\") 0}}") == "nginx");
    CHECK(render("{{split \"ab\" \"\"}}") == "[a b]");
    CHECK(render("{{title \"hello world-foo_bar\"}}") == "Hello World-Foo_bar");
    CHECK(render("{{lower \"MiXed\"}} {{upper \"MiXed\"}}") == "mixed MIXED");
    CHECK(render("{{pad .Names 2 1}}|") == "  web |");
    CHECK(render("{{pad \"\" 2 1}}|") == "|");
    CHECK(render("{{truncate .ID 12}}") == "5b6a8a1ad3a2");
    CHECK(render("{{truncate .Names 12}}") == "web");
}

TEST_CASE("template: Go's escaping functions", "[format][template]") {
    CHECK(render("{{html \"<a href='x'>&\\\"\"}}") == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
    CHECK(render("{{js \"a'b\\\"<=>\"}}") == "a\\'b\\\"\\u003C\\u003D\\u003E");
    CHECK(render("{{urlquery \"a b&c/d\"}}") == "a+b%26c%2Fd");
}

TEST_CASE("template: define, template and block", "[format][template]") {
    CHECK(render("{{define \"x\"}}<{{.}}>{{end}}{{template \"x\" .Names}}") == "<web>");
    CHECK(render("{{define \"x\"}}[{{$}}]{{end}}{{range .Args}}{{template \"x\" .}}{{end}}") == "[a][b][c]");
    CHECK(render("{{block \"b\" .Count}}({{.}}){{end}}") == "(3)");
    CHECK(render("{{define \"x\"}}{{.}}{{end}}{{template \"x\"}}") == "<no value>");
}

TEST_CASE("template: extra functions and methods", "[format][template]") {
    Functions fns;
    fns.funcs["double"] = [](const std::vector<Json>& args) { return Json(args.at(0).get<int>() * 2); };
    fns.funcs["fail"] = [](const std::vector<Json>&) -> Json { throw Error("broken"); };
    fns.methods["Label"] = [](const Json& row, const std::vector<Json>& args) {
        return Json(row.at("Labels").value(args.at(0).get<std::string>(), ""));
    };
    CHECK(Template::parse("{{double .Count}}", fns).render(container()) == "6");
    CHECK(Template::parse("{{.Count | double}}", fns).render(container()) == "6");
    CHECK(Template::parse("{{.Label \"com.x\"}}", fns).render(container()) == "1");
    CHECK_THROWS_WITH(Template::parse("{{fail}}", fns).render(container()),
                      "template: :1:2: executing \"\" at <fail>: error calling fail: broken");
}

TEST_CASE("template: parse once, render many", "[format][template]") {
    Template t = Template::parse("{{.Names}}:{{len .Args}}");
    CHECK(t.render(container()) == "web:3");
    CHECK(t.render(Json::parse(R"({"Names": "db", "Args": []})")) == "db:0");
    Template copy = t;
    std::string buffer = "> ";
    copy.render_to(buffer, container());
    CHECK(buffer == "> web:3");
}

TEST_CASE("template: header rows", "[format][template]") {
    HeaderMap headers{{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"State.Status", "STATE"}};
    CHECK(header("{{.ID}}\t{{.Image}}", headers) == "CONTAINER ID\tIMAGE");
    CHECK(header("{{.Names}}") == "NAMES");
    CHECK(header("{{.Names | upper}}") == "NAMES");
    CHECK(header("{{json .Labels}}") == "LABELS");
    CHECK(header("{{truncate .ID 5}}", headers) == "CONTAINER ID");
    CHECK(header("{{pad .Names 1 1}}") == " NAMES ");
    CHECK(header("{{index .Labels \"com.x\"}}") == "COM.X");
    CHECK(header("{{.State.Status}}", headers) == "STATE");
    CHECK(header("{{.Config.Status}}") == "STATUS");
    CHECK(header("{{if .Running}}{{.Status}}{{else}}{{.Exited}}{{end}}") == "STATUS");
    CHECK(header("{{range .Mounts}}{{.Source}}{{end}}") == "SOURCE");
    CHECK(header("{{with .State}}{{.Pid}}{{end}}") == "PID");
    CHECK(header("id: {{.ID}}", headers) == "id: CONTAINER ID");
    // A header cell that cannot be computed is left empty, as Docker does.
    CHECK(header("{{eq .Count 1}}|{{.Names}}") == "|NAMES");
}

TEST_CASE("template: parse errors", "[format][template]") {
    CHECK_THROWS_WITH(Template::parse("{{foo}}"), "template: :1: function \"foo\" not defined");
    CHECK_THROWS_WITH(Template::parse("{{.Names"), "template: :1: unclosed action");
    CHECK_THROWS_WITH(Template::parse("{{.Names}"), "template: :1: bad character U+007D '}'");
    CHECK_THROWS_WITH(Template::parse("{{if .Running}}x"), "template: :1: unexpected EOF");
    CHECK_THROWS_WITH(Template::parse("{{end}}"), "template: :1: unexpected {{end}}");
    CHECK_THROWS_WITH(Template::parse("{{else}}"), "template: :1: unexpected {{else}}");
    CHECK_THROWS_WITH(Template::parse("{{$x}}"), "template: :1: undefined variable \"$x\"");
    CHECK_THROWS_WITH(Template::parse("{{$x = 1}}"), "template: :1: undefined variable \"$x\"");
    CHECK_THROWS_WITH(Template::parse("{{if}}{{end}}"), "template: :1: missing value for if");
    CHECK_THROWS_WITH(Template::parse("{{}}"), "template: :1: missing value for command");
    CHECK_THROWS_WITH(Template::parse("{{break}}"), "template: :1: {{break}} outside {{range}}");
    CHECK_THROWS_WITH(Template::parse("a\n\n{{.X | 3}}"), "template: :3: non executable command in pipeline stage 2");
    CHECK_THROWS_WITH(Template::parse("{{\"abc}}"), "template: :1: unterminated quoted string");
    CHECK_THROWS_WITH(Template::parse("{{/* x }}"), "template: :1: unclosed comment");
    CHECK_THROWS_WITH(Template::parse("{{.A @}}"), "template: :1: unexpected \"@\" in operand");
    CHECK_THROWS_WITH(Template::parse("{{.A \x01}}"), "template: :1: unrecognized character in action: U+0001");
    CHECK_THROWS_WITH(Template::parse("{{3x}}"), "template: :1: bad number syntax: \"3x\"");
    CHECK_THROWS_WITH(Template::parse("{{(.A}}"), "template: :1: unclosed left paren");
    CHECK_THROWS_WITH(Template::parse("{{range $a, $b, $c := .A}}{{end}}"), "template: :1: too many declarations in range");
    CHECK_THROWS_WITH(Template::parse("{{if .A}}{{else}}{{else}}{{end}}"), "template: :1: expected end; found {{else}}");
    CHECK_THROWS_WITH(Template::parse("{{\"a\".B}}"), "template: :1: unexpected . after term \"\\\"a\\\"\"");
    CHECK_THROWS_AS(Template::parse("{{.A}}{{"), Error);
}

TEST_CASE("template: execution errors", "[format][template]") {
    CHECK_THROWS_WITH(render("{{.Names.X}}"), "template: :1:2: executing \"\" at <.Names.X>: can't evaluate field X in type string");
    CHECK_THROWS_WITH(render("line one\n  {{.Args.X}}"),
                      "template: :2:4: executing \"\" at <.Args.X>: can't evaluate field X in type []interface {}");
    CHECK_THROWS_WITH(render("{{index .Args 5}}"),
                      "template: :1:2: executing \"\" at <index .Args 5>: error calling index: index out of range: 5");
    CHECK_THROWS_WITH(render("{{join .Args}}"), "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1");
    CHECK_THROWS_WITH(render("{{eq}}"), "template: :1:2: executing \"\" at <eq>: wrong number of args for eq: want at least 1 got 0");
    CHECK_THROWS_WITH(render("{{eq .Count \"3\"}}"), Contains("error calling eq: incompatible types for comparison"));
    CHECK_THROWS_WITH(render("{{lt true false}}"), Contains("error calling lt: invalid type for comparison"));
    CHECK_THROWS_WITH(render("{{upper 5}}"), Contains("wrong type for value; expected string; got int"));
    CHECK_THROWS_WITH(render("{{upper .Missing}}"), Contains("invalid value; expected string"));
    CHECK_THROWS_WITH(render("{{.Names 1}}"), Contains("at <.Names>: Names is not a method but has arguments"));
    CHECK_THROWS_WITH(render("{{nil}}"), Contains("nil is not a command"));
    CHECK_THROWS_WITH(render("{{1 2}}"), Contains("can't give argument to non-function 1"));
    CHECK_THROWS_WITH(render("{{range .Names}}{{end}}"), Contains("range can't iterate over web"));
    CHECK_THROWS_WITH(render("{{template \"nope\"}}"), Contains("template \"nope\" not defined"));
    CHECK_THROWS_WITH(render("{{len .Count}}"), Contains("error calling len: len of type int"));
    CHECK_THROWS_WITH(render("{{index .Count 1}}"), Contains("error calling index: can't index item of type int"));
    CHECK_THROWS_WITH(render("{{slice .Args 2 1}}"), Contains("error calling slice: invalid slice index: 2 > 1"));
    // Long contexts are cut to 20 runes, as Go does.
    CHECK_THROWS_WITH(render("{{printf \"%s\" .Names.Deeper.Field.Here}}"),
                      "template: :1:14: executing \"\" at <.Names.Deeper.Field....>: can't evaluate field Deeper in type string");
    CHECK_THROWS_WITH(render("{{define \"t\"}}{{.X.Y}}{{end}}{{template \"t\" .Names}}"),
                      Contains("executing \"t\" at <.X.Y>: can't evaluate field X in type string"));
    CHECK_THROWS_WITH(render("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}"),
                      Contains("exceeded maximum template depth"));
}

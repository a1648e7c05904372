// Go text/template, as Docker's and Podman's --format use it: parse once,
// render many times over JSON data.
//
// The data are JSON, so field access follows Docker's behaviour on map
// data: a missing key prints "<no value>" instead of failing. Errors (parse
// and execution) throw skiff::Error with Go's wording, e.g.
//   template: :1: function "foo" not defined
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace skiff::format {

namespace tmpl {
struct Tree;
}

// A function added to templates, as Go's Template.Funcs. Missing values
// arrive as null; throw skiff::Error to fail ("error calling name: …").
using TemplateFunc = std::function<Json(const std::vector<Json>& args)>;
// A method of the data, such as `{{.Label "com.example"}}` on Docker's
// list rows. It is called for every object the field is evaluated on.
using TemplateMethod = std::function<Json(const Json& receiver, const std::vector<Json>& args)>;

struct Functions {
    std::map<std::string, TemplateFunc, std::less<>> funcs;
    std::map<std::string, TemplateMethod, std::less<>> methods;
};

// Column headers of `table` formats by field path ("ID", "State.Status");
// a field not listed gets its last name upper-cased.
using HeaderMap = std::map<std::string, std::string, std::less<>>;

class Template {
public:
    static Template parse(std::string_view text, Functions functions = {});

    std::string render(const Json& data) const;
    // Appends to `out`, so a caller rendering many rows reuses one buffer.
    void render_to(std::string& out, const Json& data) const;

    // The header line of a `table` format: each field prints its column
    // header, and Docker's string functions (upper, json, truncate…) pass
    // their first argument through, so the header names stay intact.
    std::string render_header(const HeaderMap& headers) const;

private:
    explicit Template(std::shared_ptr<const tmpl::Tree> tree) : tree_(std::move(tree)) {}
    std::shared_ptr<const tmpl::Tree> tree_;
};

}  // namespace skiff::format

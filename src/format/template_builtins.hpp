// The functions every template has: Go's built-ins (and, or, not, len,
// index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js,
// urlquery) and Docker's (json, split, join, title, lower, upper, pad,
// truncate).
#pragma once

#include <stdexcept>
#include <string_view>
#include <vector>

#include "format/template_value.hpp"

namespace skiff::format::tmpl {

// A failure inside a function: reported as "error calling NAME: what".
class CallError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A bad argument type: reported as it is, like Go's argument checks.
class ArgError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How a function behaves while rendering a table's header row.
enum class HeaderRole {
    Evaluate,  // runs as usual on the header strings
    FirstArg,  // Docker's header functions echo their first argument, so
               // that "{{upper .Name}}" still heads its column NAMES
    KeyName,   // index: the header is the last key, upper-cased
};

struct Builtin {
    std::string_view name;
    int min_args = 0;
    int max_args = -1;  // -1: variadic
    Value (*fn)(std::vector<Value>& args) = nullptr;
    HeaderRole header = HeaderRole::Evaluate;
    // and/or evaluate their arguments lazily; the executor runs them itself.
    bool short_circuit = false;
};

const Builtin* find_builtin(std::string_view name);

}  // namespace skiff::format::tmpl

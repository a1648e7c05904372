// Runs a parsed template, with Go's semantics for variables, control
// structures and printing.
#pragma once

#include <string>

#include "format/template_ast.hpp"

namespace skiff::format::tmpl {

// Appends the output to `out`. With `headers`, renders the header row of a
// table format instead of a data row (see Template::render_header).
void execute(const Tree& tree, const Json& data, std::string& out, const HeaderMap* headers = nullptr);

}  // namespace skiff::format::tmpl

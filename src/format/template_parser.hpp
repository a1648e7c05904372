// Builds the node tree of a template with Go's grammar and checks (unknown
// functions and undefined variables fail at parse time, as in Go).
#pragma once

#include "format/template_ast.hpp"

namespace skiff::format::tmpl {

// Fills tree.root and tree.defines from tree.source, resolving function
// names against the built-ins and tree.functions. Throws skiff::Error.
void parse(Tree& tree);

}  // namespace skiff::format::tmpl

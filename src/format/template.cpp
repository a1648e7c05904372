#include "format/template.hpp"

#include "format/template_ast.hpp"
#include "format/template_exec.hpp"
#include "format/template_parser.hpp"

namespace skiff::format {

Template Template::parse(std::string_view text, Functions functions) {
    // The tree is built in place: operands point at its function table.
    auto tree = std::make_shared<tmpl::Tree>();
    tree->source = std::string(text);
    tree->functions = std::move(functions);
    tmpl::parse(*tree);
    return Template(std::move(tree));
}

std::string Template::render(const Json& data) const {
    std::string out;
    render_to(out, data);
    return out;
}

void Template::render_to(std::string& out, const Json& data) const { tmpl::execute(*tree_, data, out); }

std::string Template::render_header(const HeaderMap& headers) const {
    std::string out;
    tmpl::execute(*tree_, Json(), out, &headers);
    return out;
}

}  // namespace skiff::format

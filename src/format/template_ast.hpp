// The parsed form of a template. Positions are byte offsets into the source,
// kept so execution errors can quote the failing action as Go does.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "format/template.hpp"
#include "util/json.hpp"

namespace skiff::format::tmpl {

struct Builtin;
struct Pipeline;

struct Span {
    size_t pos = 0;
    size_t end = 0;
};

struct Operand {
    enum class Kind { Field, Variable, Dot, Nil, Literal, Function, Pipe, Chain };
    Kind kind = Kind::Nil;
    Span span;
    std::vector<std::string> fields;  // Field, Variable, Chain: the .A.B after the term
    std::string name;                 // Variable ("$x") or Function
    Json literal;                     // Literal
    std::unique_ptr<Pipeline> pipe;   // Pipe
    std::unique_ptr<Operand> base;    // Chain: (pipeline).Field
    const Builtin* builtin = nullptr;            // Function, when built in
    const TemplateFunc* custom = nullptr;        // Function, when added by the caller
};

struct Command {
    Span span;
    std::vector<Operand> args;  // args[0] is what runs; the rest are its arguments
};

struct Pipeline {
    Span span;
    bool is_assign = false;         // $x = … rather than $x := …
    std::vector<std::string> decl;  // declared variables
    std::vector<Command> cmds;
};

struct Node;
using List = std::vector<Node>;

struct Node {
    enum class Kind { Text, Action, If, Range, With, Template, Break, Continue, End, Else };
    Kind kind = Kind::Text;
    Span span;
    std::string text;                // Text; Template: the called name
    std::unique_ptr<Pipeline> pipe;  // Action, If, Range, With, Template (may be null)
    List list;
    List else_list;
};

// A parsed template and the named templates it defines.
struct Tree {
    std::string source;
    List root;
    std::map<std::string, List, std::less<>> defines;
    Functions functions;
};

}  // namespace skiff::format::tmpl

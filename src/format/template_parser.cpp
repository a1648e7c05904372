#include "format/template_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "format/gofmt.hpp"
#include "format/template_builtins.hpp"
#include "format/template_lexer.hpp"
#include "format/utf8.hpp"
#include "util/error.hpp"

namespace skiff::format::tmpl {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads `count` digits of base 16 (or 8) at s[i]; nullopt when malformed.
std::optional<uint32_t> read_digits(std::string_view s, size_t& i, int count, int base) {
    uint32_t value = 0;
    for (int k = 0; k < count; ++k, ++i) {
        int d = i < s.size() ? hex_value(s[i]) : -1;
        if (d < 0 || d >= base) return std::nullopt;
        value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
    }
    return value;
}

// One escape sequence after a backslash, as strconv.Unquote reads it.
bool unescape(std::string_view s, size_t& i, char quote, std::string& out) {
    char c = s[i++];
    switch (c) {
        case 'a': out += '\a'; return true;
        case 'b': out += '\b'; return true;
        case 'f': out += '\f'; return true;
        case 'n': out += '\n'; return true;
        case 'r': out += '\r'; return true;
        case 't': out += '\t'; return true;
        case 'v': out += '\v'; return true;
        case '\\': out += '\\'; return true;
        case '\'':
        case '"':
            if (c != quote) return false;
            out += c;
            return true;
        case 'x': {
            auto v = read_digits(s, i, 2, 16);
            if (v) out += static_cast<char>(*v);
            return v.has_value();
        }
        case 'u':
        case 'U': {
            auto v = read_digits(s, i, c == 'u' ? 4 : 8, 16);
            if (!v || *v > 0x10FFFF || (*v >= 0xD800 && *v <= 0xDFFF)) return false;
            utf8::append(out, *v);
            return true;
        }
        default: {
            --i;
            auto v = read_digits(s, i, 3, 8);
            if (!v || *v > 255) return false;
            out += static_cast<char>(*v);
            return true;
        }
    }
}

// strconv.Unquote for "…", '…' and `…`; nullopt on bad syntax.
std::optional<std::string> unquote(std::string_view quoted) {
    if (quoted.size() < 2) return std::nullopt;
    char quote = quoted[0];
    std::string_view body = quoted.substr(1, quoted.size() - 2);
    std::string out;
    if (quote == '`') {
        // Go drops carriage returns from raw strings.
        for (char c : body) {
            if (c != '\r') out += c;
        }
        return out;
    }
    for (size_t i = 0; i < body.size();) {
        char c = body[i++];
        if (c == quote) return std::nullopt;
        if (c != '\\') {
            out += c;
        } else if (i >= body.size() || !unescape(body, i, quote, out)) {
            return std::nullopt;
        }
    }
    return out;
}

// The value of a number token: int64 where it fits, else a float, as the
// constants of Go templates (rune constants such as 'a' are numbers too).
std::optional<Json> parse_number(std::string_view text) {
    if (text.front() == '\'') {
        auto s = unquote(text);
        if (!s || s->empty()) return std::nullopt;
        size_t i = 0;
        char32_t r = utf8::decode(*s, i);
        if (i != s->size()) return std::nullopt;
        return Json(static_cast<int64_t>(r));
    }
    std::string clean;
    for (char c : text) {
        if (c != '_') clean += c;
    }
    std::string_view digits = clean;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 1 && digits[0] == '0') {
        char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
        digits.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
    }
    uint64_t u = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
        if (!negative && u > static_cast<uint64_t>(INT64_MAX)) return Json(u);
        if (u <= static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) {
            return Json(negative ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u));
        }
    }
    if (clean.find_first_of("xXi") != std::string::npos) return std::nullopt;
    char* parse_end = nullptr;
    double d = std::strtod(clean.c_str(), &parse_end);
    if (parse_end != clean.c_str() + clean.size() || clean.empty()) return std::nullopt;
    return Json(d);
}

class Parser {
public:
    explicit Parser(Tree& tree) : tree_(tree), tokens_(lex(tree.source)) {}

    void run() {
        tree_.root = parse_list_until_eof();
    }

private:
    // --- tokens ---------------------------------------------------------------

    const Token& next() {
        const Token& t = tokens_[std::min(index_, tokens_.size() - 1)];
        if (index_ < tokens_.size()) ++index_;
        current_ = &t;
        if (t.type == Tok::Error) fail(t.message);
        if (t.type != Tok::Space) last_end_ = t.pos + t.text.size();
        return t;
    }
    void backup() { --index_; }
    const Token& peek() const { return tokens_[std::min(index_, tokens_.size() - 1)]; }
    void skip_space() {
        while (peek().type == Tok::Space) ++index_;
    }
    const Token& next_non_space() {
        skip_space();
        return next();
    }
    const Token& peek_non_space() {
        skip_space();
        return peek();
    }

    [[noreturn]] void fail(const std::string& message) const {
        int line = current_ ? current_->line : 1;
        throw Error("template: :" + std::to_string(line) + ": " + message);
    }

    static std::string describe(const Token& t) {
        if (t.type == Tok::Eof) return "EOF";
        if (t.type == Tok::Error) return t.message;
        if (is_keyword(t.type)) return "<" + std::string(t.text) + ">";
        if (utf8::rune_count(t.text) > 10) {
            return gofmt::quote(t.text.substr(0, utf8::prefix_bytes(t.text, 10))) + "...";
        }
        return gofmt::quote(t.text);
    }

    [[noreturn]] void unexpected(const Token& t, std::string_view context) const {
        fail("unexpected " + describe(t) + " in " + std::string(context));
    }

    const Token& expect(Tok type, std::string_view context) {
        const Token& t = next_non_space();
        if (t.type != type) unexpected(t, context);
        return t;
    }

    // --- lists and actions ------------------------------------------------------

    List parse_list_until_eof() {
        List root;
        while (peek().type != Tok::Eof) {
            if (peek().type == Tok::LeftDelim) {
                size_t save = index_;
                next();
                if (next_non_space().type == Tok::Define) {
                    parse_definition();
                    continue;
                }
                index_ = save;
            }
            Node n = text_or_action();
            if (n.kind == Node::Kind::End) fail("unexpected {{end}}");
            if (n.kind == Node::Kind::Else) fail("unexpected {{else}}");
            root.push_back(std::move(n));
        }
        next();  // surfaces a lexing error, if that is what ended the input
        return root;
    }

    // The body of a control structure, up to its {{end}} or {{else}}.
    std::pair<List, Node::Kind> item_list() {
        List list;
        while (peek_non_space().type != Tok::Eof) {
            Node n = text_or_action();
            if (n.kind == Node::Kind::End || n.kind == Node::Kind::Else) return {std::move(list), n.kind};
            list.push_back(std::move(n));
        }
        next();
        fail("unexpected EOF");
    }

    Node text_or_action() {
        const Token& t = next_non_space();
        if (t.type == Tok::Text) {
            Node n;
            n.kind = Node::Kind::Text;
            n.span = {t.pos, t.pos + t.text.size()};
            n.text = std::string(t.text);
            return n;
        }
        if (t.type == Tok::LeftDelim) return action();
        unexpected(t, "input");
    }

    Node action() {
        const Token& t = next_non_space();
        switch (t.type) {
            case Tok::Block: return block_control(t);
            case Tok::Break: return loop_control(Node::Kind::Break, "break");
            case Tok::Continue: return loop_control(Node::Kind::Continue, "continue");
            case Tok::Else: return else_control();
            case Tok::End: return marker(Node::Kind::End, "end");
            case Tok::If: return control(Node::Kind::If, "if");
            case Tok::Range: return control(Node::Kind::Range, "range");
            case Tok::Template: return template_control(t);
            case Tok::With: return control(Node::Kind::With, "with");
            default: break;
        }
        backup();
        Node n;
        n.kind = Node::Kind::Action;
        n.pipe = pipeline("command", Tok::RightDelim);
        n.span = n.pipe->span;
        return n;
    }

    Node marker(Node::Kind kind, std::string_view context) {
        Node n;
        n.kind = kind;
        n.span.pos = expect(Tok::RightDelim, context).pos;
        return n;
    }

    Node loop_control(Node::Kind kind, const std::string& word) {
        if (range_depth_ == 0) fail("{{" + word + "}} outside {{range}}");
        return marker(kind, "{{" + word + "}}");
    }

    // {{else if …}} and {{else with …}} leave the keyword pending for the
    // enclosing control, which nests a new if/with as its else branch.
    Node else_control() {
        Tok after = peek_non_space().type;
        if (after == Tok::If || after == Tok::With) {
            Node n;
            n.kind = Node::Kind::Else;
            return n;
        }
        return marker(Node::Kind::Else, "else");
    }

    Node control(Node::Kind kind, const char* context) {
        size_t vars_mark = vars_.size();
        Node n;
        n.kind = kind;
        n.pipe = pipeline(context, Tok::RightDelim);
        n.span = n.pipe->span;
        if (kind == Node::Kind::Range) ++range_depth_;
        auto [list, ended_by] = item_list();
        if (kind == Node::Kind::Range) --range_depth_;
        n.list = std::move(list);
        if (ended_by == Node::Kind::Else) n.else_list = else_branch(kind);
        vars_.resize(vars_mark);
        return n;
    }

    List else_branch(Node::Kind kind) {
        List branch;
        Tok pending = peek().type;
        if ((kind == Node::Kind::If && pending == Tok::If) || (kind == Node::Kind::With && pending == Tok::With)) {
            next();
            branch.push_back(control(kind, kind == Node::Kind::If ? "if" : "with"));
            return branch;
        }
        auto [list, ended_by] = item_list();
        if (ended_by != Node::Kind::End) fail("expected end; found {{else}}");
        return std::move(list);
    }

    std::string template_name(std::string_view context) {
        const Token& t = next_non_space();
        if (t.type != Tok::String && t.type != Tok::RawString) unexpected(t, context);
        auto name = unquote(t.text);
        if (!name) fail("invalid syntax");
        return *name;
    }

    Node template_control(const Token& keyword) {
        Node n;
        n.kind = Node::Kind::Template;
        n.span.pos = keyword.pos;
        n.text = template_name("template clause");
        if (next_non_space().type != Tok::RightDelim) {
            backup();
            n.pipe = pipeline("template clause", Tok::RightDelim);
        }
        n.span.end = last_end_;
        return n;
    }

    // {{block "name" pipeline}} defines a template and calls it at once.
    Node block_control(const Token& keyword) {
        Node n;
        n.kind = Node::Kind::Template;
        n.span.pos = keyword.pos;
        n.text = template_name("block clause");
        n.pipe = pipeline("block clause", Tok::RightDelim);
        n.span.end = last_end_;
        define_body(n.text, "block clause");
        return n;
    }

    void parse_definition() {
        std::string name = template_name("define clause");
        expect(Tok::RightDelim, "define clause");
        define_body(name, "define clause");
    }

    // A named template has its own variables and loop nesting.
    void define_body(const std::string& name, std::string_view context) {
        auto saved_vars = std::move(vars_);
        int saved_depth = range_depth_;
        vars_ = {"$"};
        range_depth_ = 0;
        auto [body, ended_by] = item_list();
        if (ended_by != Node::Kind::End) fail("unexpected {{else}} in " + std::string(context));
        tree_.defines[name] = std::move(body);
        vars_ = std::move(saved_vars);
        range_depth_ = saved_depth;
    }

    // --- pipelines --------------------------------------------------------------

    std::unique_ptr<Pipeline> pipeline(std::string_view context, Tok end) {
        auto pipe = std::make_unique<Pipeline>();
        pipe->span.pos = peek_non_space().pos;
        declarations(*pipe, context);
        for (;;) {
            const Token& t = next_non_space();
            if (t.type == end) {
                check_pipeline(*pipe, context);
                return pipe;
            }
            switch (t.type) {
                case Tok::Bool:
                case Tok::CharConst:
                case Tok::Dot:
                case Tok::Field:
                case Tok::Identifier:
                case Tok::Number:
                case Tok::Nil:
                case Tok::RawString:
                case Tok::String:
                case Tok::Variable:
                case Tok::LeftParen:
                    backup();
                    pipe->cmds.push_back(command());
                    pipe->span.end = last_end_;
                    break;
                default: unexpected(t, context);
            }
        }
    }

    // "$x :=", "$x =", and for range "$k, $v :=".
    void declarations(Pipeline& pipe, std::string_view context) {
        for (;;) {
            size_t save = index_;
            if (peek_non_space().type != Tok::Variable) return;
            const Token& var = next();
            Tok after = peek_non_space().type;
            if (after == Tok::Declare || after == Tok::Assign) {
                next();
                pipe.is_assign = after == Tok::Assign;
                if (pipe.is_assign && !defined(var.text)) fail("undefined variable \"" + std::string(var.text) + "\"");
                pipe.decl.emplace_back(var.text);
                if (!pipe.is_assign) vars_.emplace_back(var.text);
                return;
            }
            if (peek().type == Tok::Char && peek().text == ",") {
                next();
                pipe.decl.emplace_back(var.text);
                vars_.emplace_back(var.text);
                if (context != "range" || pipe.decl.size() >= 2) fail("too many declarations in " + std::string(context));
                Tok following = peek_non_space().type;
                if (following != Tok::Variable && following != Tok::RightDelim && following != Tok::RightParen) {
                    fail("range can only initialize variables");
                }
                continue;
            }
            index_ = save;
            return;
        }
    }

    bool defined(std::string_view name) const { return std::find(vars_.begin(), vars_.end(), name) != vars_.end(); }

    void check_pipeline(const Pipeline& pipe, std::string_view context) const {
        if (pipe.cmds.empty()) fail("missing value for " + std::string(context));
        for (size_t i = 1; i < pipe.cmds.size(); ++i) {
            const Operand& first = pipe.cmds[i].args[0];
            if (first.kind == Operand::Kind::Literal || first.kind == Operand::Kind::Dot || first.kind == Operand::Kind::Nil) {
                fail("non executable command in pipeline stage " + std::to_string(i + 1));
            }
        }
    }

    Command command() {
        Command cmd;
        cmd.span.pos = peek_non_space().pos;
        for (;;) {
            skip_space();
            if (auto op = operand()) {
                cmd.args.push_back(std::move(*op));
                cmd.span.end = last_end_;
            }
            const Token& t = next();
            if (t.type == Tok::Space) continue;
            if (t.type == Tok::RightDelim || t.type == Tok::RightParen) {
                backup();
            } else if (t.type != Tok::Pipe) {
                unexpected(t, "operand");
            }
            break;
        }
        if (cmd.args.empty()) fail("empty command");
        return cmd;
    }

    std::optional<Operand> operand() {
        auto node = term();
        if (!node || peek().type != Tok::Field) return node;
        std::vector<std::string> fields;
        while (peek().type == Tok::Field) fields.emplace_back(next().text.substr(1));
        switch (node->kind) {
            case Operand::Kind::Field:
            case Operand::Kind::Variable:
                node->fields.insert(node->fields.end(), fields.begin(), fields.end());
                node->span.end = last_end_;
                return node;
            case Operand::Kind::Pipe:
            case Operand::Kind::Function: {
                Operand chain;
                chain.kind = Operand::Kind::Chain;
                chain.span = {node->span.pos, last_end_};
                chain.fields = std::move(fields);
                chain.base = std::make_unique<Operand>(std::move(*node));
                return chain;
            }
            default: fail("unexpected . after term " + gofmt::quote(source(node->span)));
        }
    }

    std::string source(Span span) const { return tree_.source.substr(span.pos, span.end - span.pos); }

    std::optional<Operand> term() {
        const Token& t = next_non_space();
        Operand op;
        op.span = {t.pos, t.pos + t.text.size()};
        switch (t.type) {
            case Tok::Identifier: return function(t, std::move(op));
            case Tok::Dot: op.kind = Operand::Kind::Dot; return op;
            case Tok::Nil: op.kind = Operand::Kind::Nil; return op;
            case Tok::Variable:
                if (!defined(t.text)) fail("undefined variable \"" + std::string(t.text) + "\"");
                op.kind = Operand::Kind::Variable;
                op.name = std::string(t.text);
                return op;
            case Tok::Field:
                op.kind = Operand::Kind::Field;
                op.fields.emplace_back(t.text.substr(1));
                return op;
            case Tok::Bool:
                op.kind = Operand::Kind::Literal;
                op.literal = t.text == "true";
                return op;
            case Tok::CharConst:
            case Tok::Number: {
                auto value = parse_number(t.text);
                if (!value) fail("illegal number syntax: " + gofmt::quote(t.text));
                op.kind = Operand::Kind::Literal;
                op.literal = std::move(*value);
                return op;
            }
            case Tok::String:
            case Tok::RawString: {
                auto value = unquote(t.text);
                if (!value) fail("invalid syntax");
                op.kind = Operand::Kind::Literal;
                op.literal = std::move(*value);
                return op;
            }
            case Tok::LeftParen:
                op.kind = Operand::Kind::Pipe;
                op.pipe = pipeline("parenthesized pipeline", Tok::RightParen);
                op.span.end = last_end_;
                return op;
            default: backup(); return std::nullopt;
        }
    }

    Operand function(const Token& t, Operand op) {
        op.kind = Operand::Kind::Function;
        op.name = std::string(t.text);
        // The caller's functions may replace built-ins, as Go's Funcs does.
        auto custom = tree_.functions.funcs.find(op.name);
        if (custom != tree_.functions.funcs.end()) {
            op.custom = &custom->second;
        } else {
            op.builtin = find_builtin(op.name);
        }
        if (!op.custom && !op.builtin) fail("function \"" + op.name + "\" not defined");
        return op;
    }

    Tree& tree_;
    std::vector<Token> tokens_;
    size_t index_ = 0;
    const Token* current_ = nullptr;
    size_t last_end_ = 0;
    std::vector<std::string> vars_{"$"};
    int range_depth_ = 0;
};

}  // namespace

void parse(Tree& tree) { Parser(tree).run(); }

}  // namespace skiff::format::tmpl

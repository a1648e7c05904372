#include "format/template_exec.hpp"

#include <algorithm>
#include <span>

#include "format/gofmt.hpp"
#include "format/gonum.hpp"
#include "format/template_builtins.hpp"
#include "format/utf8.hpp"
#include "util/error.hpp"

namespace skiff::format::tmpl {

namespace {

// Go allows 100000 nested template calls; our frames are larger and a
// recursive template is a user error either way.
constexpr int kMaxDepth = 1000;
constexpr size_t kContextRunes = 20;

enum class Flow { Normal, Break, Continue };

std::string upper_ascii(std::string s) {
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

class Executor {
public:
    Executor(const Tree& tree, std::string& out, const HeaderMap* headers) : tree_(tree), out_(out), headers_(headers) {}

    void run(const Json& data) {
        Value dot = headers_ ? Value::header_dot() : Value::borrow(data);
        vars_.emplace_back("$", dot);
        walk(dot, tree_.root);
    }

private:
    // Variables declared inside a control structure end with it.
    class Scope {
    public:
        explicit Scope(Executor& e) : e_(e), mark_(e.vars_.size()) {}
        ~Scope() { e_.vars_.erase(e_.vars_.begin() + static_cast<std::ptrdiff_t>(mark_), e_.vars_.end()); }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Executor& e_;
        size_t mark_;
    };

    // --- errors ---------------------------------------------------------------

    void at(Span span) { at_ = span; }

    [[noreturn]] void fail(const std::string& message) const {
        std::string_view source = tree_.source;
        std::string_view before = source.substr(0, std::min(at_.pos, source.size()));
        size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
        size_t newline = before.rfind('\n');
        size_t column = newline == std::string_view::npos ? at_.pos : at_.pos - newline - 1;
        std::string context(source.substr(at_.pos, at_.end > at_.pos ? at_.end - at_.pos : 0));
        if (utf8::rune_count(context) > kContextRunes) {
            context = context.substr(0, utf8::prefix_bytes(context, kContextRunes)) + "...";
        }
        throw Error("template: :" + std::to_string(line) + ":" + std::to_string(column) + ": executing \"" + name_ +
                    "\" at <" + context + ">: " + message);
    }

    // --- walking ----------------------------------------------------------------

    Flow walk(const Value& dot, const List& list) {
        for (const Node& node : list) {
            Flow flow = headers_ ? walk_header_node(dot, node) : walk_node(dot, node);
            if (flow != Flow::Normal) return flow;
        }
        return Flow::Normal;
    }

    // Docker ignores errors while rendering headers; a header cell that
    // cannot be computed is left empty rather than failing the command.
    Flow walk_header_node(const Value& dot, const Node& node) {
        try {
            return walk_node(dot, node);
        } catch (const Error&) {
            return Flow::Normal;
        }
    }

    Flow walk_node(const Value& dot, const Node& node) {
        switch (node.kind) {
            case Node::Kind::Text: out_ += node.text; return Flow::Normal;
            case Node::Kind::Action: action(dot, node); return Flow::Normal;
            case Node::Kind::If:
            case Node::Kind::With: return if_or_with(dot, node);
            case Node::Kind::Range: return range(dot, node);
            case Node::Kind::Template: call_template(dot, node); return Flow::Normal;
            case Node::Kind::Break: return Flow::Break;
            case Node::Kind::Continue: return Flow::Continue;
            default: return Flow::Normal;
        }
    }

    void action(const Value& dot, const Node& node) {
        Value v = pipeline(dot, *node.pipe);
        if (node.pipe->decl.empty()) print(v);
    }

    void print(const Value& v) {
        if (v.is_header_dot()) return;
        if (v.nil()) {
            out_ += "<no value>";
            return;
        }
        gofmt::append_value(out_, v.json());
    }

    // A header row takes the first branch of every if and with and runs a
    // range body once: the columns come from the main branch.
    Value control_value(const Value& dot, const Pipeline& pipe) {
        if (!headers_) return pipeline(dot, pipe);
        try {
            return pipeline(dot, pipe);
        } catch (const Error&) {
            for (const auto& name : pipe.decl) vars_.emplace_back(name, Value::header_dot());
            return Value::header_dot();
        }
    }

    Flow if_or_with(const Value& dot, const Node& node) {
        Scope scope(*this);
        Value v = control_value(dot, *node.pipe);
        if (headers_ || truth(v)) return walk(node.kind == Node::Kind::With ? v : dot, node.list);
        return walk(dot, node.else_list);
    }

    Flow range(const Value& dot, const Node& node) {
        Scope scope(*this);
        Value v = control_value(dot, *node.pipe);
        if (headers_) {
            walk(v, node.list);
            return Flow::Normal;
        }
        at(node.span);
        bool any = false;
        if (!v.nil()) any = iterate(v, node);
        if (!any) walk(dot, node.else_list);
        return Flow::Normal;
    }

    // Runs the body for each element; false when there were none.
    bool iterate(const Value& v, const Node& node) {
        const Json& j = v.json();
        if (j.is_array()) {
            for (size_t i = 0; i < j.size(); ++i) {
                if (iteration(Value::own(i), v.child(j[i]), node) == Flow::Break) break;
            }
            return !j.empty();
        }
        if (j.is_object()) return iterate_map(v, node);
        if (auto n = gonum::as_integer(j); n && j.is_number()) {
            if (node.pipe->decl.size() > 1) fail("can't use " + printed(j) + " to iterate over more than one variable");
            for (int64_t i = 0; i < *n; ++i) {
                if (iteration(Value::own(i), Value::own(i), node) == Flow::Break) break;
            }
            return *n > 0;
        }
        fail("range can't iterate over " + printed(j));
    }

    // Like Go, maps are visited in sorted key order.
    bool iterate_map(const Value& v, const Node& node) {
        std::vector<std::pair<const std::string*, const Json*>> members;
        for (const auto& [key, item] : v.json().items()) members.emplace_back(&key, &item);
        std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
        for (const auto& [key, item] : members) {
            if (iteration(Value::own(*key), v.child(*item), node) == Flow::Break) break;
        }
        return !members.empty();
    }

    Flow iteration(const Value& key, const Value& elem, const Node& node) {
        // The range's own variables sit on top of the stack (Go's setTopVar).
        size_t declared = node.pipe->decl.size();
        if (declared >= 1) vars_[vars_.size() - 1].second = elem;
        if (declared >= 2) vars_[vars_.size() - 2].second = key;
        Scope scope(*this);
        return walk(elem, node.list);
    }

    static std::string printed(const Json& j) {
        std::string s;
        gofmt::append_value(s, j);
        return s;
    }

    void call_template(const Value& dot, const Node& node) {
        at(node.span);
        auto it = tree_.defines.find(node.text);
        if (it == tree_.defines.end()) fail("template \"" + node.text + "\" not defined");
        if (depth_ >= kMaxDepth) fail("exceeded maximum template depth (" + std::to_string(kMaxDepth) + ")");
        Value new_dot = node.pipe ? pipeline(dot, *node.pipe) : Value();
        // A called template sees only its own $.
        auto saved_vars = std::move(vars_);
        std::string saved_name = std::move(name_);
        vars_.clear();
        vars_.emplace_back("$", new_dot);
        name_ = it->first;
        ++depth_;
        struct Restore {
            Executor& e;
            decltype(saved_vars)& vars;
            std::string& name;
            ~Restore() {
                e.vars_ = std::move(vars);
                e.name_ = std::move(name);
                --e.depth_;
            }
        } restore{*this, saved_vars, saved_name};
        walk(new_dot, it->second);
    }

    // --- evaluation -------------------------------------------------------------

    Value pipeline(const Value& dot, const Pipeline& pipe) {
        Value value;
        bool have = false;
        for (const Command& cmd : pipe.cmds) {
            Value next = command(dot, cmd, have ? &value : nullptr);
            value = std::move(next);
            have = true;
        }
        for (const auto& name : pipe.decl) {
            if (pipe.is_assign) {
                set_var(name, value);
            } else {
                vars_.emplace_back(name, value);
            }
        }
        return value;
    }

    Value command(const Value& dot, const Command& cmd, const Value* final) {
        const Operand& first = cmd.args[0];
        switch (first.kind) {
            case Operand::Kind::Field: return field_chain(dot, dot, first, &cmd, final);
            case Operand::Kind::Chain: {
                Value base = arg(dot, *first.base);
                return field_chain(dot, base, first, &cmd, final);
            }
            case Operand::Kind::Function: return call(dot, first, &cmd, final);
            case Operand::Kind::Variable: {
                Value v = variable(first);
                if (first.fields.empty()) {
                    not_a_function(cmd, final);
                    return v;
                }
                return field_chain(dot, v, first, &cmd, final);
            }
            case Operand::Kind::Pipe: not_a_function(cmd, final); return pipeline(dot, *first.pipe);
            case Operand::Kind::Dot: not_a_function(cmd, final); return dot;
            case Operand::Kind::Literal: not_a_function(cmd, final); return Value::borrow(first.literal);
            case Operand::Kind::Nil: break;
        }
        at(first.span);
        fail("nil is not a command");
    }

    void not_a_function(const Command& cmd, const Value* final) {
        if (cmd.args.size() > 1 || final) {
            at(cmd.args[0].span);
            fail("can't give argument to non-function " + source(cmd.args[0].span));
        }
    }

    std::string source(Span span) const { return tree_.source.substr(span.pos, span.end - span.pos); }

    Value arg(const Value& dot, const Operand& op) {
        at(op.span);
        switch (op.kind) {
            case Operand::Kind::Field: return field_chain(dot, dot, op, nullptr, nullptr);
            case Operand::Kind::Variable: {
                Value v = variable(op);
                return op.fields.empty() ? v : field_chain(dot, v, op, nullptr, nullptr);
            }
            case Operand::Kind::Chain: {
                Value base = arg(dot, *op.base);
                return field_chain(dot, base, op, nullptr, nullptr);
            }
            case Operand::Kind::Pipe: return pipeline(dot, *op.pipe);
            case Operand::Kind::Function: return call(dot, op, nullptr, nullptr);
            case Operand::Kind::Dot: return dot;
            case Operand::Kind::Literal: return Value::borrow(op.literal);
            case Operand::Kind::Nil: return Value::own(nullptr);
        }
        return {};
    }

    Value variable(const Operand& op) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
            if (it->first == op.name) return it->second;
        }
        at(op.span);
        fail("undefined variable: " + op.name);
    }

    void set_var(std::string_view name, const Value& value) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
            if (it->first == name) {
                it->second = value;
                return;
            }
        }
        fail("undefined variable: " + std::string(name));
    }

    // A header row prints each field's column header, whatever the data.
    std::string header_for(const std::vector<std::string>& fields) const {
        std::string path;
        for (const auto& f : fields) {
            if (!path.empty()) path += '.';
            path += f;
        }
        if (auto it = headers_->find(path); it != headers_->end()) return it->second;
        if (auto it = headers_->find(fields.back()); it != headers_->end()) return it->second;
        return upper_ascii(fields.back());
    }

    Value field_chain(const Value& dot, const Value& receiver, const Operand& op, const Command* cmd, const Value* final) {
        if (headers_) return Value::own(header_for(op.fields));
        at(op.span);
        Value v = receiver;
        for (size_t i = 0; i + 1 < op.fields.size(); ++i) v = field(dot, op.fields[i], nullptr, nullptr, v);
        return field(dot, op.fields.back(), cmd, final, v);
    }

    Value field(const Value& dot, const std::string& name, const Command* cmd, const Value* final, const Value& receiver) {
        if (receiver.missing()) return {};
        if (auto m = tree_.functions.methods.find(name); m != tree_.functions.methods.end() && !receiver.nil()) {
            return call_method(dot, name, m->second, receiver, cmd, final);
        }
        const Json& j = receiver.json();
        if (j.is_object()) {
            if ((cmd && cmd->args.size() > 1) || final) fail(name + " is not a method but has arguments");
            auto it = j.find(name);
            return it == j.end() ? Value() : receiver.child(*it);
        }
        // A null stands for a nil map (Labels: null), whose keys are all missing.
        if (j.is_null()) return {};
        fail("can't evaluate field " + name + " in type " + gofmt::type_name(&j));
    }

    Value call_method(const Value& dot, const std::string& name, const TemplateMethod& method, const Value& receiver,
                      const Command* cmd, const Value* final) {
        Span saved = at_;
        std::vector<Value> values = args(dot, cmd, final);
        at(saved);
        try {
            return Value::own(method(receiver.json(), to_json(values)));
        } catch (const Error& e) {
            fail("error calling " + name + ": " + e.what());
        }
    }

    std::vector<Value> args(const Value& dot, const Command* cmd, const Value* final) {
        std::vector<Value> values;
        if (cmd) {
            std::span<const Operand> rest(cmd->args.data() + 1, cmd->args.size() - 1);
            values.reserve(rest.size() + 1);
            for (const Operand& op : rest) values.push_back(arg(dot, op));
        }
        if (final) values.push_back(*final);
        return values;
    }

    static std::vector<Json> to_json(const std::vector<Value>& values) {
        std::vector<Json> out;
        out.reserve(values.size());
        for (const Value& v : values) out.push_back(v.json());
        return out;
    }

    Value call(const Value& dot, const Operand& op, const Command* cmd, const Value* final) {
        at(op.span);
        if (op.custom) return call_custom(dot, op, cmd, final);
        const Builtin& b = *op.builtin;
        int count = static_cast<int>((cmd ? cmd->args.size() - 1 : 0) + (final ? 1 : 0));
        if (count < b.min_args || (b.max_args >= 0 && count > b.max_args)) {
            std::string want = b.min_args == b.max_args ? std::to_string(b.min_args) : "at least " + std::to_string(b.min_args);
            fail("wrong number of args for " + op.name + ": want " + want + " got " + std::to_string(count));
        }
        if (b.short_circuit) return and_or(dot, op.name == "or", cmd, final);
        std::vector<Value> values = args(dot, cmd, final);
        if (headers_ && b.header != HeaderRole::Evaluate) return header_value(b.header, values);
        at(cmd ? cmd->span : op.span);
        try {
            return b.fn(values);
        } catch (const CallError& e) {
            fail("error calling " + op.name + ": " + e.what());
        } catch (const ArgError& e) {
            fail(e.what());
        }
    }

    static Value header_value(HeaderRole role, const std::vector<Value>& values) {
        const Value& last = values.back();
        if (role == HeaderRole::KeyName && values.size() > 1 && !last.nil() && last.json().is_string()) {
            return Value::own(upper_ascii(last.json().get<std::string>()));
        }
        return values[0];
    }

    // Go 1.18+: and/or stop at the first argument that decides the result.
    Value and_or(const Value& dot, bool is_or, const Command* cmd, const Value* final) {
        Value v;
        if (cmd) {
            for (size_t i = 1; i < cmd->args.size(); ++i) {
                v = arg(dot, cmd->args[i]);
                if (truth(v) == is_or) return v;
            }
        }
        if (final) v = *final;
        return v;
    }

    Value call_custom(const Value& dot, const Operand& op, const Command* cmd, const Value* final) {
        std::vector<Value> values = args(dot, cmd, final);
        if (headers_) return values.empty() ? Value::own("") : values[0];
        at(cmd ? cmd->span : op.span);
        try {
            return Value::own((*op.custom)(to_json(values)));
        } catch (const Error& e) {
            fail("error calling " + op.name + ": " + e.what());
        }
    }

    const Tree& tree_;
    std::string& out_;
    const HeaderMap* headers_;
    std::vector<std::pair<std::string_view, Value>> vars_;
    std::string name_;
    Span at_;
    int depth_ = 0;
};

}  // namespace

void execute(const Tree& tree, const Json& data, std::string& out, const HeaderMap* headers) {
    Executor(tree, out, headers).run(data);
}

}  // namespace skiff::format::tmpl

#include "format/template_builtins.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "format/gofmt.hpp"
#include "format/gojson.hpp"
#include "format/gonum.hpp"
#include "format/utf8.hpp"

namespace skiff::format::tmpl {

namespace {

std::string type_of(const Value& v) { return gofmt::type_name(v.ptr()); }

// Docker's functions take Go strings; like Go, refuse anything else.
const std::string& need_string(const Value& v) {
    if (v.nil()) throw ArgError("invalid value; expected string");
    if (!v.json().is_string()) throw ArgError("wrong type for value; expected string; got " + type_of(v));
    return v.json().get_ref<const std::string&>();
}

int64_t need_int(const Value& v) {
    if (v.nil()) throw ArgError("invalid value; expected int");
    auto n = gonum::as_integer(v.json());
    if (!n) throw ArgError("wrong type for value; expected int; got " + type_of(v));
    return *n;
}

std::vector<const Json*> pointers(const std::vector<Value>& args, size_t from = 0) {
    std::vector<const Json*> out;
    out.reserve(args.size());
    for (size_t i = from; i < args.size(); ++i) out.push_back(args[i].ptr());
    return out;
}

Value own_string(std::string s) { return Value::own(Json(std::move(s))); }

// --- Go's built-ins -------------------------------------------------------

Value fn_not(std::vector<Value>& args) { return Value::own(!truth(args[0])); }

Value fn_len(std::vector<Value>& args) {
    const Value& v = args[0];
    if (v.nil()) return Value::own(0);  // a nil map or slice
    const Json& j = v.json();
    if (j.is_string()) return Value::own(j.get_ref<const std::string&>().size());
    if (j.is_array() || j.is_object()) return Value::own(j.size());
    throw CallError("len of type " + type_of(v));
}

size_t index_arg(const Value& index, size_t size) {
    if (index.nil()) throw CallError("cannot index slice/array with nil");
    auto n = gonum::as_integer(index.json());
    if (!n) throw CallError("cannot index slice/array with type " + type_of(index));
    if (*n < 0 || static_cast<uint64_t>(*n) > size) throw CallError("index out of range: " + std::to_string(*n));
    return static_cast<size_t>(*n);
}

size_t element_index(const Value& index, size_t size) {
    size_t i = index_arg(index, size);
    if (i == size) throw CallError("index out of range: " + std::to_string(i));
    return i;
}

// Go returns the zero value for a key a map lacks. Docker's maps (Labels,
// Options) hold strings, so that zero value is "".
Value fn_index(std::vector<Value>& args) {
    Value item = args[0];
    for (size_t k = 1; k < args.size(); ++k) {
        if (item.nil()) return own_string("");
        const Json& j = item.json();
        const Value& key = args[k];
        if (j.is_array()) {
            item = item.child(j[element_index(key, j.size())]);
        } else if (j.is_string()) {
            const std::string& s = j.get_ref<const std::string&>();
            item = Value::own(static_cast<unsigned char>(s[element_index(key, s.size())]));
        } else if (j.is_object()) {
            if (key.nil() || !key.json().is_string()) throw CallError("value has type " + type_of(key) + "; should be string");
            auto it = j.find(key.json().get_ref<const std::string&>());
            if (it == j.end()) return own_string("");
            item = item.child(*it);
        } else {
            throw CallError("can't index item of type " + type_of(item));
        }
    }
    return item;
}

Value fn_slice(std::vector<Value>& args) {
    const Value& item = args[0];
    if (item.nil()) throw CallError("slice of untyped nil");
    const Json& j = item.json();
    if (!j.is_string() && !j.is_array()) throw CallError("can't slice item of type " + type_of(item));
    if (args.size() > 4) throw CallError("too many slice indexes: " + std::to_string(args.size() - 1));
    if (j.is_string() && args.size() == 4) throw CallError("cannot 3-index slice a string");
    size_t size = j.size();
    if (j.is_string()) size = j.get_ref<const std::string&>().size();
    size_t from = args.size() > 1 ? index_arg(args[1], size) : 0;
    size_t to = args.size() > 2 ? index_arg(args[2], size) : size;
    if (args.size() > 3) {
        // The third index is a capacity: it bounds `to` but selects nothing.
        size_t cap = index_arg(args[3], size);
        if (to > cap) throw CallError("invalid slice index: " + std::to_string(to) + " > " + std::to_string(cap));
    }
    if (from > to) throw CallError("invalid slice index: " + std::to_string(from) + " > " + std::to_string(to));
    if (j.is_string()) return own_string(j.get_ref<const std::string&>().substr(from, to - from));
    Json out = Json::array();
    for (size_t i = from; i < to; ++i) out.push_back(j[i]);
    return Value::own(std::move(out));
}

// --- comparison -------------------------------------------------------------

enum class Kind { Invalid, Bool, Number, String, Other };

Kind kind_of(const Value& v) {
    if (v.nil()) return Kind::Invalid;
    const Json& j = v.json();
    if (j.is_boolean()) return Kind::Bool;
    if (j.is_number()) return Kind::Number;
    if (j.is_string()) return Kind::String;
    return Kind::Other;
}

// Numbers compare by value whatever their JSON representation, where Go
// would insist on matching types: JSON does not keep Go's types.
int compare_numbers(const Json& a, const Json& b) {
    if (a.is_number_integer() && b.is_number_integer() && !a.is_number_unsigned() && !b.is_number_unsigned()) {
        int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = *gonum::as_double(a), y = *gonum::as_double(b);
    return x < y ? -1 : x > y ? 1 : 0;
}

bool equal(const Value& a, const Value& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka != kb) {
        if (ka != Kind::Invalid && kb != Kind::Invalid) throw CallError("incompatible types for comparison");
        return false;
    }
    switch (ka) {
        case Kind::Invalid: return true;
        case Kind::Number: return compare_numbers(a.json(), b.json()) == 0;
        default: return a.json() == b.json();
    }
}

int order(const Value& a, const Value& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka == Kind::Invalid || ka == Kind::Other || kb == Kind::Invalid || kb == Kind::Other) {
        throw CallError("invalid type for comparison");
    }
    if (ka != kb) throw CallError("incompatible types for comparison");
    if (ka == Kind::Bool) throw CallError("invalid type for comparison");
    if (ka == Kind::Number) return compare_numbers(a.json(), b.json());
    int c = a.json().get_ref<const std::string&>().compare(b.json().get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

Value fn_eq(std::vector<Value>& args) {
    if (args.size() < 2) throw CallError("missing argument for comparison");
    for (size_t i = 1; i < args.size(); ++i) {
        if (equal(args[0], args[i])) return Value::own(true);
    }
    return Value::own(false);
}

Value fn_ne(std::vector<Value>& args) { return Value::own(!equal(args[0], args[1])); }
Value fn_lt(std::vector<Value>& args) { return Value::own(order(args[0], args[1]) < 0); }
Value fn_le(std::vector<Value>& args) { return Value::own(order(args[0], args[1]) <= 0); }
Value fn_gt(std::vector<Value>& args) { return Value::own(order(args[0], args[1]) > 0); }
Value fn_ge(std::vector<Value>& args) { return Value::own(order(args[0], args[1]) >= 0); }

// --- printing -----------------------------------------------------------------

Value fn_print(std::vector<Value>& args) { return own_string(gofmt::sprint(pointers(args))); }
Value fn_println(std::vector<Value>& args) { return own_string(gofmt::sprintln(pointers(args))); }

Value fn_printf(std::vector<Value>& args) {
    const std::string& format = need_string(args[0]);
    return own_string(gofmt::sprintf(format, pointers(args, 1)));
}

// html, js and urlquery print their arguments as fmt.Sprint does.
std::string joined_args(const std::vector<Value>& args) {
    if (args.size() == 1 && !args[0].nil() && args[0].json().is_string()) {
        return args[0].json().get<std::string>();
    }
    return gofmt::sprint(pointers(args));
}

Value fn_html(std::vector<Value>& args) {
    std::string out;
    for (char c : joined_args(args)) {
        switch (c) {
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\0': out += "\xEF\xBF\xBD"; break;
            default: out += c;
        }
    }
    return own_string(std::move(out));
}

void append_js_unicode(std::string& out, char32_t r) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(r >> shift) & 0xF];
}

Value fn_js(std::vector<Value>& args) {
    std::string s = joined_args(args);
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t start = i;
        char32_t r = utf8::decode(s, i);
        switch (r) {
            case '\\': out += "\\\\"; break;
            case '\'': out += "\\'"; break;
            case '"': out += "\\\""; break;
            case '<':
            case '>':
            case '&':
            case '=': append_js_unicode(out, r); break;
            default:
                if (r < ' ' || r == 0x7F || r == utf8::kReplacement) {
                    append_js_unicode(out, r);
                } else {
                    out.append(s, start, i - start);
                }
        }
    }
    return own_string(std::move(out));
}

Value fn_urlquery(std::vector<Value>& args) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : joined_args(args)) {
        unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 && u < 0x80) {
            out += c;
        } else if (c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        }
    }
    return own_string(std::move(out));
}

// --- Docker's functions ---------------------------------------------------------

// Docker's json function turns HTML escaping off.
Value fn_json(std::vector<Value>& args) {
    GoJsonStyle style;
    style.escape_html = false;
    return own_string(go_json(args[0].json(), style));
}

Value fn_split(std::vector<Value>& args) {
    const std::string& s = need_string(args[0]);
    const std::string& sep = need_string(args[1]);
    Json out = Json::array();
    if (sep.empty()) {
        // strings.Split with an empty separator splits after each rune.
        for (size_t i = 0; i < s.size();) {
            size_t start = i;
            utf8::decode(s, i);
            out.push_back(s.substr(start, i - start));
        }
        return Value::own(std::move(out));
    }
    size_t from = 0;
    for (size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + sep.size()) {
        out.push_back(s.substr(from, at - from));
    }
    out.push_back(s.substr(from));
    return Value::own(std::move(out));
}

Value fn_join(std::vector<Value>& args) {
    const std::string& sep = need_string(args[1]);
    if (args[0].nil()) return own_string("");
    const Json& list = args[0].json();
    if (!list.is_array()) throw ArgError("wrong type for value; expected []string; got " + type_of(args[0]));
    std::string out;
    bool first = true;
    for (const auto& item : list) {
        if (!first) out += sep;
        first = false;
        gofmt::append_value(out, item);
    }
    return own_string(std::move(out));
}

// strings.Title: upper-case each letter that follows a separator. ASCII
// letters, digits and '_' are not separators; runes beyond ASCII are
// treated as letters.
Value fn_title(std::vector<Value>& args) {
    std::string s = need_string(args[0]);
    bool after_separator = true;
    for (char& c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        bool word_char = u >= 0x80 || std::isalnum(u) != 0 || c == '_';
        if (after_separator && u < 0x80) c = static_cast<char>(std::toupper(u));
        // Continuation bytes must not reset the state of their rune.
        if ((u & 0xC0) != 0x80) after_separator = !word_char;
    }
    return own_string(std::move(s));
}

Value fn_lower(std::vector<Value>& args) {
    std::string s = need_string(args[0]);
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return own_string(std::move(s));
}

Value fn_upper(std::vector<Value>& args) {
    std::string s = need_string(args[0]);
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    return own_string(std::move(s));
}

// Docker's pad: spaces around a non-empty string.
Value fn_pad(std::vector<Value>& args) {
    const std::string& s = need_string(args[0]);
    int64_t before = need_int(args[1]);
    int64_t after = need_int(args[2]);
    if (s.empty()) return own_string("");
    if (before < 0 || after < 0) throw CallError("strings: negative Repeat count");
    std::string out(static_cast<size_t>(before), ' ');
    out += s;
    out.append(static_cast<size_t>(after), ' ');
    return own_string(std::move(out));
}

// Docker's truncate cuts bytes, not runes.
Value fn_truncate(std::vector<Value>& args) {
    const std::string& s = need_string(args[0]);
    int64_t n = need_int(args[1]);
    if (static_cast<int64_t>(s.size()) < n) return own_string(s);
    if (n < 0) throw CallError("runtime error: slice bounds out of range [:" + std::to_string(n) + "]");
    return own_string(s.substr(0, static_cast<size_t>(n)));
}

constexpr Builtin kBuiltins[] = {
    {"and", 1, -1, nullptr, HeaderRole::Evaluate, true},
    {"or", 1, -1, nullptr, HeaderRole::Evaluate, true},
    {"not", 1, 1, fn_not},
    {"len", 1, 1, fn_len},
    {"index", 1, -1, fn_index, HeaderRole::KeyName},
    {"slice", 1, -1, fn_slice},
    {"eq", 1, -1, fn_eq},
    {"ne", 2, 2, fn_ne},
    {"lt", 2, 2, fn_lt},
    {"le", 2, 2, fn_le},
    {"gt", 2, 2, fn_gt},
    {"ge", 2, 2, fn_ge},
    {"print", 0, -1, fn_print},
    {"println", 0, -1, fn_println},
    {"printf", 1, -1, fn_printf},
    {"html", 0, -1, fn_html},
    {"js", 0, -1, fn_js},
    {"urlquery", 0, -1, fn_urlquery},
    {"json", 1, 1, fn_json, HeaderRole::FirstArg},
    {"split", 2, 2, fn_split, HeaderRole::FirstArg},
    {"join", 2, 2, fn_join, HeaderRole::FirstArg},
    {"title", 1, 1, fn_title, HeaderRole::FirstArg},
    {"lower", 1, 1, fn_lower, HeaderRole::FirstArg},
    {"upper", 1, 1, fn_upper, HeaderRole::FirstArg},
    {"pad", 3, 3, fn_pad},
    {"truncate", 2, 2, fn_truncate, HeaderRole::FirstArg},
};

}  // namespace

const Builtin* find_builtin(std::string_view name) {
    for (const auto& b : kBuiltins) {
        if (b.name == name) return &b;
    }
    return nullptr;
}

}  // namespace skiff::format::tmpl

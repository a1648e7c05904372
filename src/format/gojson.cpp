#include "format/gojson.hpp"

#include "format/gonum.hpp"
#include "format/utf8.hpp"

namespace skiff::format {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, unsigned code) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xF];
}

// ASCII bytes that need no escape. HTML mode also escapes <, > and &.
bool ascii_safe(unsigned char c, bool escape_html) {
    if (c < 0x20 || c == '"' || c == '\\') return false;
    if (escape_html && (c == '<' || c == '>' || c == '&')) return false;
    return true;
}

void append_ascii(std::string& out, unsigned char c, bool escape_html) {
    if (ascii_safe(c, escape_html)) {
        out += static_cast<char>(c);
        return;
    }
    switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: append_unicode_escape(out, c);
    }
}

class Writer {
public:
    Writer(std::string& out, const GoJsonStyle& style) : out_(out), style_(style) {}

    void value(const Json& j, int depth) {
        switch (j.type()) {
            case Json::value_t::object: object(j, depth); break;
            case Json::value_t::array: array(j, depth); break;
            case Json::value_t::string: append_go_json_string(out_, j.get_ref<const std::string&>(), style_.escape_html); break;
            case Json::value_t::boolean: out_ += j.get<bool>() ? "true" : "false"; break;
            case Json::value_t::number_integer:
            case Json::value_t::number_unsigned: out_ += gonum::to_string(j); break;
            case Json::value_t::number_float: out_ += gonum::json_float(j.get<double>()); break;
            default: out_ += "null";
        }
    }

private:
    void newline(int depth) {
        if (style_.indent.empty()) return;
        out_ += '\n';
        for (int i = 0; i < depth; ++i) out_ += style_.indent;
    }

    void object(const Json& j, int depth) {
        if (j.empty()) {
            out_ += "{}";
            return;
        }
        out_ += '{';
        bool first = true;
        for (const auto& [key, item] : j.items()) {
            if (!first) out_ += ',';
            first = false;
            newline(depth + 1);
            append_go_json_string(out_, key, style_.escape_html);
            out_ += style_.indent.empty() ? ":" : ": ";
            value(item, depth + 1);
        }
        newline(depth);
        out_ += '}';
    }

    void array(const Json& j, int depth) {
        if (j.empty()) {
            out_ += "[]";
            return;
        }
        out_ += '[';
        bool first = true;
        for (const auto& item : j) {
            if (!first) out_ += ',';
            first = false;
            newline(depth + 1);
            value(item, depth + 1);
        }
        newline(depth);
        out_ += ']';
    }

    std::string& out_;
    const GoJsonStyle& style_;
};

}  // namespace

void append_go_json_string(std::string& out, std::string_view s, bool escape_html) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            append_ascii(out, c, escape_html);
            ++i;
            continue;
        }
        size_t start = i;
        bool valid = true;
        char32_t r = utf8::decode(s, i, &valid);
        if (!valid) {
            out += "\\ufffd";
        } else if (r == 0x2028 || r == 0x2029) {
            // JavaScript treats these as line ends inside string literals.
            append_unicode_escape(out, static_cast<unsigned>(r));
        } else {
            out.append(s, start, i - start);
        }
    }
    out += '"';
}

void append_go_json(std::string& out, const Json& value, const GoJsonStyle& style) {
    Writer(out, style).value(value, 0);
}

std::string go_json(const Json& value, const GoJsonStyle& style) {
    std::string out;
    append_go_json(out, value, style);
    return out;
}

}  // namespace skiff::format

#include "format/gofmt.hpp"

#include <algorithm>

#include "format/gofmt_detail.hpp"
#include "format/gonum.hpp"
#include "format/utf8.hpp"

namespace skiff::format::gofmt {

namespace detail {

std::vector<std::pair<const std::string*, const Json*>> sorted_members(const Json& object) {
    std::vector<std::pair<const std::string*, const Json*>> members;
    members.reserve(object.size());
    for (const auto& [key, value] : object.items()) members.emplace_back(&key, &value);
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    return members;
}

bool printable(char32_t r) {
    if (r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0xA0) || r == 0xAD) return false;
    if (r == 0x1680 || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F)) return false;
    if ((r >= 0x205F && r <= 0x2064) || r == 0x3000 || r == 0xFEFF) return false;
    return true;
}

void append_hex(std::string& out, uint32_t value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kLowerHex[(value >> shift) & 0xF];
}

namespace {

void append_escaped_rune(std::string& out, char32_t r, char quote_char, bool ascii_only) {
    if (r == static_cast<char32_t>(quote_char) || r == '\\') {
        out += '\\';
        out += static_cast<char>(r);
        return;
    }
    if (printable(r) && (!ascii_only || r < 0x80)) {
        utf8::append(out, r);
        return;
    }
    switch (r) {
        case '\a': out += "\\a"; return;
        case '\b': out += "\\b"; return;
        case '\f': out += "\\f"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        case '\v': out += "\\v"; return;
        default: break;
    }
    if (r < 0x20 || r == 0x7F) {
        out += "\\x";
        append_hex(out, r, 2);
    } else if (r < 0x10000) {
        out += "\\u";
        append_hex(out, r, 4);
    } else {
        out += "\\U";
        append_hex(out, r, 8);
    }
}

}  // namespace

std::string quote_rune(char32_t r) {
    std::string out = "'";
    append_escaped_rune(out, r, '\'', false);
    out += '\'';
    return out;
}

bool can_backquote(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        bool valid = true;
        char32_t r = utf8::decode(s, i, &valid);
        if (!valid || r == '`' || r == 0xFEFF) return false;
        if ((r < 0x20 && r != '\t') || r == 0x7F) return false;
    }
    return true;
}

}  // namespace detail

using namespace detail;

void append_value(std::string& out, const Json& value) {
    switch (value.type()) {
        case Json::value_t::null: out += "<nil>"; return;
        case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
        case Json::value_t::string: out += value.get_ref<const std::string&>(); return;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& item : value) {
                if (!first) out += ' ';
                first = false;
                append_value(out, item);
            }
            out += ']';
            return;
        }
        case Json::value_t::object: {
            out += "map[";
            bool first = true;
            for (const auto& [key, item] : sorted_members(value)) {
                if (!first) out += ' ';
                first = false;
                out += *key;
                out += ':';
                append_value(out, *item);
            }
            out += ']';
            return;
        }
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float: out += gonum::to_string(value); return;
        default: out += "<nil>"; return;
    }
}

std::string sprint(const std::vector<const Json*>& args) {
    std::string out;
    bool previous_string = false;
    for (size_t i = 0; i < args.size(); ++i) {
        bool is_string = args[i] && args[i]->is_string();
        // fmt.Sprint puts a space only between two operands that are not strings.
        if (i > 0 && !is_string && !previous_string) out += ' ';
        if (is_nil(args[i])) {
            out += "<nil>";
        } else {
            append_value(out, *args[i]);
        }
        previous_string = is_string;
    }
    return out;
}

std::string sprintln(const std::vector<const Json*>& args) {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
        if (i > 0) out += ' ';
        if (is_nil(args[i])) {
            out += "<nil>";
        } else {
            append_value(out, *args[i]);
        }
    }
    out += '\n';
    return out;
}

std::string type_name(const Json* value) {
    if (is_nil(value)) return "<nil>";
    switch (value->type()) {
        case Json::value_t::boolean: return "bool";
        case Json::value_t::string: return "string";
        case Json::value_t::array: return "[]interface {}";
        case Json::value_t::object: return "map[string]interface {}";
        default: return gonum::as_integer(*value) || value->is_number_unsigned() ? "int" : "float64";
    }
}

std::string quote(std::string_view s, bool ascii_only) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        size_t start = i;
        bool valid = true;
        char32_t r = utf8::decode(s, i, &valid);
        if (!valid) {
            out += "\\x";
            append_hex(out, static_cast<unsigned char>(s[start]), 2);
            continue;
        }
        append_escaped_rune(out, r, '"', ascii_only);
    }
    out += '"';
    return out;
}


}  // namespace skiff::format::gofmt

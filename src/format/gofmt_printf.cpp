// Go's fmt.Sprintf: verbs, flags, width, precision and argument indexes,
// including the "%!verb(type=value)" forms Go prints for mistakes.
#include "format/gofmt.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "format/gofmt_detail.hpp"
#include "format/gonum.hpp"
#include "format/utf8.hpp"

namespace skiff::format::gofmt {

using namespace detail;

namespace {

struct Spec {
    bool minus = false;
    bool plus = false;
    bool space = false;
    bool zero = false;
    bool sharp = false;
    int width = -1;
    int precision = -1;
    char32_t verb = 'v';
};

class Printer {
public:
    explicit Printer(std::string& out) : out_(out) {}

    void arg(const Json* j, const Spec& spec) {
        if (spec.verb == 'T') return pad(type_name(j), spec);
        if (is_nil(j)) {
            if (spec.verb == 'v') return pad("<nil>", spec);
            return bad_verb(j, spec.verb);
        }
        switch (j->type()) {
            case Json::value_t::boolean: return boolean(*j, spec);
            case Json::value_t::string: return string(*j, spec);
            case Json::value_t::array: return array(*j, spec);
            case Json::value_t::object: return object(*j, spec);
            default: return number(*j, spec);
        }
    }

    void bad_verb(const Json* j, char32_t verb) {
        out_ += "%!";
        utf8::append(out_, verb);
        out_ += '(';
        if (is_nil(j)) {
            out_ += "<nil>";
        } else {
            out_ += type_name(j);
            out_ += '=';
            append_value(out_, *j);
        }
        out_ += ')';
    }

private:
    void pad(std::string_view s, const Spec& spec) {
        size_t n = spec.width > 0 ? utf8::rune_count(s) : 0;
        if (spec.width < 0 || n >= static_cast<size_t>(spec.width)) {
            out_ += s;
            return;
        }
        size_t fill = static_cast<size_t>(spec.width) - n;
        if (spec.minus) {
            out_ += s;
            out_.append(fill, ' ');
        } else {
            out_.append(fill, spec.zero ? '0' : ' ');
            out_ += s;
        }
    }

    void boolean(const Json& j, const Spec& spec) {
        if (spec.verb != 't' && spec.verb != 'v') return bad_verb(&j, spec.verb);
        pad(j.get<bool>() ? "true" : "false", spec);
    }

    void string(const Json& j, const Spec& spec) {
        const std::string& s = j.get_ref<const std::string&>();
        switch (spec.verb) {
            case 'v':
            case 's': {
                std::string_view shown = s;
                if (spec.precision >= 0) shown = shown.substr(0, utf8::prefix_bytes(s, static_cast<size_t>(spec.precision)));
                return pad(shown, spec);
            }
            case 'q':
                if (spec.sharp && can_backquote(s)) return pad("`" + s + "`", spec);
                return pad(quote(s, spec.plus), spec);
            case 'x':
            case 'X': return pad(hex_bytes(s, spec), spec);
            default: return bad_verb(&j, spec.verb);
        }
    }

    static std::string hex_bytes(std::string_view s, const Spec& spec) {
        const char* digits = spec.verb == 'X' ? kUpperHex : kLowerHex;
        if (spec.precision >= 0 && static_cast<size_t>(spec.precision) < s.size()) s = s.substr(0, static_cast<size_t>(spec.precision));
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (spec.space && i > 0) out += ' ';
            if (spec.sharp && (spec.space || i == 0)) out += spec.verb == 'X' ? "0X" : "0x";
            unsigned char c = static_cast<unsigned char>(s[i]);
            out += digits[c >> 4];
            out += digits[c & 0xF];
        }
        return out;
    }

    void array(const Json& j, const Spec& spec) {
        out_ += '[';
        bool first = true;
        for (const auto& item : j) {
            if (!first) out_ += ' ';
            first = false;
            arg(&item, spec);
        }
        out_ += ']';
    }

    void object(const Json& j, const Spec& spec) {
        out_ += "map[";
        bool first = true;
        for (const auto& [key, value] : sorted_members(j)) {
            if (!first) out_ += ' ';
            first = false;
            Json key_json = *key;
            arg(&key_json, spec);
            out_ += ':';
            arg(value, spec);
        }
        out_ += ']';
    }

    void number(const Json& j, const Spec& spec) {
        bool integral = j.is_number_integer() || gonum::as_integer(j).has_value();
        switch (spec.verb) {
            case 'e':
            case 'E':
            case 'f':
            case 'F':
            case 'g':
            case 'G': return floating(*gonum::as_double(j), spec);
            case 'v':
                if (!integral) return floating(*gonum::as_double(j), spec);
                [[fallthrough]];
            case 'd':
            case 'b':
            case 'o':
            case 'O':
            case 'x':
            case 'X':
            case 'c':
            case 'q':
            case 'U':
                if (!integral) return bad_verb(&j, spec.verb);
                return integer(j, spec);
            default: return bad_verb(&j, spec.verb);
        }
    }

    void integer(const Json& j, const Spec& spec) {
        bool negative = false;
        uint64_t magnitude = 0;
        if (j.is_number_unsigned()) {
            magnitude = j.get<uint64_t>();
        } else {
            int64_t v = j.is_number_integer() ? j.get<int64_t>() : *gonum::as_integer(j);
            negative = v < 0;
            magnitude = negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        }
        switch (spec.verb) {
            case 'c': {
                std::string s;
                utf8::append(s, static_cast<char32_t>(magnitude));
                return pad(s, spec);
            }
            case 'q': return pad(quote_rune(static_cast<char32_t>(magnitude)), spec);
            case 'U': return unicode_point(magnitude, spec);
            case 'b': return radix(negative, magnitude, 2, spec);
            case 'o':
            case 'O': return radix(negative, magnitude, 8, spec);
            case 'x':
            case 'X': return radix(negative, magnitude, 16, spec);
            default: return radix(negative, magnitude, 10, spec);
        }
    }

    void unicode_point(uint64_t value, const Spec& spec) {
        std::string s = "U+";
        std::string digits;
        for (uint64_t v = value; v > 0; v /= 16) digits.insert(digits.begin(), kUpperHex[v % 16]);
        while (digits.size() < 4) digits.insert(digits.begin(), '0');
        s += digits;
        if (spec.sharp && value <= 0x10FFFF && printable(static_cast<char32_t>(value))) {
            s += " '";
            utf8::append(s, static_cast<char32_t>(value));
            s += '\'';
        }
        Spec plain = spec;
        plain.zero = false;
        pad(s, plain);
    }

    // fmt's fmtInteger: zero padding is done as precision, so the sign and
    // any 0x prefix land before the zeros.
    void radix(bool negative, uint64_t magnitude, unsigned base, const Spec& spec) {
        const char* digit_chars = spec.verb == 'X' ? kUpperHex : kLowerHex;
        std::string digits;
        for (uint64_t v = magnitude; v > 0; v /= base) digits.insert(digits.begin(), digit_chars[v % base]);
        Spec plain = spec;
        plain.zero = false;
        int precision = -1;
        if (spec.precision >= 0) {
            precision = spec.precision;
            if (precision == 0 && magnitude == 0) return pad("", plain);
        } else if (spec.zero && spec.width >= 0) {
            precision = spec.width;
            if (negative || spec.plus || spec.space) --precision;
        }
        if (digits.empty()) digits.push_back('0');
        if (precision > 0 && digits.size() < static_cast<size_t>(precision)) {
            digits.insert(0, static_cast<size_t>(precision) - digits.size(), '0');
        }
        std::string_view prefix = radix_prefix(base, digits, spec);
        std::string_view sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
        std::string text;
        text.reserve(sign.size() + prefix.size() + digits.size());
        text.append(sign).append(prefix).append(digits);
        pad(text, plain);
    }

    static std::string_view radix_prefix(unsigned base, const std::string& digits, const Spec& spec) {
        if (spec.verb == 'O') return "0o";
        if (!spec.sharp) return "";
        switch (base) {
            case 8: return digits[0] == '0' ? "" : "0";
            case 16: return spec.verb == 'X' ? "0X" : "0x";
            case 2: return "0b";
            default: return "";
        }
    }

    void floating(double d, const Spec& spec) {
        std::string num;
        char32_t verb = spec.verb;
        if (verb == 'v') verb = 'g';
        bool shortest = spec.precision < 0 && (verb == 'g' || verb == 'G');
        if (shortest) {
            num = gonum::shortest_g(d);
            if (verb == 'G') std::replace(num.begin(), num.end(), 'e', 'E');
        } else {
            num = gonum::with_precision(d, static_cast<char>(verb), spec.precision < 0 ? 6 : spec.precision);
        }
        char sign = spec.plus ? '+' : spec.space ? ' ' : '\0';
        if (!num.empty() && (num[0] == '-' || num[0] == '+')) {
            sign = num[0];
            num.erase(0, 1);
        }
        // Zeros go between the sign and the digits.
        if (spec.zero && spec.width > 0 && std::isfinite(d)) {
            size_t total = (sign ? 1 : 0) + num.size();
            if (static_cast<size_t>(spec.width) > total) num.insert(0, static_cast<size_t>(spec.width) - total, '0');
        }
        if (sign) num.insert(num.begin(), sign);
        Spec plain = spec;
        plain.zero = false;
        pad(num, plain);
    }

    std::string& out_;
};

// Parses a decimal number at format[i]; -1 when there is none.
int parse_count(std::string_view format, size_t& i) {
    if (i >= format.size() || format[i] < '0' || format[i] > '9') return -1;
    int n = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        n = std::min(n * 10 + (format[i] - '0'), 1000000);
        ++i;
    }
    return n;
}

// The state of one Sprintf: walks the format, consuming arguments.
class Formatter {
public:
    Formatter(std::string& out, const std::vector<const Json*>& args) : out_(out), args_(args), printer_(out) {}

    void run(std::string_view format) {
        size_t i = 0;
        while (i < format.size()) {
            size_t pct = format.find('%', i);
            out_.append(format.substr(i, pct == std::string_view::npos ? std::string_view::npos : pct - i));
            if (pct == std::string_view::npos) break;
            i = directive(format, pct + 1);
        }
        extra();
    }

private:
    size_t directive(std::string_view format, size_t i) {
        Spec spec;
        i = flags(format, i, spec);
        arg_index(format, i);
        if (i < format.size() && format[i] == '*') {
            ++i;
            if (auto width = star_value("%!(BADWIDTH)")) {
                // A negative width from an argument means left-justify.
                spec.width = std::abs(*width);
                if (*width < 0) {
                    spec.minus = true;
                    spec.zero = false;
                }
            }
        } else {
            spec.width = parse_count(format, i);
        }
        if (i < format.size() && format[i] == '.') {
            ++i;
            arg_index(format, i);
            if (i < format.size() && format[i] == '*') {
                ++i;
                if (auto precision = star_value("%!(BADPREC)")) spec.precision = std::max(*precision, -1);
            } else {
                spec.precision = std::max(parse_count(format, i), 0);
            }
        }
        arg_index(format, i);
        if (i >= format.size()) {
            out_ += "%!(NOVERB)";
            return i;
        }
        spec.verb = utf8::decode(format, i);
        if (spec.verb == '%') {
            out_ += '%';
            return i;
        }
        if (next_ >= args_.size()) {
            out_ += "%!";
            utf8::append(out_, spec.verb);
            out_ += "(MISSING)";
            return i;
        }
        printer_.arg(args_[next_++], spec);
        return i;
    }

    static size_t flags(std::string_view format, size_t i, Spec& spec) {
        for (; i < format.size(); ++i) {
            switch (format[i]) {
                case '#': spec.sharp = true; break;
                case '0': spec.zero = !spec.minus; break;
                case '+': spec.plus = true; break;
                case '-':
                    spec.minus = true;
                    spec.zero = false;
                    break;
                case ' ': spec.space = true; break;
                default: return i;
            }
        }
        return i;
    }

    // Explicit argument indexes: %[2]d.
    void arg_index(std::string_view format, size_t& i) {
        if (i >= format.size() || format[i] != '[') return;
        size_t close = format.find(']', i);
        if (close == std::string_view::npos) return;
        size_t j = i + 1;
        int n = parse_count(format, j);
        if (j == close && n >= 1) {
            next_ = static_cast<size_t>(n - 1);
            reordered_ = true;
        }
        i = close + 1;
    }

    std::optional<int> star_value(const char* bad) {
        if (next_ < args_.size()) {
            auto n = args_[next_] ? gonum::as_integer(*args_[next_]) : std::nullopt;
            ++next_;
            if (n) return static_cast<int>(std::clamp<int64_t>(*n, -1000000, 1000000));
        }
        out_ += bad;
        return std::nullopt;
    }

    void extra() {
        if (reordered_ || next_ >= args_.size()) return;
        out_ += "%!(EXTRA ";
        for (size_t k = next_; k < args_.size(); ++k) {
            if (k > next_) out_ += ", ";
            if (is_nil(args_[k])) {
                out_ += "<nil>";
                continue;
            }
            out_ += type_name(args_[k]);
            out_ += '=';
            append_value(out_, *args_[k]);
        }
        out_ += ')';
    }

    std::string& out_;
    const std::vector<const Json*>& args_;
    Printer printer_;
    size_t next_ = 0;
    bool reordered_ = false;
};

}  // namespace

std::string sprintf(std::string_view format, const std::vector<const Json*>& args) {
    std::string out;
    Formatter(out, args).run(format);
    return out;
}

}  // namespace skiff::format::gofmt

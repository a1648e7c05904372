#include "format/gonum.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace skiff::format::gonum {

namespace {

// The shortest decimal digits that round-trip, with the decimal point
// position: value = 0.d1d2d3... * 10^point.
struct Digits {
    std::string digits;
    int point = 0;
    bool negative = false;
};

Digits shortest_digits(double d) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
    Digits out;
    if (!s.empty() && s[0] == '-') {
        out.negative = true;
        s.remove_prefix(1);
    }
    size_t e = s.find('e');
    for (char c : s.substr(0, e)) {
        if (c != '.') out.digits += c;
    }
    int exp = 0;
    std::string_view exp_text = s.substr(e + 1);
    if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
    out.point = exp + 1;
    return out;
}

std::string format_e(const Digits& d) {
    std::string out = d.negative ? "-" : "";
    out += d.digits[0];
    if (d.digits.size() > 1) {
        out += '.';
        out.append(d.digits, 1);
    }
    int exp = d.digits == "0" ? 0 : d.point - 1;
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
}

std::string format_f(const Digits& d) {
    std::string out = d.negative ? "-" : "";
    int nd = static_cast<int>(d.digits.size());
    if (d.point <= 0) {
        out += "0.";
        out.append(static_cast<size_t>(-d.point), '0');
        out += d.digits;
    } else if (d.point >= nd) {
        out += d.digits;
        out.append(static_cast<size_t>(d.point - nd), '0');
    } else {
        out.append(d.digits, 0, static_cast<size_t>(d.point));
        out += '.';
        out.append(d.digits, static_cast<size_t>(d.point));
    }
    return out;
}

std::string non_finite(double d) {
    if (std::isnan(d)) return "NaN";
    return d > 0 ? "+Inf" : "-Inf";
}

}  // namespace

std::string shortest_g(double d) {
    if (!std::isfinite(d)) return non_finite(d);
    Digits digits = shortest_digits(d);
    if (d == 0) return digits.negative ? "-0" : "0";
    int exp = digits.point - 1;
    // strconv uses precision 6 to choose the form when printing shortest.
    if (exp < -4 || exp >= 6) return format_e(digits);
    return format_f(digits);
}

std::string json_float(double d) {
    if (!std::isfinite(d)) return "null";
    if (d == 0) return std::signbit(d) ? "-0" : "0";
    Digits digits = shortest_digits(d);
    double a = std::fabs(d);
    if (a >= 1e-6 && a < 1e21) return format_f(digits);
    std::string out = format_e(digits);
    // encoding/json writes e-7, not e-07.
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
    return out;
}

std::string with_precision(double d, char verb, int precision) {
    if (!std::isfinite(d)) return non_finite(d);
    char spec[8] = {'%', '.', '*', verb, 0};
    if (verb == 'F') spec[3] = 'f';
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, spec, precision, d);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), spec, precision, d);
    big.resize(static_cast<size_t>(n));
    return big;
}

std::optional<int64_t> as_integer(const Json& j) {
    if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
        return j.get<int64_t>();
    }
    if (j.is_number_float()) {
        double d = j.get<double>();
        // 2^63 is the first double past int64's range.
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2233720368547758e18) {
            return static_cast<int64_t>(d);
        }
    }
    return std::nullopt;
}

std::optional<double> as_double(const Json& j) {
    if (j.is_number_unsigned()) return static_cast<double>(j.get<uint64_t>());
    if (j.is_number_integer()) return static_cast<double>(j.get<int64_t>());
    if (j.is_number_float()) return j.get<double>();
    return std::nullopt;
}

std::string to_string(const Json& number) {
    if (number.is_number_unsigned()) return std::to_string(number.get<uint64_t>());
    if (number.is_number_integer()) return std::to_string(number.get<int64_t>());
    double d = number.get<double>();
    if (auto i = as_integer(number)) return std::to_string(*i);
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e21) return with_precision(d, 'f', 0);
    return shortest_g(d);
}

}  // namespace skiff::format::gonum

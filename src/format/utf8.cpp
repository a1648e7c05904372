#include "format/utf8.hpp"

namespace skiff::format::utf8 {

namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Smallest rune that needs a sequence of `len` bytes: anything lower is an
// overlong encoding, which Go rejects.
char32_t min_for_length(size_t len) {
    switch (len) {
        case 2: return 0x80;
        case 3: return 0x800;
        default: return 0x10000;
    }
}

}  // namespace

char32_t decode(std::string_view s, size_t& i, bool* valid) {
    auto fail = [&]() {
        ++i;
        if (valid) *valid = false;
        return kReplacement;
    };
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (valid) *valid = true;
    if (c < 0x80) {
        ++i;
        return c;
    }
    size_t len = 0;
    char32_t r = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        r = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        r = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        r = c & 0x07;
    } else {
        return fail();
    }
    if (i + len > s.size()) return fail();
    for (size_t k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if (!continuation(cc)) return fail();
        r = (r << 6) | (cc & 0x3F);
    }
    if (r < min_for_length(len) || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return fail();
    i += len;
    return r;
}

void append(std::string& out, char32_t r) {
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kReplacement;
    if (r < 0x80) {
        out += static_cast<char>(r);
    } else if (r < 0x800) {
        out += static_cast<char>(0xC0 | (r >> 6));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        out += static_cast<char>(0xE0 | (r >> 12));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (r >> 18));
        out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    }
}

size_t rune_count(std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size();) {
        // ASCII fast path: table cells are nearly always plain ASCII.
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
        } else {
            decode(s, i);
        }
        ++n;
    }
    return n;
}

size_t prefix_bytes(std::string_view s, size_t n) {
    size_t i = 0;
    for (size_t k = 0; k < n && i < s.size(); ++k) decode(s, i);
    return i;
}

}  // namespace skiff::format::utf8

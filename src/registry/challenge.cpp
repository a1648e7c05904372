#include "registry/challenge.hpp"

#include <cctype>

#include "util/strings.hpp"

namespace skiff::registry {

namespace {

bool token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

class Lexer {
public:
    explicit Lexer(const std::string& s) : s_(s) {}
    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
    }
    bool done() {
        skip_space();
        return pos_ >= s_.size();
    }
    bool peek(char c) {
        skip_space();
        return pos_ < s_.size() && s_[pos_] == c;
    }
    void take() { ++pos_; }
    std::string token() {
        skip_space();
        size_t start = pos_;
        while (pos_ < s_.size() && token_char(s_[pos_])) ++pos_;
        return s_.substr(start, pos_ - start);
    }
    std::string quoted() {
        // At the opening quote.
        ++pos_;
        std::string out;
        while (pos_ < s_.size() && s_[pos_] != '"') {
            if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
            out += s_[pos_++];
        }
        if (pos_ < s_.size()) ++pos_;
        return out;
    }
    size_t pos() const { return pos_; }
    void reset(size_t p) { pos_ = p; }

private:
    const std::string& s_;
    size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> parse_challenges(const std::string& header) {
    std::vector<Challenge> out;
    Lexer lx(header);
    while (!lx.done()) {
        if (lx.peek(',')) {
            lx.take();
            continue;
        }
        std::string scheme = lx.token();
        if (scheme.empty()) break;  // garbage: keep what we have
        Challenge ch;
        ch.scheme = str::lower(scheme);
        // Parameters until the next scheme (a token not followed by '=').
        for (;;) {
            size_t save = lx.pos();
            if (lx.peek(',')) lx.take();
            std::string name = lx.token();
            if (name.empty() || !lx.peek('=')) {
                lx.reset(save);
                break;
            }
            lx.take();
            std::string value = lx.peek('"') ? lx.quoted() : lx.token();
            ch.params[str::lower(name)] = value;
        }
        out.push_back(std::move(ch));
        if (!lx.done() && !lx.peek(',')) {
            // A token68 ("abc==") or junk: skip to the next comma.
            size_t before = lx.pos();
            lx.token();
            while (lx.peek('=')) lx.take();
            if (lx.pos() == before) break;
        }
    }
    return out;
}

}  // namespace skiff::registry

#include "format/template_lexer.hpp"

#include <cstdio>
#include <utility>

#include "format/utf8.hpp"

namespace skiff::format::tmpl {

namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr size_t kTrimMarkerLen = 2;  // "- " or " -"

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_alnum_byte(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    // Bytes of multi-byte runes count as letters: Go accepts Unicode
    // letters in identifiers and we need not be stricter.
    return u >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool has_left_trim(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(s[1]); }
bool has_right_trim(std::string_view s) { return s.size() >= 2 && is_space(s[0]) && s[1] == '-'; }

size_t leading_space(std::string_view s) {
    size_t n = 0;
    while (n < s.size() && is_space(s[n])) ++n;
    return n;
}

std::string_view trim_right_space(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string describe_rune(std::string_view s, size_t pos) {
    size_t i = pos;
    char32_t r = utf8::decode(s, i);
    char buf[32];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
    std::string out = buf;
    if (r >= 0x20 && r != 0x7F) {
        out += " '";
        utf8::append(out, r);
        out += '\'';
    }
    return out;
}

class Lexer {
public:
    explicit Lexer(std::string_view in) : in_(in) {}

    std::vector<Token> run() {
        while (text()) {
        }
        return std::move(out_);
    }

private:
    std::string_view rest() const { return in_.substr(pos_); }
    bool starts(std::string_view s) const { return rest().substr(0, s.size()) == s; }
    char peek(size_t ahead = 0) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }
    bool at_end() const { return pos_ >= in_.size(); }

    int line_at(size_t pos) {
        for (; line_pos_ < pos && line_pos_ < in_.size(); ++line_pos_) {
            if (in_[line_pos_] == '\n') ++line_;
        }
        return line_;
    }

    void emit(Tok type, size_t start, size_t end) {
        Token t;
        t.type = type;
        t.text = in_.substr(start, end - start);
        t.pos = start;
        t.line = line_at(start);
        out_.push_back(std::move(t));
    }

    void emit(Tok type, size_t start) { emit(type, start, pos_); }

    bool fail(std::string message, size_t at) {
        Token t;
        t.type = Tok::Error;
        t.pos = at;
        t.line = line_at(at);
        t.message = std::move(message);
        out_.push_back(std::move(t));
        return false;
    }

    // Right delimiter here, and whether it carries a trim marker.
    std::pair<bool, bool> at_right_delim() const {
        std::string_view r = rest();
        if (has_right_trim(r) && r.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) return {true, true};
        return {r.substr(0, 2) == kRightDelim, false};
    }

    // Text up to the next action; false once lexing is over.
    bool text() {
        size_t delim = in_.find(kLeftDelim, pos_);
        if (delim == std::string_view::npos) {
            if (!at_end()) emit(Tok::Text, pos_, in_.size());
            pos_ = in_.size();
            emit(Tok::Eof, pos_);
            return false;
        }
        size_t after = delim + kLeftDelim.size();
        bool trim = has_left_trim(in_.substr(after));
        std::string_view body = in_.substr(pos_, delim - pos_);
        if (trim) body = trim_right_space(body);
        if (!body.empty()) emit(Tok::Text, pos_, pos_ + body.size());
        pos_ = after + (trim ? kTrimMarkerLen : 0);
        if (starts("/*")) return comment();
        emit(Tok::LeftDelim, delim, after);
        paren_depth_ = 0;
        return inside_action();
    }

    bool comment() {
        size_t start = pos_;
        size_t close = in_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) return fail("unclosed comment", start);
        pos_ = close + 2;
        auto [delim, trim] = at_right_delim();
        if (!delim) return fail("comment ends before closing delimiter", start);
        pos_ += (trim ? kTrimMarkerLen : 0) + kRightDelim.size();
        if (trim) pos_ += leading_space(rest());
        return true;
    }

    bool inside_action() {
        for (;;) {
            auto [delim, trim] = at_right_delim();
            if (delim) {
                if (paren_depth_ != 0) return fail("unclosed left paren", pos_);
                return right_delim(trim);
            }
            if (at_end()) return fail("unclosed action", pos_);
            if (!action_token()) return false;
        }
    }

    bool right_delim(bool trim) {
        if (trim) pos_ += kTrimMarkerLen;
        size_t start = pos_;
        pos_ += kRightDelim.size();
        emit(Tok::RightDelim, start);
        if (trim) pos_ += leading_space(rest());
        return true;
    }

    bool action_token() {
        size_t start = pos_;
        char c = peek();
        if (is_space(c)) return space();
        switch (c) {
            case '=': ++pos_; emit(Tok::Assign, start); return true;
            case ':':
                if (peek(1) != '=') return fail("expected :=", start);
                pos_ += 2;
                emit(Tok::Declare, start);
                return true;
            case '|': ++pos_; emit(Tok::Pipe, start); return true;
            case '"': return quoted('"', Tok::String, "unterminated quoted string");
            case '\'': return quoted('\'', Tok::CharConst, "unterminated character constant");
            case '`': return raw_string();
            case '$': return field_or_variable(Tok::Variable);
            case '(':
                ++pos_;
                ++paren_depth_;
                emit(Tok::LeftParen, start);
                return true;
            case ')':
                ++pos_;
                if (--paren_depth_ < 0) return fail("unexpected right paren", start);
                emit(Tok::RightParen, start);
                return true;
            default: break;
        }
        if (c == '.') {
            // ".5" is a number; anything else after the dot is a field.
            if (peek(1) < '0' || peek(1) > '9') return field_or_variable(Tok::Field);
            return number();
        }
        if (c == '+' || c == '-' || (c >= '0' && c <= '9')) return number();
        if (is_alnum_byte(c)) return identifier();
        if (c > 0x20 && c < 0x7F) {
            ++pos_;
            emit(Tok::Char, start);
            return true;
        }
        return fail("unrecognized character in action: " + describe_rune(in_, pos_), start);
    }

    bool space() {
        size_t start = pos_;
        size_t n = 0;
        while (!at_end() && is_space(peek())) {
            ++pos_;
            ++n;
        }
        // The last space may belong to a " -}}" trim marker.
        std::string_view tail = in_.substr(pos_ - 1);
        if (has_right_trim(tail) && tail.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) {
            --pos_;
            if (n == 1) return true;
        }
        emit(Tok::Space, start);
        return true;
    }

    bool at_terminator() const {
        if (at_end()) return true;
        char c = peek();
        if (is_space(c)) return true;
        switch (c) {
            case '.':
            case ',':
            case '|':
            case ':':
            case ')':
            case '(': return true;
            default: return starts(kRightDelim);
        }
    }

    void absorb_alnum() {
        while (!at_end() && is_alnum_byte(peek())) ++pos_;
    }

    bool field_or_variable(Tok type) {
        size_t start = pos_++;
        if (at_terminator()) {
            emit(type == Tok::Field ? Tok::Dot : Tok::Variable, start);
            return true;
        }
        absorb_alnum();
        if (!at_terminator()) return fail("bad character " + describe_rune(in_, pos_), pos_);
        emit(type, start);
        return true;
    }

    bool identifier() {
        size_t start = pos_;
        absorb_alnum();
        if (!at_terminator()) return fail("bad character " + describe_rune(in_, pos_), pos_);
        emit(keyword(in_.substr(start, pos_ - start)), start);
        return true;
    }

    static Tok keyword(std::string_view word) {
        static constexpr std::pair<std::string_view, Tok> kWords[] = {
            {"block", Tok::Block}, {"break", Tok::Break}, {"continue", Tok::Continue}, {"define", Tok::Define},
            {"else", Tok::Else},   {"end", Tok::End},     {"if", Tok::If},             {"range", Tok::Range},
            {"nil", Tok::Nil},     {"template", Tok::Template}, {"with", Tok::With},   {"true", Tok::Bool},
            {"false", Tok::Bool},
        };
        for (const auto& [w, t] : kWords) {
            if (w == word) return t;
        }
        return Tok::Identifier;
    }

    void accept_run(std::string_view set) {
        while (!at_end() && set.find(peek()) != std::string_view::npos) ++pos_;
    }

    bool accept(std::string_view set) {
        if (at_end() || set.find(peek()) == std::string_view::npos) return false;
        ++pos_;
        return true;
    }

    // The syntax check is loose, as Go's: the parser validates the value.
    bool number() {
        size_t start = pos_;
        accept("+-");
        std::string_view digits = "0123456789_";
        if (accept("0")) {
            if (accept("xX")) {
                digits = "0123456789abcdefABCDEF_";
            } else if (accept("oO")) {
                digits = "01234567_";
            } else if (accept("bB")) {
                digits = "01_";
            }
        }
        accept_run(digits);
        if (accept(".")) accept_run(digits);
        if (digits.size() == 11 && accept("eE")) {
            accept("+-");
            accept_run("0123456789_");
        }
        accept("i");
        if (!at_end() && is_alnum_byte(peek())) {
            ++pos_;
            return fail("bad number syntax: \"" + std::string(in_.substr(start, pos_ - start)) + "\"", start);
        }
        emit(Tok::Number, start);
        return true;
    }

    bool quoted(char quote, Tok type, const char* unterminated) {
        size_t start = pos_++;
        for (;;) {
            if (at_end() || peek() == '\n') return fail(unterminated, start);
            char c = in_[pos_++];
            if (c == '\\') {
                if (at_end() || peek() == '\n') return fail(unterminated, start);
                ++pos_;
            } else if (c == quote) {
                break;
            }
        }
        emit(type, start);
        return true;
    }

    bool raw_string() {
        size_t start = pos_;
        size_t close = in_.find('`', pos_ + 1);
        if (close == std::string_view::npos) return fail("unterminated raw quoted string", start);
        pos_ = close + 1;
        emit(Tok::RawString, start);
        return true;
    }

    std::string_view in_;
    size_t pos_ = 0;
    int paren_depth_ = 0;
    size_t line_pos_ = 0;
    int line_ = 1;
    std::vector<Token> out_;
};

}  // namespace

bool is_keyword(Tok t) { return t >= Tok::Block; }

std::vector<Token> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace skiff::format::tmpl

// Tokens of Go's text/template language. The token set and the rules for
// trim markers, comments and terminators follow Go, so templates that Docker
// accepts lex the same way here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::format::tmpl {

enum class Tok {
    Error,
    Eof,
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Bool,
    CharConst,
    Number,
    String,
    RawString,
    Field,
    Variable,
    Identifier,
    Dot,
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Char,
    // Keywords.
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
};

struct Token {
    Tok type = Tok::Eof;
    std::string_view text;  // a view of the source; the message for Error
    size_t pos = 0;         // byte offset in the source
    int line = 1;
    std::string message;  // Error only
};

bool is_keyword(Tok t);

// Lexes the whole template. The last token is Eof or Error.
std::vector<Token> lex(std::string_view source);

}  // namespace skiff::format::tmpl

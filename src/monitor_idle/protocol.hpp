// What the big monitor (skiff) and the idle monitor (skiff-monitor) hand
// each other across execve(). The same process runs both, one after the
// other: descriptors stay open (their numbers travel in argv), the rest of
// the state is a few KEY=VALUE words. The idle monitor never parses JSON:
// the monitor's configuration stays in the handoff file, which only skiff
// reads (`skiff __monitor-resume FILE WORDS...`).
//
// skiff-monitor words: state=FILE skiff=PATH pid=N out=FD err=FD console=FD
//   in=FD listener=FD log=DRIVER log_path=PATH log_max=N keys=HEX stopped=0|1
//   [journal_id=ID journal_name=NAME journal_tag=TAG] client=SPEC...
// __monitor-resume words (after FILE): exit=N stopped=0|1 listener=FD
//   client=SPEC...
// SPEC: CTL,IN,OUT,ERR,DETACHED,HEXKEYS (-1 for a descriptor it lacks).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::idle {

inline constexpr const char* kIdleMonitorName = "skiff-monitor";
inline constexpr const char* kResumeCommand = "__monitor-resume";

struct ClientSpec {
    int ctl = -1, in = -1, out = -1, err = -1;
    bool detached = false;
    std::string detach_seq;  // raw bytes (may hold NUL: ctrl-@)
};

inline std::string to_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

inline std::string from_hex(std::string_view hex) {
    auto val = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(val(hex[i]) * 16 + val(hex[i + 1]));
    return out;
}

inline std::string encode_client(const ClientSpec& c) {
    return std::to_string(c.ctl) + "," + std::to_string(c.in) + "," + std::to_string(c.out) + "," +
           std::to_string(c.err) + "," + (c.detached ? "1" : "0") + "," + to_hex(c.detach_seq);
}

// False when the text is not a SPEC.
inline bool decode_client(std::string_view text, ClientSpec& c) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        parts.emplace_back(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (parts.size() != 6) return false;
    c.ctl = std::atoi(parts[0].c_str());
    c.in = std::atoi(parts[1].c_str());
    c.out = std::atoi(parts[2].c_str());
    c.err = std::atoi(parts[3].c_str());
    c.detached = parts[4] == "1";
    c.detach_seq = from_hex(parts[5]);
    return c.ctl >= 0;
}

// "key=value" → value when the word has this key.
inline bool word_value(std::string_view word, std::string_view key, std::string& value) {
    if (word.size() <= key.size() || word.substr(0, key.size()) != key || word[key.size()] != '=') return false;
    value = std::string(word.substr(key.size() + 1));
    return true;
}

}  // namespace skiff::idle

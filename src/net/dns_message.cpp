#include "net/dns_message.hpp"

#include <algorithm>

namespace skiff::net {

namespace {

constexpr size_t kMaxNameWire = 255;
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxEdnsSize = 4096;
// Name of the first question: where every answer's name points to.
constexpr uint8_t kPointerToQuestion[2] = {0xC0, 0x0C};

uint16_t get16(std::span<const uint8_t> p, size_t at) {
    return static_cast<uint16_t>((p[at] << 8) | p[at + 1]);
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v));
}

char ascii_lower(uint8_t c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// Skips one resource record; returns its type and class, or nullopt if broken.
std::optional<std::pair<uint16_t, uint16_t>> skip_record(std::span<const uint8_t> p, size_t& offset) {
    auto owner = parse_dns_question(p, offset, false);
    if (!owner || offset + 10 > p.size()) return std::nullopt;
    uint16_t type = get16(p, offset);
    uint16_t klass = get16(p, offset + 2);
    size_t rdlen = get16(p, offset + 8);
    offset += 10;
    if (offset + rdlen > p.size()) return std::nullopt;
    offset += rdlen;
    return std::pair{type, klass};
}

// The UDP size of an OPT record in the additional section. A broken record
// section only costs the client its EDNS size: the question was fine.
std::optional<uint16_t> find_edns_size(std::span<const uint8_t> p, size_t offset) {
    size_t before_additional = size_t{get16(p, 6)} + get16(p, 8);
    size_t additional = get16(p, 10);
    for (size_t i = 0; i < before_additional + additional; i++) {
        size_t start = offset;
        auto rr = skip_record(p, offset);
        if (!rr) return std::nullopt;
        // An OPT record is only valid at the root and in the additional section.
        if (i >= before_additional && rr->first == kDnsTypeOpt && p[start] == 0) return rr->second;
    }
    return std::nullopt;
}

bool append_label(DnsQuestion& q, std::span<const uint8_t> label) {
    for (uint8_t c : label)
        if (c == '.' || c == 0) return false;
    if (!q.wire_name.empty()) q.name += '.';
    q.wire_name.push_back(static_cast<uint8_t>(label.size()));
    for (uint8_t c : label) {
        q.wire_name.push_back(c);
        q.name += ascii_lower(c);
    }
    return true;
}

}  // namespace

std::optional<DnsQuestion> parse_dns_question(std::span<const uint8_t> p, size_t& offset, bool with_type) {
    DnsQuestion q;
    size_t pos = offset;
    // Compression pointers must land before the start of the segment they are
    // in; the segment start then only decreases, so a loop cannot exist.
    size_t segment_start = offset;
    std::optional<size_t> resume;
    for (;;) {
        if (pos >= p.size()) return std::nullopt;
        uint8_t len = p[pos];
        if ((len & 0xC0) == 0xC0) {
            if (pos + 1 >= p.size()) return std::nullopt;
            size_t target = (size_t{len & 0x3Fu} << 8) | p[pos + 1];
            if (target >= segment_start) return std::nullopt;
            if (!resume) resume = pos + 2;
            pos = segment_start = target;
            continue;
        }
        if (len & 0xC0) return std::nullopt;  // 0x40/0x80: extended and reserved label types
        if (len == 0) break;
        if (pos + 1 + len > p.size()) return std::nullopt;
        if (q.wire_name.size() + 1 + len + 1 > kMaxNameWire) return std::nullopt;
        if (!append_label(q, p.subspan(pos + 1, len))) return std::nullopt;
        pos += 1 + len;
    }
    q.wire_name.push_back(0);
    size_t end = resume.value_or(pos + 1);
    if (with_type) {
        if (end + 4 > p.size()) return std::nullopt;
        q.type = get16(p, end);
        q.klass = get16(p, end + 2);
        end += 4;
    }
    offset = end;
    return q;
}

DnsParseResult parse_dns_query(std::span<const uint8_t> packet) {
    DnsParseResult r;
    if (packet.size() < kDnsHeaderSize) return r;
    r.query.id = get16(packet, 0);
    r.query.flags = get16(packet, 2);
    // Answering a response could make two responders bounce packets forever.
    if (r.query.flags & kDnsFlagQr) return r;
    if (r.query.opcode() != 0) {
        r.status = DnsParseStatus::NotImp;
        return r;
    }
    if (get16(packet, 4) != 1) {
        r.status = DnsParseStatus::FormErr;
        return r;
    }
    size_t offset = kDnsHeaderSize;
    auto q = parse_dns_question(packet, offset);
    if (!q) return r;
    r.query.question = std::move(*q);
    r.query.edns_size = find_edns_size(packet, offset);
    r.status = DnsParseStatus::Ok;
    return r;
}

namespace {

uint16_t response_flags(uint16_t query_flags, DnsRcode rcode, bool aa) {
    // Opcode, RD and CD come from the query; we always offer recursion.
    uint16_t f = kDnsFlagQr | kDnsFlagRa | (query_flags & (0x7800 | kDnsFlagRd | 0x0010));
    if (aa) f |= kDnsFlagAa;
    return static_cast<uint16_t>(f | static_cast<uint8_t>(rcode));
}

void put_header(std::vector<uint8_t>& out, uint16_t id, uint16_t flags, uint16_t qd) {
    put16(out, id);
    put16(out, flags);
    put16(out, qd);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
}

void put_record_head(std::vector<uint8_t>& out, uint16_t type, uint32_t ttl, uint16_t rdlen) {
    out.insert(out.end(), std::begin(kPointerToQuestion), std::end(kPointerToQuestion));
    put16(out, type);
    put16(out, kDnsClassIn);
    put32(out, ttl);
    put16(out, rdlen);
}

}  // namespace

std::vector<uint8_t> build_dns_header_response(uint16_t id, uint16_t query_flags, DnsRcode rcode) {
    std::vector<uint8_t> out;
    put_header(out, id, response_flags(query_flags, rcode, false), 0);
    return out;
}

std::vector<uint8_t> build_dns_response(const DnsQuery& q, const DnsAnswer& answer, size_t max_size) {
    std::vector<uint8_t> out;
    out.reserve(max_size);
    put_header(out, q.id, response_flags(q.flags, answer.rcode, answer.authoritative), 1);
    out.insert(out.end(), q.question.wire_name.begin(), q.question.wire_name.end());
    put16(out, q.question.type);
    put16(out, q.question.klass);

    uint16_t count = 0;
    bool truncated = false;
    constexpr size_t kARecord = 2 + 10 + 4;
    for (uint32_t ip : answer.a) {
        if (out.size() + kARecord > max_size) {
            truncated = true;
            break;
        }
        put_record_head(out, kDnsTypeA, answer.ttl, 4);
        put32(out, ip);
        count++;
    }
    constexpr size_t kAaaaRecord = 2 + 10 + 16;
    for (auto& ip : answer.aaaa) {
        if (truncated || out.size() + kAaaaRecord > max_size) {
            truncated = true;
            break;
        }
        put_record_head(out, kDnsTypeAaaa, answer.ttl, 16);
        out.insert(out.end(), ip.begin(), ip.end());
        count++;
    }
    if (answer.ptr) {
        auto target = encode_dns_name(*answer.ptr);
        if (target && out.size() + 12 + target->size() > max_size) {
            truncated = true;
        } else if (target) {
            put_record_head(out, kDnsTypePtr, answer.ttl, static_cast<uint16_t>(target->size()));
            out.insert(out.end(), target->begin(), target->end());
            count++;
        }
    }
    out[6] = static_cast<uint8_t>(count >> 8);
    out[7] = static_cast<uint8_t>(count);
    if (truncated) out[2] |= kDnsFlagTc >> 8;
    return out;
}

size_t dns_udp_limit(const DnsQuery& q) {
    if (!q.edns_size) return kDnsClassicUdpSize;
    return std::clamp<size_t>(*q.edns_size, kDnsClassicUdpSize, kMaxEdnsSize);
}

std::string normalize_dns_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string out;
    out.reserve(name.size());
    for (char c : name) out += ascii_lower(static_cast<uint8_t>(c));
    return out;
}

std::optional<uint32_t> parse_in_addr_arpa(std::string_view name) {
    std::string n = normalize_dns_name(name);
    constexpr std::string_view kSuffix = ".in-addr.arpa";
    if (n.size() <= kSuffix.size() || !n.ends_with(kSuffix)) return std::nullopt;
    std::string_view octets(n.data(), n.size() - kSuffix.size());
    uint32_t ip = 0;
    int count = 0;
    while (true) {
        size_t dot = octets.find('.');
        std::string_view label = octets.substr(0, dot);
        if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
        uint32_t v = 0;
        for (char c : label) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<uint32_t>(c - '0');
        }
        if (v > 255 || count == 4) return std::nullopt;
        // The first label is the address's last octet.
        ip |= v << (8 * count++);
        if (dot == std::string_view::npos) break;
        octets.remove_prefix(dot + 1);
    }
    if (count != 4) return std::nullopt;
    return ip;
}

std::optional<std::array<uint8_t, 16>> parse_ip6_arpa(std::string_view name) {
    std::string n = normalize_dns_name(name);
    constexpr std::string_view kSuffix = ".ip6.arpa";
    // 32 one-digit labels and their dots before the suffix.
    if (n.size() != 63 + kSuffix.size() || !n.ends_with(kSuffix)) return std::nullopt;
    std::array<uint8_t, 16> out{};
    for (size_t i = 0; i < 32; ++i) {
        char c = n[2 * i];
        if (i < 31 && n[2 * i + 1] != '.') return std::nullopt;
        uint8_t v;
        if (c >= '0' && c <= '9') v = static_cast<uint8_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v = static_cast<uint8_t>(c - 'a' + 10);
        else return std::nullopt;
        // The first label is the address's last nibble.
        size_t nibble = 31 - i;
        out[nibble / 2] |= static_cast<uint8_t>(nibble % 2 ? v : v << 4);
    }
    return out;
}

std::optional<std::vector<uint8_t>> encode_dns_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::vector<uint8_t> out;
    while (!name.empty()) {
        size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > kMaxLabel) return std::nullopt;
        out.push_back(static_cast<uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        if (dot == std::string_view::npos) break;
        name.remove_prefix(dot + 1);
        if (name.empty()) return std::nullopt;  // "a..": an empty label
    }
    out.push_back(0);
    if (out.size() > kMaxNameWire) return std::nullopt;
    return out;
}

}  // namespace skiff::net

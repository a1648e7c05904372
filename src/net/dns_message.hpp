// DNS wire format (RFC 1035), only as much as the network DNS responder needs:
// read one query, write the few kinds of answers it gives. No I/O here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::net {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypePtr = 12;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsTypeOpt = 41;
inline constexpr uint16_t kDnsTypeAny = 255;
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint16_t kDnsClassAny = 255;
inline constexpr size_t kDnsHeaderSize = 12;
// What a client that sent no EDNS OPT record can receive over UDP.
inline constexpr size_t kDnsClassicUdpSize = 512;

// Header flag bits (second 16-bit word of the header).
inline constexpr uint16_t kDnsFlagQr = 0x8000;
inline constexpr uint16_t kDnsFlagAa = 0x0400;
inline constexpr uint16_t kDnsFlagTc = 0x0200;
inline constexpr uint16_t kDnsFlagRd = 0x0100;
inline constexpr uint16_t kDnsFlagRa = 0x0080;

enum class DnsRcode : uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

struct DnsQuestion {
    std::string name;                // lower case, dotted, no trailing dot; "" is the root
    std::vector<uint8_t> wire_name;  // uncompressed and in the sender's case, to echo it back
    uint16_t type = 0;
    uint16_t klass = 0;
};

struct DnsQuery {
    uint16_t id = 0;
    uint16_t flags = 0;  // the query's header flags word
    DnsQuestion question;
    std::optional<uint16_t> edns_size;  // UDP payload size of the client's OPT record, if any
    uint8_t opcode() const { return static_cast<uint8_t>((flags >> 11) & 0xF); }
    bool rd() const { return (flags & kDnsFlagRd) != 0; }
};

enum class DnsParseStatus {
    Ok,       // query holds everything
    Drop,     // not worth an answer: too short, a response, or a hostile/broken name
    FormErr,  // readable header but not exactly one question: answer FORMERR (header only)
    NotImp,   // an opcode other than QUERY: answer NOTIMP (header only)
};

struct DnsParseResult {
    DnsParseStatus status = DnsParseStatus::Drop;
    DnsQuery query;  // id and flags are set unless status is Drop
};

DnsParseResult parse_dns_query(std::span<const uint8_t> packet);

// Reads the name at `offset` (following compression pointers, which must point
// backwards so that loops are impossible) and, when `with_type`, the type and
// class after it. Advances `offset` past what it read. nullopt for anything out
// of bounds, labels over 63 bytes, names over 255 bytes, reserved label types,
// or labels with '.' or NUL in them (they would alias other dotted names).
std::optional<DnsQuestion> parse_dns_question(std::span<const uint8_t> packet, size_t& offset, bool with_type = true);

struct DnsAnswer {
    DnsRcode rcode = DnsRcode::NoError;
    bool authoritative = false;      // AA: set for names of our own networks
    std::vector<uint32_t> a;         // A records, IPv4 in host byte order
    std::vector<std::array<uint8_t, 16>> aaaa;  // AAAA records, IPv6 in network byte order
    std::optional<std::string> ptr;  // PTR target, with or without trailing dot
    uint32_t ttl = 60;
};

// The response to `q`: its id, RD and question echoed, QR and RA set. Records
// that would make it longer than `max_size` are left out and TC is set.
std::vector<uint8_t> build_dns_response(const DnsQuery& q, const DnsAnswer& answer,
                                        size_t max_size = kDnsClassicUdpSize);
// Header-only response (QDCOUNT 0), for FORMERR and NOTIMP where no question
// could be (or should be) echoed.
std::vector<uint8_t> build_dns_header_response(uint16_t id, uint16_t query_flags, DnsRcode rcode);

// How large a UDP response this client accepts: 512, or its EDNS size (not
// above 4096, what resolvers use in practice).
size_t dns_udp_limit(const DnsQuery& q);

// "4.3.2.1.in-addr.arpa" (any case, optional trailing dot) -> 1.2.3.4 in host
// byte order; nullopt unless exactly four decimal octets.
std::optional<uint32_t> parse_in_addr_arpa(std::string_view name);
// "b.a.9.8…0.0.d.f.ip6.arpa" (32 hex nibbles, lowest first; any case,
// optional trailing dot) -> the 16 bytes in network order.
std::optional<std::array<uint8_t, 16>> parse_ip6_arpa(std::string_view name);
// Lower case, without the trailing dot.
std::string normalize_dns_name(std::string_view name);
// Uncompressed wire form of a dotted name; nullopt if a label is empty or over
// 63 bytes, or the name is over 255 bytes.
std::optional<std::vector<uint8_t>> encode_dns_name(std::string_view name);

}  // namespace skiff::net

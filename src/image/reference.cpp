#include "image/reference.hpp"

#include <cctype>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr size_t kNameTotalMax = 255;
// A registry is a DNS name (at most 253) with a port.
constexpr size_t kDomainMax = 253 + 6;

// A path component: lowercase alphanumerics separated by '.', '_', '__' or '-'s.
bool valid_component(std::string_view c) {
    if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
        !std::isalnum(static_cast<unsigned char>(c.back())))
        return false;
    for (char ch : c) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

bool valid_tag(std::string_view t) {
    if (t.empty() || t.size() > 128) return false;
    if (!(std::isalnum(static_cast<unsigned char>(t[0])) || t[0] == '_')) return false;
    for (char ch : t)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-')) return false;
    return true;
}

bool valid_domain(std::string_view d) {
    if (d.empty()) return false;
    for (char ch : d)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
              ch == ']'))
            return false;
    return true;
}

}  // namespace

bool looks_like_id(std::string_view text) {
    if (text.rfind("sha256:", 0) == 0) text.remove_prefix(7);
    return text.size() == 64 && str::is_hex(text);
}

Reference parse_reference(std::string_view text) {
    // A long input is shown cut: the error stays one line.
    std::string input(text.substr(0, 96));
    if (text.size() > 96) input += "…";
    auto bad = [&](const std::string& why) {
        return Error("invalid reference format \"" + input + "\": " + why);
    };
    if (text.empty()) throw bad("empty");
    Reference r;
    std::string rest(text);
    if (auto at = rest.find('@'); at != std::string::npos) {
        r.digest = rest.substr(at + 1);
        rest.resize(at);
        auto colon = r.digest.find(':');
        if (colon == std::string::npos || r.digest.substr(0, colon) != "sha256" ||
            r.digest.size() != 7 + 64 || !str::is_hex(r.digest.substr(7)))
            throw bad("digest must be sha256: followed by 64 hex characters");
    }
    // A tag is after the last ':' that comes after the last '/'.
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        r.tag = rest.substr(colon + 1);
        rest.resize(colon);
        if (!valid_tag(r.tag)) throw bad("invalid tag \"" + r.tag + "\"");
    }
    auto first_slash = rest.find('/');
    std::string first = rest.substr(0, first_slash);
    if (first_slash != std::string::npos &&
        (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost" ||
         first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)) {
        r.domain = first;
        r.path = rest.substr(first_slash + 1);
        r.had_domain = true;
        if (!valid_domain(r.domain) || r.domain.size() > kDomainMax) throw bad("invalid registry \"" + r.domain.substr(0, 96) + "\"");
    } else {
        r.domain = kDefaultDomain;
        r.path = rest;
    }
    if (r.domain == "index.docker.io") r.domain = kDefaultDomain;
    if (r.path.empty()) throw bad("empty repository name");
    for (auto& c : str::split(r.path, '/')) {
        if (c.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
            throw bad("repository name must be lowercase");
        if (!valid_component(c)) throw bad("invalid repository name component \"" + c + "\"");
    }
    if (r.domain == kDefaultDomain && r.path.find('/') == std::string::npos) r.path = "library/" + r.path;
    // Docker's limit (distribution/reference), so that such a name is never
    // tried as a pull; its message.
    if (r.path.size() > kNameTotalMax)
        throw Error("invalid reference format: repository name must not be more than 255 characters");
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    return r;
}

std::string Reference::repository() const { return domain + "/" + path; }

std::string Reference::full() const {
    std::string out = repository();
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

std::string Reference::familiar() const {
    std::string repo = repository();
    if (domain == kDefaultDomain) {
        repo = path;
        if (repo.rfind("library/", 0) == 0) repo = repo.substr(8);
    }
    if (!tag.empty()) repo += ":" + tag;
    if (!digest.empty()) repo += "@" + digest;
    return repo;
}

}  // namespace skiff::image

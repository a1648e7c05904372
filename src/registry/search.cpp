#include "registry/search.hpp"

#include <algorithm>
#include <optional>

#include "image/reference.hpp"
#include "registry/registries_conf.hpp"
#include "registry/repository.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::registry {

namespace {

constexpr long kDefaultLimit = 25;
constexpr size_t kDescriptionWidth = 45;

struct Filters {
    long stars = 0;
    std::optional<bool> official, automated;
};

bool parse_bool(const std::string& key, const std::string& v) {
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    throw Error("invalid filter value \"" + v + "\" for " + key + ": expected true or false");
}

Filters parse_filters(const std::vector<std::string>& specs) {
    Filters f;
    for (auto& spec : specs) {
        auto [key, value] = str::split_once(spec, '=');
        if (key == "stars") {
            try {
                f.stars = std::stol(value);
            } catch (const std::exception&) {
                throw Error("invalid filter \"" + spec + "\": stars needs a number");
            }
        } else if (key == "is-official") {
            f.official = parse_bool(key, value);
        } else if (key == "is-automated") {
            f.automated = parse_bool(key, value);
        } else {
            throw Error("invalid filter \"" + spec + "\": expected stars=N, is-official=BOOL or is-automated=BOOL");
        }
    }
    return f;
}

Json row(const std::string& index, const std::string& name, const std::string& description, long stars, bool official,
         bool automated, bool no_trunc) {
    std::string desc = description;
    for (auto& ch : desc)
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    if (!no_trunc && desc.size() > kDescriptionWidth) desc = desc.substr(0, kDescriptionWidth - 3) + "...";
    return {{"Index", index},
            {"Name", name},
            {"Description", desc},
            {"Stars", stars},
            {"Official", official ? "[OK]" : ""},
            {"Automated", automated ? "[OK]" : ""},
            {"Tag", ""}};
}

bool passes(const Filters& f, long stars, bool official, bool automated) {
    if (stars < f.stars) return false;
    if (f.official && *f.official != official) return false;
    if (f.automated && *f.automated != automated) return false;
    return true;
}

// Docker Hub has no catalog; it has its own search API.
std::vector<Json> search_hub(const std::string& query, long limit, const Filters& f, const SearchOptions& o) {
    HttpClient c;
    HttpRequest r;
    r.url = "https://index.docker.io/v1/search?q=" + url_escape(query) + "&n=" + std::to_string(limit);
    r.max_body = 16 << 20;
    TlsConfig tls;
    if (o.registry.tls_verify) tls.verify = *o.registry.tls_verify;
    HttpResponse resp = c.perform(r, tls);
    if (resp.status != 200)
        throw Error("searching docker.io: index.docker.io answered " + std::to_string(resp.status));
    std::vector<Json> out;
    try {
        Json j = Json::parse(resp.body);
        for (auto& res : j.value("results", Json::array())) {
            std::string name = res.value("name", "");
            if (name.find('/') == std::string::npos) name = "library/" + name;
            long stars = res.value("star_count", 0L);
            bool official = res.value("is_official", false), automated = res.value("is_automated", false);
            if (!passes(f, stars, official, automated)) continue;
            out.push_back(row("docker.io", "docker.io/" + name, res.value("description", ""), stars, official, automated,
                              o.no_trunc));
        }
    } catch (const Json::exception&) {
        throw Error("searching docker.io: the answer is not JSON");
    }
    return out;
}

std::vector<Json> search_catalog(const std::string& reg, const std::string& query, const Filters& f,
                                 const SearchOptions& o) {
    bool insecure = false;
    RegistriesConf conf = load_registries_conf();
    if (auto* e = conf.find(reg)) insecure = e->insecure;
    Session s(reg, o.registry, insecure);
    HttpClient c;
    std::string q = str::lower(query);
    std::vector<Json> out;
    for (auto& repo : catalog(s, c, 0)) {
        if (!q.empty() && str::lower(repo).find(q) == std::string::npos) continue;
        if (!passes(f, 0, false, false)) continue;
        out.push_back(row(reg, reg + "/" + repo, "", 0, false, false, o.no_trunc));
    }
    return out;
}

bool names_registry(const std::string& first) {
    return first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost";
}

std::vector<Json> list_tags(const std::string& term, const SearchOptions& o) {
    std::string bare = term.substr(0, term.find('@'));
    auto colon = bare.rfind(':');
    if (bare.size() != term.size() || (colon != std::string::npos && bare.find('/', colon) == std::string::npos))
        throw Error("search --list-tags: \"" + term + "\" must name a repository without a tag or digest");
    RegistriesConf conf = load_registries_conf();
    image::Reference r = image::parse_reference(term);
    if (!r.had_domain) r = image::parse_reference(conf.search_or_default().front() + "/" + term);
    bool insecure = false;
    if (auto* e = conf.find(r.repository())) insecure = e->insecure;
    Session s(r.domain, o.registry, insecure, r.repository());
    Repository repo(s, r.path);
    HttpClient c;
    std::vector<Json> out;
    auto tags = repo.tags(c);
    std::sort(tags.begin(), tags.end());  // registries list them in no promised order
    for (auto& t : tags) {
        if (o.limit > 0 && static_cast<long>(out.size()) >= o.limit) break;
        Json j = row(r.domain, r.repository(), "", 0, false, false, true);
        j["Tag"] = t;
        out.push_back(j);
    }
    return out;
}

}  // namespace

std::vector<Json> search_images(const std::string& term, const SearchOptions& o) {
    if (o.list_tags) return list_tags(term, o);
    Filters f = parse_filters(o.filters);
    long limit = o.limit > 0 ? o.limit : kDefaultLimit;
    std::vector<std::string> registries;
    std::string query = term;
    auto slash = term.find('/');
    if (slash != std::string::npos && names_registry(term.substr(0, slash))) {
        registries.push_back(term.substr(0, slash));
        query = term.substr(slash + 1);
    } else {
        registries = load_registries_conf().search_or_default();
    }
    std::vector<Json> out;
    std::vector<std::string> errors;
    for (auto& reg : registries) {
        try {
            auto rows = reg == "docker.io" ? search_hub(query, limit, f, o) : search_catalog(reg, query, f, o);
            // --limit applies per registry, as in Podman.
            long taken = 0;
            for (auto& r : rows) {
                if (taken++ >= limit) break;
                out.push_back(std::move(r));
            }
        } catch (const Error& e) {
            if (registries.size() == 1) throw;
            errors.push_back(e.what());
        }
    }
    if (out.empty() && !errors.empty()) throw Error("search: " + str::join(errors, "; "));
    return out;
}

}  // namespace skiff::registry

#include "registry/registries_conf.hpp"


#include <algorithm>
#include <filesystem>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/toml_read.hpp"

namespace skiff::registry {

namespace {

using toml_read::get_bool;
using toml_read::get_string;
using toml_read::get_strings;
using toml_read::table_of;
using toml_read::where;

// Later files replace an entry with the same prefix.
void put_entry(RegistriesConf& conf, RegistryEntry e) {
    for (auto& old : conf.registries)
        if (old.prefix == e.prefix) {
            old = std::move(e);
            return;
        }
    conf.registries.push_back(std::move(e));
}

RegistryEntry& entry_for(RegistriesConf& conf, const std::string& prefix) {
    for (auto& e : conf.registries)
        if (e.prefix == prefix) return e;
    conf.registries.push_back({prefix, prefix});
    return conf.registries.back();
}

Mirror parse_mirror(const std::string& file, const toml::table& t) {
    Mirror m;
    for (auto& [k, node] : t) {
        std::string key(k.str());
        if (key == "location") m.location = get_string(file, "mirror.location", node);
        else if (key == "insecure") m.insecure = get_bool(file, "mirror.insecure", node);
        else if (key == "pull-from-mirror") {
            m.pull_from = get_string(file, "mirror.pull-from-mirror", node);
            if (m.pull_from != "all" && m.pull_from != "digest-only" && m.pull_from != "tag-only")
                throw Error(where(file, node) + ": pull-from-mirror must be all, digest-only or tag-only");
        }
        // Other keys (newer releases add some) are ignored, as Podman does.
    }
    if (m.location.empty()) throw Error(file + ": a [[registry.mirror]] needs a location");
    return m;
}

RegistryEntry parse_entry(const std::string& file, const toml::table& t) {
    RegistryEntry e;
    bool digest_only = false;
    for (auto& [k, node] : t) {
        std::string key(k.str());
        if (key == "prefix") e.prefix = get_string(file, "registry.prefix", node);
        else if (key == "location") e.location = get_string(file, "registry.location", node);
        else if (key == "insecure") e.insecure = get_bool(file, "registry.insecure", node);
        else if (key == "blocked") e.blocked = get_bool(file, "registry.blocked", node);
        else if (key == "mirror-by-digest-only") digest_only = get_bool(file, "registry.mirror-by-digest-only", node);
        else if (key == "mirror") {
            const toml::array* arr = node.as_array();
            if (!arr) throw Error(where(file, node) + ": 'mirror' must be an array of tables ([[registry.mirror]])");
            for (auto& m : *arr) e.mirrors.push_back(parse_mirror(file, table_of(file, "registry.mirror", m)));
        }
    }
    if (e.prefix.empty()) e.prefix = e.location;
    if (e.location.empty() && e.prefix.rfind("*.", 0) != 0) e.location = e.prefix;
    if (e.prefix.empty()) throw Error(file + ": a [[registry]] needs a location or a prefix");
    if (digest_only)
        for (auto& m : e.mirrors)
            if (m.pull_from == "all") m.pull_from = "digest-only";
    return e;
}

void parse_v1(const std::string& file, const toml::table& t, RegistriesConf& conf) {
    for (auto& [k, node] : t) {
        std::string key(k.str());
        const toml::table& sub = table_of(file, "registries." + key, node);
        auto list_node = sub.get("registries");
        if (!list_node) continue;
        auto list = get_strings(file, "registries." + key + ".registries", *list_node);
        if (key == "search") conf.search = list;
        else if (key == "insecure")
            for (auto& r : list) entry_for(conf, r).insecure = true;
        else if (key == "block")
            for (auto& r : list) entry_for(conf, r).blocked = true;
    }
}

std::string home() {
    const char* h = std::getenv("HOME");
    return h && *h ? h : "";
}

std::string user_config_dir() {
    const char* x = std::getenv("XDG_CONFIG_HOME");
    if (x && *x) return std::string(x) + "/containers";
    return home().empty() ? "" : home() + "/.config/containers";
}

void read_file_into(const std::string& path, RegistriesConf& conf) {
    auto text = fs::read_file_if_exists(path);
    if (!text) return;
    parse_registries_conf(*text, path, conf);
    conf.files.push_back(path);
}

void read_dropins(const std::string& dir, RegistriesConf& conf) {
    std::error_code ec;
    std::vector<std::string> names;
    for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
        std::string n = e.path().filename();
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (auto& n : names) read_file_into(dir + "/" + n, conf);
}

// Does `prefix` cover `name` ("domain/path")? Returns the length matched
// (for longest-prefix choice), 0 when it does not.
size_t match_len(const std::string& prefix, const std::string& name) {
    if (prefix.rfind("*.", 0) == 0) {
        std::string domain = name.substr(0, name.find('/'));
        std::string suffix = prefix.substr(1);  // ".example.com"
        if (domain.size() > suffix.size() && domain.compare(domain.size() - suffix.size(), suffix.size(), suffix) == 0)
            return prefix.size();
        return 0;
    }
    if (name.size() < prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
    if (name.size() == prefix.size()) return prefix.size() + 1;  // exact beats any shorter prefix
    char next = name[prefix.size()];
    return next == '/' || next == ':' || next == '@' ? prefix.size() : 0;
}

image::Reference rewrite(const image::Reference& ref, const std::string& prefix, const std::string& location) {
    std::string name = ref.repository();
    std::string rest;
    if (prefix.rfind("*.", 0) == 0) rest = name.substr(name.find('/'));
    else rest = name.substr(std::min(prefix.size(), name.size()));
    std::string text = location + rest;
    if (!ref.tag.empty()) text += ":" + ref.tag;
    if (!ref.digest.empty()) text += "@" + ref.digest;
    image::Reference out = image::parse_reference(text);
    out.had_domain = true;
    return out;
}

}  // namespace

void parse_registries_conf(const std::string& text, const std::string& file, RegistriesConf& conf) {
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw Error(file + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    for (auto& [k, node] : root) {
        std::string key(k.str());
        if (key == "unqualified-search-registries") {
            conf.search = get_strings(file, key, node);
        } else if (key == "aliases") {
            for (auto& [ak, an] : table_of(file, key, node)) conf.aliases[std::string(ak.str())] = get_string(file, "aliases", an);
        } else if (key == "registry") {
            const toml::array* arr = node.as_array();
            if (!arr) throw Error(where(file, node) + ": 'registry' must be an array of tables ([[registry]])");
            for (auto& t : *arr) put_entry(conf, parse_entry(file, table_of(file, "registry", t)));
        } else if (key == "registries") {
            parse_v1(file, table_of(file, key, node), conf);
        }
        // short-name-mode, credential-helpers and others: not used by skiff.
    }
}

RegistriesConf load_registries_conf() {
    RegistriesConf conf;
    if (const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF"); env && *env) {
        if (!fs::exists(env)) throw Error("CONTAINERS_REGISTRIES_CONF names " + std::string(env) + ", which does not exist");
        read_file_into(env, conf);
        return conf;
    }
    std::string user = user_config_dir();
    if (!user.empty() && fs::exists(user + "/registries.conf")) read_file_into(user + "/registries.conf", conf);
    else read_file_into("/etc/containers/registries.conf", conf);
    read_dropins("/etc/containers/registries.conf.d", conf);
    if (!user.empty()) read_dropins(user + "/registries.conf.d", conf);
    return conf;
}

const RegistryEntry* RegistriesConf::find(const std::string& name) const {
    const RegistryEntry* best = nullptr;
    size_t best_len = 0;
    for (auto& e : registries) {
        size_t n = match_len(e.prefix, name);
        if (n > best_len) {
            best = &e;
            best_len = n;
        }
    }
    return best;
}

std::vector<std::string> RegistriesConf::search_or_default() const {
    return search.empty() ? std::vector<std::string>{"docker.io"} : search;
}

std::vector<PullSource> pull_sources(const RegistriesConf& conf, const image::Reference& ref) {
    const RegistryEntry* e = conf.find(ref.repository());
    if (!e) return {{ref, false, false}};
    if (e->blocked) throw Error("registry " + ref.domain + " is blocked in registries.conf");
    std::vector<PullSource> out;
    bool by_digest = !ref.digest.empty();
    for (auto& m : e->mirrors) {
        if (m.pull_from == "digest-only" && !by_digest) continue;
        if (m.pull_from == "tag-only" && by_digest) continue;
        out.push_back({rewrite(ref, e->prefix, m.location), m.insecure, true});
    }
    if (e->location.empty()) out.push_back({ref, e->insecure, false});
    else out.push_back({rewrite(ref, e->prefix, e->location), e->insecure, false});
    return out;
}

PullSource push_destination(const RegistriesConf& conf, const image::Reference& ref) {
    const RegistryEntry* e = conf.find(ref.repository());
    if (!e) return {ref, false, false};
    if (e->blocked) throw Error("registry " + ref.domain + " is blocked in registries.conf");
    if (e->location.empty()) return {ref, e->insecure, false};
    return {rewrite(ref, e->prefix, e->location), e->insecure, false};
}

std::vector<image::Reference> short_name_candidates(const RegistriesConf& conf, const std::string& text, bool* alias) {
    if (alias) *alias = false;
    image::Reference parsed = image::parse_reference(text);
    if (parsed.had_domain) return {parsed};
    // The name as typed, without tag or digest: what aliases are keyed by.
    std::string name = text.substr(0, text.find('@'));
    if (auto colon = name.rfind(':'); colon != std::string::npos && name.find('/', colon) == std::string::npos)
        name.resize(colon);
    if (auto it = conf.aliases.find(name); it != conf.aliases.end()) {
        image::Reference a = image::parse_reference(it->second);
        std::string user_tag = text.size() > name.size() && text[name.size()] == ':' ? parsed.tag : "";
        if (!parsed.digest.empty()) {
            a.digest = parsed.digest;
            a.tag = user_tag;
        } else if (!user_tag.empty()) {
            a.tag = user_tag;
        }
        a.had_domain = true;
        if (alias) *alias = true;
        return {a};
    }
    std::vector<image::Reference> out;
    for (auto& reg : conf.search_or_default()) {
        image::Reference r = image::parse_reference(reg + "/" + text);
        r.had_domain = false;
        out.push_back(r);
    }
    return out;
}

}  // namespace skiff::registry

#include "registry/tls.hpp"

#include <algorithm>
#include <filesystem>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::registry {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string home() {
    const char* h = std::getenv("HOME");
    return h && *h ? h : "";
}

}  // namespace

std::vector<std::string> certs_d_roots() {
    std::vector<std::string> roots;
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) roots.push_back(std::string(xdg) + "/containers/certs.d");
    if (!home().empty()) roots.push_back(home() + "/.config/containers/certs.d");
    roots.push_back("/etc/containers/certs.d");
    roots.push_back("/etc/docker/certs.d");
    // The same directory twice (XDG_CONFIG_HOME = ~/.config) is read once.
    std::vector<std::string> unique;
    for (auto& r : roots)
        if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(r);
    return unique;
}

void add_cert_dir(TlsConfig& tls, const std::string& dir) {
    std::error_code ec;
    std::vector<std::string> names;
    for (auto& entry : std::filesystem::directory_iterator(dir, ec)) names.push_back(entry.path().filename());
    if (ec) return;  // a missing or unreadable directory holds nothing for us
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
        std::string path = dir + "/" + n;
        if (ends_with(n, ".crt")) {
            tls.extra_ca_pem += fs::read_file(path);
            tls.extra_ca_pem += "\n";
        } else if (ends_with(n, ".cert")) {
            std::string key = path.substr(0, path.size() - 5) + ".key";
            if (!fs::exists(key)) throw Error("missing key " + key + " for client certificate " + path);
            if (tls.client_cert.empty()) {
                tls.client_cert = path;
                tls.client_key = key;
            }
        } else if (ends_with(n, ".key")) {
            std::string cert = path.substr(0, path.size() - 4) + ".cert";
            if (!fs::exists(cert)) throw Error("missing client certificate " + cert + " for key " + path);
        }
    }
}

TlsConfig tls_for_host(const std::string& host, bool verify, const std::string& cert_dir) {
    TlsConfig tls;
    tls.verify = verify;
    if (!cert_dir.empty()) {
        if (!fs::is_dir(cert_dir)) throw Error("--cert-dir " + cert_dir + ": not a directory");
        add_cert_dir(tls, cert_dir);
        return tls;
    }
    for (auto& root : certs_d_roots()) add_cert_dir(tls, root + "/" + host);
    return tls;
}

}  // namespace skiff::registry

// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example.com/token",service="registry",scope="repository:x:pull"
//   Basic realm="Registry"
#pragma once

#include <map>
#include <string>
#include <vector>

namespace skiff::registry {

struct Challenge {
    std::string scheme;                         // lowercased: "bearer", "basic"
    std::map<std::string, std::string> params;  // names lowercased

    std::string param(const std::string& name) const {
        auto it = params.find(name);
        return it == params.end() ? "" : it->second;
    }
};

// Every challenge in one header value (several may share a line).
std::vector<Challenge> parse_challenges(const std::string& header);

}  // namespace skiff::registry

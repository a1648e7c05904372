// host::in_user_namespace() apart from the rest of host.cpp: skiff-runtime
// links this file alone (host.cpp needs the store's subordinate ID parser).
#include <string>
#include <vector>

#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"

namespace skiff::host {

bool in_user_namespace() {
    // The initial user namespace maps the whole ID space onto itself.
    auto map = fs::read_file_if_exists("/proc/self/uid_map");
    if (!map) return false;
    std::vector<std::string> words;
    for (auto& w : str::split(str::trim(*map), ' '))
        if (!w.empty()) words.push_back(w);
    return !(words.size() == 3 && words[0] == "0" && words[1] == "0" && words[2] == "4294967295");
}

}  // namespace skiff::host

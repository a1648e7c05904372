// Volume records in the state database (the `volumes` table of schema v1),
// and which containers mount which volume.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/db.hpp"

namespace skiff::container {

struct Volume {
    std::string name;
    std::string driver = "local";
    int64_t created = 0;  // ns
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;  // the local driver's type, device, o
    bool anonymous = false;
};

class VolumeRecords {
public:
    explicit VolumeRecords(state::Database& db) : db_(db) {}

    // False (and nothing written) when the name is taken.
    bool insert(const Volume& v);
    std::optional<Volume> get(const std::string& name);
    std::vector<Volume> list();
    // False when it was not there.
    bool remove(const std::string& name);

    // Volume name → IDs of the containers whose mounts name it.
    std::map<std::string, std::vector<std::string>> users();
    // The IDs of the containers that mount `name`.
    std::vector<std::string> users_of(const std::string& name);

private:
    state::Database& db_;
};

}  // namespace skiff::container

// skiff keeps key order in every JSON it prints (inspect output must read as
// Docker's does), so one ordered type is used throughout.
#pragma once

#include <nlohmann/json.hpp>

namespace skiff {
using Json = nlohmann::ordered_json;
}

#include "container/volume_records.hpp"

#include "util/json.hpp"

namespace skiff::container {

namespace {

constexpr const char* kColumns = "name, driver, created, labels, options, anonymous";

std::map<std::string, std::string> string_map(const std::string& text) {
    std::map<std::string, std::string> out;
    Json j = Json::parse(text.empty() ? "{}" : text);
    if (j.is_object())
        for (auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
    return out;
}

std::string json_text(const std::map<std::string, std::string>& m) {
    Json j = Json::object();
    for (auto& [k, v] : m) j[k] = v;
    return j.dump();
}

Volume read(state::Statement& st) {
    Volume v;
    v.name = st.text(0);
    v.driver = st.text(1);
    v.created = st.integer(2);
    v.labels = string_map(st.text(3));
    v.options = string_map(st.text(4));
    v.anonymous = st.integer(5) != 0;
    return v;
}

}  // namespace

bool VolumeRecords::insert(const Volume& v) {
    db_.prepare("INSERT OR IGNORE INTO volumes (name, driver, created, labels, options, anonymous) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, v.name)
        .bind(2, v.driver)
        .bind(3, v.created)
        .bind(4, json_text(v.labels))
        .bind(5, json_text(v.options))
        .bind(6, v.anonymous ? 1 : 0)
        .run();
    return db_.changes() > 0;
}

std::optional<Volume> VolumeRecords::get(const std::string& name) {
    auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM volumes WHERE name = ?1");
    st.bind(1, name);
    if (!st.step()) return std::nullopt;
    return read(st);
}

std::vector<Volume> VolumeRecords::list() {
    std::vector<Volume> out;
    auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM volumes ORDER BY name");
    while (st.step()) out.push_back(read(st));
    return out;
}

bool VolumeRecords::remove(const std::string& name) {
    db_.prepare("DELETE FROM volumes WHERE name = ?1").bind(1, name).run();
    return db_.changes() > 0;
}

std::map<std::string, std::vector<std::string>> VolumeRecords::users() {
    std::map<std::string, std::vector<std::string>> out;
    // The specs hold the mounts; only volume mounts matter here.
    auto st = db_.prepare("SELECT id, spec FROM containers ORDER BY created");
    while (st.step()) {
        Json spec = Json::parse(st.text(1));
        if (!spec.contains("mounts")) continue;
        for (auto& m : spec["mounts"])
            if (m.value("type", "") == "volume" && !m.value("source", "").empty())
{
                auto& ids = out[m["source"].get<std::string>()];
                if (ids.empty() || ids.back() != st.text(0)) ids.push_back(st.text(0));
            }
    }
    return out;
}

std::vector<std::string> VolumeRecords::users_of(const std::string& name) {
    auto all = users();
    auto it = all.find(name);
    return it == all.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace skiff::container

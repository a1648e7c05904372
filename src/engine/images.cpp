#include "engine/images.hpp"

#include <fnmatch.h>
#include <time.h>

#include <algorithm>
#include <set>

#include "engine/container_storage.hpp"
#include "image/changes.hpp"
#include "image/layer_import.hpp"
#include "image/reference.hpp"
#include "layers/compress.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

namespace {

// Docker's time.Time String(): "2024-01-01 00:00:00 +0000 UTC".
std::string docker_time(int64_t ns) {
    time_t secs = static_cast<time_t>(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return buf;
}

struct Filter {
    std::string key, value;
};

std::vector<Filter> parse_filters(const std::vector<std::string>& raw, const std::set<std::string>& allowed) {
    std::vector<Filter> out;
    for (auto& f : raw) {
        auto [k, v] = str::split_once(f, '=');
        if (f.find('=') == std::string::npos) throw Error("bad format of filter (expected name=value): " + f);
        if (!allowed.count(k)) throw Error("invalid filter '" + k + "'");
        out.push_back({k, v});
    }
    return out;
}

bool label_matches(const Json& labels, const std::string& want) {
    auto [k, v] = str::split_once(want, '=');
    if (!labels.is_object() || !labels.contains(k)) return false;
    return want.find('=') == std::string::npos || labels[k].get<std::string>() == v;
}

Json image_labels(const image::Image& img) {
    if (img.config.contains("config") && img.config["config"].contains("Labels") &&
        img.config["config"]["Labels"].is_object())
        return img.config["config"]["Labels"];
    return Json::object();
}

bool reference_matches(const std::string& name, const std::string& pattern) {
    std::string fam = familiar(name);
    std::string repo = fam.substr(0, fam.rfind(':'));
    for (auto& cand : {fam, repo, name, name.substr(0, name.rfind(':'))})
        if (fnmatch(pattern.c_str(), cand.c_str(), 0) == 0) return true;
    return false;
}

bool image_passes(Engine& e, const image::Image& img, const std::vector<Filter>& filters) {
    for (auto& f : filters) {
        if (f.key == "dangling") {
            bool want = f.value == "true" || f.value == "1";
            if (f.value != "true" && f.value != "false" && f.value != "1" && f.value != "0")
                throw Error("invalid filter 'dangling=" + f.value + "': expected true or false");
            if (img.names.empty() != want) return false;
        } else if (f.key == "reference") {
            continue;  // per name: see list_images
        } else if (f.key == "label") {
            if (!label_matches(image_labels(img), f.value)) return false;
        } else if (f.key == "before" || f.key == "since") {
            auto other = e.images().resolve(f.value);
            if (f.key == "before" ? img.created >= other.created : img.created <= other.created) return false;
        }
    }
    return true;
}

std::string short_or_full(const std::string& id, bool no_trunc) {
    return no_trunc ? "sha256:" + id : state::short_id(id);
}

}  // namespace

std::string familiar(const std::string& full_name) {
    try {
        return image::parse_reference(full_name).familiar();
    } catch (const Error&) {
        return full_name;
    }
}

std::vector<Json> list_images(Engine& e, const ImageListOptions& opts) {
    auto filters = parse_filters(opts.filters, {"dangling", "reference", "label", "before", "since"});
    std::vector<Json> rows;
    int64_t now = timeutil::now_ns();
    for (auto& img : e.images().list()) {
        if (!image_passes(e, img, filters)) continue;
        auto row_for = [&](const std::string& repo, const std::string& tag) {
            std::string digest = "<none>";
            for (auto& d : img.digests)
                if (d.substr(0, d.find('@')) == repo || familiar(d.substr(0, d.find('@'))) == repo)
                    digest = d.substr(d.find('@') + 1);
            if (digest == "<none>" && !img.manifest_digest.empty()) digest = img.manifest_digest;
            Json row = {
                {"ID", short_or_full(img.id, opts.no_trunc)},
                {"Repository", repo},
                {"Tag", tag},
                {"Digest", digest},
                {"CreatedSince", timeutil::ago(img.created, now)},
                {"CreatedAt", docker_time(img.created)},
                {"Created", timeutil::ago(img.created, now)},
                {"Size", str::human_size(static_cast<double>(img.size))},
                {"VirtualSize", str::human_size(static_cast<double>(img.size))},
                {"SharedSize", "N/A"},
                {"UniqueSize", "N/A"},
                {"Containers", "N/A"},
                {"Labels", image_labels(img)},
            };
            // Every name on every row is costly with 1,000 tags: only when asked.
            if (opts.with_names) row["Names"] = img.names;
            rows.push_back(std::move(row));
        };
        bool has_ref_filter = false;
        for (auto& f : filters) has_ref_filter |= f.key == "reference";
        if (img.names.empty()) {
            if (!has_ref_filter) row_for("<none>", "<none>");
            continue;
        }
        for (auto& n : img.names) {
            bool wanted = true;
            for (auto& f : filters)
                if (f.key == "reference" && !reference_matches(n, f.value)) wanted = false;
            if (!wanted) continue;
            auto ref = image::parse_reference(n);
            std::string fam = ref.familiar();
            std::string repo = ref.tag.empty() ? fam.substr(0, fam.find('@')) : fam.substr(0, fam.rfind(':'));
            row_for(repo, ref.tag.empty() ? "<none>" : ref.tag);
        }
    }
    return rows;
}

Json inspect_image(Engine& e, const image::Image& img) {
    Json tags = Json::array();
    for (auto& n : img.names) tags.push_back(familiar(n));
    Json layers_json = Json::array();
    for (auto& d : img.diff_ids()) layers_json.push_back(d);
    std::vector<std::string> chain = img.top_layer.empty() ? std::vector<std::string>{} : e.images().layer_chain(img.top_layer);
    Json lower = Json::array();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) lower.push_back(e.images().layer_dir(*it));
    const Json& c = img.config;
    return {
        {"Id", "sha256:" + img.id},
        {"Digest", img.manifest_digest},
        {"RepoTags", tags},
        {"RepoDigests", img.digests},
        {"Parent", ""},
        {"Comment", c.value("comment", "")},
        {"Created", c.value("created", timeutil::rfc3339_nano(img.created))},
        {"Container", ""},
        {"DockerVersion", c.value("docker_version", "")},
        {"Author", c.value("author", "")},
        {"Config", c.value("config", Json::object())},
        {"Architecture", c.value("architecture", host::arch())},
        {"Variant", c.value("variant", "")},
        {"Os", c.value("os", "linux")},
        {"Size", img.size},
        {"VirtualSize", img.size},
        {"GraphDriver",
         {{"Name", std::string(layers::driver_name(store_driver_kind(e)))},
          {"Data", {{"LowerDir", lower.empty() ? "" : str::join(lower.get<std::vector<std::string>>(), ":")}}}}},
        {"RootFS", {{"Type", "layers"}, {"Layers", layers_json}}},
        {"Metadata", {{"LastTagTime", timeutil::rfc3339_nano(img.added)}}},
        {"Labels", image_labels(img)},
        {"History", c.value("history", Json::array())},
        {"NamesHistory", img.names},
    };
}

RemoveReport remove_image(Engine& e, const std::string& ref, bool force) {
    auto& store = e.images();
    RemoveReport report;
    image::Image img = store.resolve(ref);
    // A name (not an ID) removes only that name while others remain.
    std::string full = store.name_for(ref, img);
    bool by_name = !full.empty();
    if (by_name && img.names.size() > 1) {
        store.untag(full);
        report.untagged.push_back(familiar(full));
        return report;
    }
    if (!by_name && img.names.size() > 1 && !force)
        throw Error("unable to delete " + state::short_id(img.id) +
                    " (must be forced) - image is referenced in multiple repositories");
    if (store.used_by_container(img.id)) {
        if (!force)
            throw Error("image " + state::short_id(img.id) + " is in use by a container: stop and remove the container "
                        "first, or use --force to untag it");
        for (auto& n : img.names) {
            store.untag(n);
            report.untagged.push_back(familiar(n));
        }
        return report;
    }
    for (auto& n : img.names) report.untagged.push_back(familiar(n));
    store.remove(img.id);
    report.deleted.push_back("sha256:" + img.id);
    return report;
}

PruneReport prune_images(Engine& e, bool all, const std::vector<std::string>& raw_filters) {
    auto filters = parse_filters(raw_filters, {"label", "until", "dangling"});
    PruneReport report;
    int64_t now = timeutil::now_ns();
    for (auto& img : e.images().list()) {
        if (!all && !img.names.empty()) continue;
        if (e.images().used_by_container(img.id)) continue;
        bool keep = false;
        for (auto& f : filters) {
            if (f.key == "label" && !label_matches(image_labels(img), f.value)) keep = true;
            if (f.key == "until" && img.created > timeutil::parse_time(f.value, now)) keep = true;
        }
        if (keep) continue;
        e.images().remove(img.id);
        report.deleted.push_back("sha256:" + img.id);
        report.reclaimed += img.size;
    }
    // Also sweeps debris of killed commands.
    e.images().collect_garbage();
    return report;
}

std::vector<Json> image_history(Engine& e, const image::Image& img, bool human, bool no_trunc) {
    std::vector<Json> rows;
    std::vector<int64_t> sizes;
    if (!img.top_layer.empty())
        for (auto& id : e.images().layer_chain(img.top_layer)) sizes.push_back(e.images().find_layer(id)->size);
    Json history = img.config.value("history", Json::array());
    if (history.empty())
        for (size_t i = 0; i < sizes.size(); ++i) history.push_back(Json::object());
    size_t layer = 0;
    int64_t now = timeutil::now_ns();
    for (size_t i = 0; i < history.size(); ++i) {
        auto& h = history[i];
        bool empty = h.value("empty_layer", false);
        int64_t size = 0;
        if (!empty && layer < sizes.size()) size = sizes[layer++];
        int64_t created = 0;
        if (h.contains("created")) created = timeutil::parse_time(h["created"].get<std::string>(), now);
        std::string by = h.value("created_by", "");
        std::string by_shown = by;
        if (!no_trunc && by_shown.size() > 45) by_shown = by_shown.substr(0, 44) + "…";
        rows.push_back({
            {"ID", i + 1 == history.size() ? short_or_full(img.id, no_trunc) : "<missing>"},
            {"Created", human ? timeutil::ago(created, now) : timeutil::rfc3339_nano(created)},
            {"CreatedSince", timeutil::ago(created, now)},
            {"CreatedAt", timeutil::rfc3339_nano(created)},
            {"CreatedBy", by_shown},
            {"Size", human ? str::human_size(static_cast<double>(size)) : std::to_string(size)},
            {"Comment", h.value("comment", "")},
        });
    }
    std::reverse(rows.begin(), rows.end());
    return rows;
}

image::Image import_tarball(Engine& e, const layers::ReadFn& tarball, const std::vector<std::string>& changes,
                            const std::string& message, const std::vector<std::string>& names) {
    auto& store = e.images();
    // A bad --change is refused before a byte is read (a URL's download).
    Json inner = Json::object();
    for (auto& c : changes) image::apply_change(inner, c);
    auto unpacked = image::unpack_layer(store, tarball);
    std::string now = timeutil::rfc3339_nano(timeutil::now_ns());
    Json history_entry = {{"created", now}, {"created_by", "/bin/sh -c #(nop) ADD file in / "}};
    if (!message.empty()) history_entry["comment"] = message;
    Json config = {{"architecture", host::arch()},
                   {"os", "linux"},
                   {"created", now},
                   {"config", inner},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {unpacked.digests.diff_id}}}},
                   {"history", {history_entry}}};
    if (!message.empty()) config["comment"] = message;
    auto layer = image::finish_layer(std::move(unpacked), "");
    std::string top = layer.layer.id;
    return store.commit_image({layer}, top, config.dump(), "", names);
}

}  // namespace skiff::engine

#include "image/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>

#include "image/reference.hpp"
#include "state/ids.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/host.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::image {

namespace {

constexpr const char* kImageColumns =
    "id, top_layer, config, manifest, manifest_digest, created, added, size";

int64_t config_created_ns(const Json& config) {
    if (!config.contains("created") || !config["created"].is_string()) return 0;
    try {
        return timeutil::parse_time(config["created"].get<std::string>(), 0);
    } catch (const Error&) {
        return 0;
    }
}

void rename_or_throw(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) < 0) throw_errno("rename " + from + " to " + to);
}

}  // namespace

std::vector<std::string> Image::diff_ids() const {
    std::vector<std::string> out;
    if (config.contains("rootfs") && config["rootfs"].contains("diff_ids"))
        for (auto& d : config["rootfs"]["diff_ids"]) out.push_back(d.get<std::string>());
    return out;
}

std::string chain_id(const std::string& parent_chain, const std::string& diff_id) {
    if (parent_chain.empty()) return diff_id.substr(diff_id.find(':') + 1);
    return Sha256::of("sha256:" + parent_chain + " " + diff_id);
}

Store::Store(const state::Paths& paths, state::Database& db) : paths_(paths), db_(db) {}


std::string Store::layer_dir(const std::string& chain_id) const {
    return paths_.layers_dir() + "/" + chain_id + "/diff";
}

std::string Store::layer_blob(const std::string& chain_id) const {
    return paths_.layers_dir() + "/" + chain_id + "/blob";
}

std::string Store::make_temp_dir(const std::string& prefix) const {
    fs::make_dirs(paths_.tmp_dir(), 0700);
    std::string tmpl = paths_.tmp_dir() + "/" + prefix + "-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp " + tmpl);
    return tmpl;
}

std::optional<Layer> Store::find_layer(const std::string& chain_id) {
    auto st = db_.prepare(
        "SELECT id, coalesce(parent, ''), diff_id, coalesce(blob_digest, ''), blob_size, size FROM layers WHERE id = ?1");
    st.bind(1, chain_id);
    if (!st.step()) return std::nullopt;
    Layer l;
    l.id = st.text(0);
    l.parent = st.text(1);
    l.diff_id = st.text(2);
    l.blob_digest = st.text(3);
    l.blob_size = st.integer(4);
    l.size = st.integer(5);
    return l;
}

std::vector<std::string> Store::layer_chain(const std::string& top) {
    std::vector<std::string> chain;
    std::string cur = top;
    while (!cur.empty()) {
        auto l = find_layer(cur);
        if (!l) throw Error("image store: layer " + cur + " is missing (the store needs repair: run skiff image prune)");
        chain.push_back(cur);
        cur = l->parent;
    }
    return {chain.rbegin(), chain.rend()};
}

Image Store::commit_image(const std::vector<NewLayer>& fresh, const std::string& top_layer,
                          const std::string& config_raw, const std::string& manifest_raw,
                          const std::vector<std::string>& names) {
    Json config;
    try {
        config = Json::parse(config_raw);
    } catch (const std::exception& e) {
        throw Error(std::string("image config is not valid JSON: ") + e.what());
    }
    std::string id = Sha256::of(config_raw);
    std::string manifest_digest = manifest_raw.empty() ? "" : Sha256::digest_of(manifest_raw);
    fs::make_dirs(paths_.layers_dir(), 0700);

    state::Transaction tx(db_);
    std::vector<std::string> to_remove;
    for (auto& n : fresh) {
        if (n.unsynced) wrote_unsynced_ = true;
        if (find_layer(n.layer.id)) {
            to_remove.push_back(n.tree_tmp);
            if (!n.blob_tmp.empty()) to_remove.push_back(n.blob_tmp);
            continue;
        }
        std::string dir = paths_.layers_dir() + "/" + n.layer.id;
        fs::remove_all(dir);  // debris of a killed earlier attempt
        fs::make_dirs(dir, 0700);
        rename_or_throw(n.tree_tmp, layer_dir(n.layer.id));
        if (!n.blob_tmp.empty()) rename_or_throw(n.blob_tmp, layer_blob(n.layer.id));
        db_.prepare(
               "INSERT INTO layers (id, parent, diff_id, blob_digest, blob_size, size, created, unsynced_boot) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .bind(1, n.layer.id)
            .bind(2, n.layer.parent.empty() ? std::optional<std::string>() : n.layer.parent)
            .bind(3, n.layer.diff_id)
            .bind(4, n.layer.blob_digest.empty() ? std::optional<std::string>() : n.layer.blob_digest)
            .bind(5, n.layer.blob_size)
            .bind(6, n.layer.size)
            .bind(7, timeutil::now_ns())
            .bind(8, n.unsynced ? std::optional<std::string>(host::boot_id()) : std::nullopt)
            .run();
    }
    int64_t size = 0;
    for (auto& c : top_layer.empty() ? std::vector<std::string>{} : layer_chain(top_layer)) size += find_layer(c)->size;

    auto exists = db_.prepare("SELECT 1 FROM images WHERE id = ?1");
    exists.bind(1, id);
    if (!exists.step()) {
        db_.prepare("INSERT INTO images (" + std::string(kImageColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .bind(1, id)
            .bind(2, top_layer.empty() ? std::optional<std::string>() : top_layer)
            .bind(3, config_raw)
            .bind(4, manifest_raw.empty() ? std::optional<std::string>() : manifest_raw)
            .bind(5, manifest_digest.empty() ? std::optional<std::string>() : manifest_digest)
            .bind(6, config_created_ns(config))
            .bind(7, timeutil::now_ns())
            .bind(8, size)
            .run();
    }
    for (auto& name : names)
        db_.prepare("INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?1, ?2)").bind(1, name).bind(2, id).run();
    tx.commit();
    for (auto& p : to_remove) fs::remove_all(p);
    return *get_by_id(id);
}

Image Store::read_image(state::Statement& st) {
    Image img;
    img.id = st.text(0);
    img.top_layer = st.text(1);
    img.config_raw = st.text(2);
    img.config = Json::parse(img.config_raw);
    if (auto m = st.text_or_null(3)) img.manifest = Json::parse(*m);
    img.manifest_digest = st.text(4);
    img.created = st.integer(5);
    img.added = st.integer(6);
    img.size = st.integer(7);
    return img;
}

void Store::fill_names(Image& img) {
    auto names = db_.prepare("SELECT name FROM image_names WHERE image_id = ?1 ORDER BY name");
    names.bind(1, img.id);
    while (names.step()) img.names.push_back(names.text(0));
    auto digests = db_.prepare("SELECT repo_digest FROM image_digests WHERE image_id = ?1 ORDER BY repo_digest");
    digests.bind(1, img.id);
    while (digests.step()) img.digests.push_back(digests.text(0));
}

std::vector<Image> Store::list() {
    std::vector<Image> out;
    auto st = db_.prepare("SELECT " + std::string(kImageColumns) + " FROM images ORDER BY created DESC, id");
    while (st.step()) out.push_back(read_image(st));
    // One query for all names rather than one per image: `images` with 1,000
    // images stays fast.
    std::map<std::string, Image*> by_id;
    for (auto& img : out) by_id[img.id] = &img;
    auto names = db_.prepare("SELECT image_id, name FROM image_names ORDER BY name");
    while (names.step())
        if (auto it = by_id.find(names.text(0)); it != by_id.end()) it->second->names.push_back(names.text(1));
    auto digests = db_.prepare("SELECT image_id, repo_digest FROM image_digests ORDER BY repo_digest");
    while (digests.step())
        if (auto it = by_id.find(digests.text(0)); it != by_id.end()) it->second->digests.push_back(digests.text(1));
    return out;
}

std::optional<Image> Store::get_by_id(const std::string& id) {
    auto st = db_.prepare("SELECT " + std::string(kImageColumns) + " FROM images WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    Image img = read_image(st);
    fill_names(img);
    return img;
}

std::optional<Image> Store::find(const std::string& ref_text) {
    std::string ref = ref_text;
    if (ref.rfind("sha256:", 0) == 0) ref = ref.substr(7);
    // A full name first, then a short name matched as Podman does
    // ("busybox" finds localhost/busybox:latest), then an ID prefix.
    try {
        Reference r = parse_reference(ref_text);
        auto st = db_.prepare("SELECT image_id FROM image_names WHERE name = ?1");
        st.bind(1, r.full());
        if (st.step()) return get_by_id(st.text(0));
        if (!r.had_domain) {
            std::string path = r.path.rfind("library/", 0) == 0 ? r.path.substr(8) : r.path;
            std::string suffix = "/" + path + (r.tag.empty() ? "" : ":" + r.tag);
            auto any = db_.prepare("SELECT image_id, name FROM image_names WHERE name LIKE ?1 ESCAPE '\\' ORDER BY name");
            std::string pattern;
            for (char c : suffix) {
                if (c == '%' || c == '_' || c == '\\') pattern += '\\';
                pattern += c;
            }
            any.bind(1, "%" + pattern);
            std::set<std::string> ids;
            while (any.step()) {
                std::string name = any.text(1);
                // The part before the suffix must be a registry (one component).
                std::string head = name.substr(0, name.size() - suffix.size());
                if (head.find('/') == std::string::npos) ids.insert(any.text(0));
            }
            if (ids.size() == 1) return get_by_id(*ids.begin());
            if (ids.size() > 1)
                throw Error("short name \"" + ref_text + "\" matches several images; use the full name");
        }
    } catch (const NotFound&) {
        throw;
    } catch (const Error&) {
        if (!str::is_hex(str::lower(ref))) throw;
    }
    if (str::is_hex(str::lower(ref))) {
        try {
            return get_by_id(state::resolve_id(db_, "images", "id", "", ref, "image"));
        } catch (const NotFound&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::string Store::name_for(const std::string& ref, const Image& img) const {
    Reference r;
    try {
        r = parse_reference(ref);
    } catch (const Error&) {
        return "";
    }
    for (auto& n : img.names)
        if (n == r.full()) return n;
    if (r.had_domain) return "";
    std::string path = r.path.rfind("library/", 0) == 0 ? r.path.substr(8) : r.path;
    std::string suffix = "/" + path + (r.tag.empty() ? "" : ":" + r.tag);
    for (auto& n : img.names)
        if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            n.substr(0, n.size() - suffix.size()).find('/') == std::string::npos)
            return n;
    return "";
}

Image Store::resolve(const std::string& ref) {
    if (auto img = find(ref)) return *img;
    throw NotFound(ref + ": image not known");
}

void Store::tag(const std::string& id, const std::string& name) {
    state::Transaction tx(db_);
    db_.prepare("INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?1, ?2)").bind(1, name).bind(2, id).run();
    tx.commit();
}

bool Store::untag(const std::string& name) {
    state::Transaction tx(db_);
    db_.prepare("DELETE FROM image_names WHERE name = ?1").bind(1, name).run();
    bool removed = db_.changes() > 0;
    tx.commit();
    return removed;
}

bool Store::used_by_container(const std::string& id) {
    auto st = db_.prepare("SELECT 1 FROM containers WHERE image_id = ?1 LIMIT 1");
    st.bind(1, id);
    return st.step();
}

void Store::remove(const std::string& id) {
    {
        state::Transaction tx(db_);
        if (used_by_container(id)) throw Error("image " + state::short_id(id) + " is in use by a container");
        db_.prepare("DELETE FROM images WHERE id = ?1").bind(1, id).run();
        tx.commit();
    }
    try {
        collect_garbage();
    } catch (const Error&) {
        // Outside the user namespace the trees cannot be removed; their
        // rows are gone, so the next garbage collection takes them.
    }
}

void Store::collect_garbage() {
    // Everything that moves layer directories happens under the write lock,
    // so it never races commit_image(), which renames inside its own
    // transaction. Doomed trees are renamed into a trash dir first and
    // deleted after the lock is released.
    std::string trash = make_temp_dir("trash");
    {
        state::Transaction tx(db_);
        auto st = db_.prepare(R"sql(
            WITH RECURSIVE used(id) AS (
                SELECT top_layer FROM images WHERE top_layer IS NOT NULL
                UNION SELECT l.parent FROM layers l JOIN used u ON l.id = u.id WHERE l.parent IS NOT NULL)
            SELECT id FROM layers WHERE id NOT IN (SELECT id FROM used))sql");
        std::vector<std::string> dead;
        while (st.step()) dead.push_back(st.text(0));
        db_.exec("PRAGMA defer_foreign_keys = ON");
        for (auto& id : dead) db_.prepare("DELETE FROM layers WHERE id = ?1").bind(1, id).run();
        std::set<std::string> known;
        auto all = db_.prepare("SELECT id FROM layers");
        while (all.step()) known.insert(all.text(0));
        // Directories with no row: dead layers, and debris of a command
        // killed between its rename and its commit.
        std::vector<std::string> doomed;
        if (DIR* d = ::opendir(paths_.layers_dir().c_str())) {
            while (auto* e = ::readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != ".." && !known.count(n)) doomed.push_back(n);
            }
            ::closedir(d);
        }
        for (auto& n : doomed) rename_or_throw(paths_.layers_dir() + "/" + n, trash + "/" + n);
        tx.commit();
    }
    fs::remove_all(trash);
    sweep_temp();
}

namespace {

// Gone, or a zombie no one has reaped yet (a killed command's child waits
// for init to reap it) with no thread left: it writes nothing more.
bool process_gone(pid_t pid) {
    if (::kill(pid, 0) < 0 && errno == ESRCH) return true;
    std::string dir = "/proc/" + std::to_string(pid);
    auto stat = fs::read_file_if_exists(dir + "/stat");
    if (!stat) return true;
    size_t close = stat->rfind(')');  // "pid (comm) state …"
    if (close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z') return false;
    auto status = fs::read_file_if_exists(dir + "/status");
    return !status || status->find("\nThreads:\t1\n") != std::string::npos;
}

}  // namespace

void Store::sweep_temp() {
    // Scratch dirs are named PREFIX-PID-XXXXXX: those whose process is gone
    // are debris of a killed command.
    DIR* d = ::opendir(paths_.tmp_dir().c_str());
    if (!d) return;
    std::vector<std::string> stale;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        auto parts = str::split(n, '-');
        if (parts.size() < 3) continue;
        pid_t pid = static_cast<pid_t>(std::atol(parts[parts.size() - 2].c_str()));
        if (pid > 0 && process_gone(pid)) stale.push_back(n);
    }
    ::closedir(d);
    for (auto& n : stale) fs::remove_all(paths_.tmp_dir() + "/" + n);
}

namespace {

// Flushes the store's file system, then clears the marks of layers written
// before the flush began.
void flush_and_clear(const state::Paths& paths, state::Database& db, int64_t upto) {
    UniqueFd fd(::open(paths.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::syncfs(fd.get()) < 0) return;  // the mark stays: a later command retries
    db.prepare("UPDATE layers SET unsynced_boot = NULL WHERE unsynced_boot = ?1 AND created <= ?2")
        .bind(1, host::boot_id())
        .bind(2, upto)
        .run();
}

}  // namespace

void sync_store_in_background(const state::Paths& paths) {
    int64_t upto = timeutil::now_ns();
    std::string database = paths.database();
    // Two forks: the flusher is nobody's child to reap, and it keeps none
    // of the caller's descriptors (a pipe reader must not wait for it).
    pid_t pid = ::fork();
    if (pid < 0) return;  // a later command flushes instead
    if (pid > 0) {
        int st;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        return;
    }
    if (::fork() != 0) ::_exit(0);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
    }
    close_fds_from(3);
    try {
        // Never the parent's connection: a fresh one of our own.
        state::Database db(database);
        flush_and_clear(paths, db, upto);
    } catch (...) {
    }
    ::_exit(0);
}

void Store::settle_unsynced() {
    std::string boot = host::boot_id();
    std::vector<std::string> lost;
    bool stale_here = false;
    int64_t minute_ago = timeutil::now_ns() - 60'000'000'000LL;
    {
        auto st = db_.prepare("SELECT id, unsynced_boot, created FROM layers WHERE unsynced_boot IS NOT NULL");
        while (st.step()) {
            if (st.text(1) != boot) lost.push_back(st.text(0));
            else if (st.integer(2) < minute_ago) stale_here = true;
        }
    }
    // A flusher that died (or never ran): by now the kernel has written
    // the data back, and syncfs() only confirms it.
    if (stale_here) flush_and_clear(paths_, db_, minute_ago);
    if (lost.empty()) return;
    // The machine went down before these layers were flushed: their files
    // may be torn. Every image standing on one goes (it can be pulled or
    // loaded again), except those containers use: removing them would
    // take the containers' data along, so the user decides.
    std::set<std::string> doomed;
    for (auto& img : list()) {
        if (img.top_layer.empty()) continue;
        for (auto& l : layer_chain(img.top_layer))
            if (std::find(lost.begin(), lost.end(), l) != lost.end()) doomed.insert(img.id);
    }
    for (auto& id : doomed) {
        auto img = get_by_id(id);
        std::string name = img && !img->names.empty() ? img->names[0] : state::short_id(id);
        if (used_by_container(id)) {
            std::fprintf(stderr,
                         "WARNING: image %s was not completely on disk when the machine went down; its "
                         "containers may see damaged files: remove them and pull or load the image again\n",
                         name.c_str());
            continue;
        }
        std::fprintf(stderr,
                     "WARNING: image %s was not completely on disk when the machine went down; it was "
                     "removed: pull or load it again\n",
                     name.c_str());
        state::Transaction tx(db_);
        db_.prepare("DELETE FROM images WHERE id = ?1").bind(1, id).run();
        tx.commit();
    }
    // What is left of the lost layers is still used by a container: keep
    // them, marked as on disk now, so the warning is given once.
    for (auto& l : lost)
        db_.prepare("UPDATE layers SET unsynced_boot = NULL WHERE id = ?1").bind(1, l).run();
    collect_garbage();
}

}  // namespace skiff::image

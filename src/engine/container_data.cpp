#include "engine/container_data.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <set>
#include <atomic>
#include <thread>

#include "container/bundle.hpp"
#include "engine/container_storage.hpp"
#include "engine/containers.hpp"
#include "engine/rootfs_access.hpp"
#include "image/changes.hpp"
#include "image/layer_import.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/host.hpp"
#include "util/strings.hpp"
#include "util/timeutil.hpp"

namespace skiff::engine {

namespace {

// Where the driver keeps what the container changed; missing for a
// container that never started (nothing changed yet).
bool has_changes_dir(Engine& e, const std::string& cdir) {
    return fs::exists(fs::join(cdir, e.driver().kind() == layers::DriverKind::Vfs ? "rootfs" : "upper"));
}

// Runs `produce` (a tar writer) on a thread of its own and unpacks what it
// writes as a new layer: one pass, no temporary tar.
image::UnpackedLayer unpack_stream(image::Store& store, const std::function<void(const layers::WriteFn&)>& produce) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd r(fds[0]), w(fds[1]);
    ::fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; a smaller pipe works too
    std::exception_ptr failed;
    // Whoever failed first has the cause: a reader that gave up (no space
    // left on device) leaves the writer a mere broken pipe.
    std::atomic<bool> reader_gave_up{false};
    bool writer_failed_first = false;
    std::thread writer([&] {
        // The reader may give up early: EPIPE, not a process-killing SIGPIPE.
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
        try {
            produce(layers::fd_writer(w.get()));
        } catch (...) {
            failed = std::current_exception();
            writer_failed_first = !reader_gave_up.load();
        }
        w.reset();
    });
    image::UnpackedLayer u;
    try {
        u = image::unpack_layer(store, layers::fd_reader(r.get()));
    } catch (...) {
        reader_gave_up = true;
        r.reset();
        writer.join();
        if (failed && writer_failed_first) std::rethrow_exception(failed);
        throw;
    }
    writer.join();
    if (failed) {
        image::discard(u);
        std::rethrow_exception(failed);
    }
    return u;
}

void set_env(Json& env, const std::string& kv) {
    std::string key = kv.substr(0, kv.find('='));
    for (auto& e : env)
        if (e.is_string() && e.get<std::string>().substr(0, e.get<std::string>().find('=')) == key) {
            e = kv;
            return;
        }
    env.push_back(kv);
}

// The image config the container ran with: its image's, with what run/create
// set on top (Docker's and Podman's commit keep them).
Json container_run_config(const container::Container& c, Json cfg) {
    if (!cfg.is_object()) cfg = Json::object();
    const auto& s = c.spec;
    if (!s.env.empty()) {
        Json env = cfg.contains("Env") && cfg["Env"].is_array() ? cfg["Env"] : Json::array();
        for (auto& kv : s.env) set_env(env, kv);
        cfg["Env"] = env;
    }
    if (s.entrypoint_set) {
        cfg["Entrypoint"] = s.entrypoint.empty() ? Json(nullptr) : Json(s.entrypoint);
        cfg["Cmd"] = s.command.empty() ? Json(nullptr) : Json(s.command);
    } else if (!s.command.empty()) {
        cfg["Cmd"] = s.command;
    }
    if (!s.workdir.empty()) cfg["WorkingDir"] = s.workdir;
    if (!s.user.empty()) cfg["User"] = s.user;
    if (!s.stop_signal.empty()) cfg["StopSignal"] = s.stop_signal;
    if (!s.labels.empty()) {
        Json labels = cfg.contains("Labels") && cfg["Labels"].is_object() ? cfg["Labels"] : Json::object();
        for (auto& [k, v] : s.labels) labels[k] = v;
        cfg["Labels"] = labels;
    }
    return cfg;
}

// The new image's config: the parent's with the layer appended, the run
// config plus --change, and Docker's history entry.
std::string new_config(const container::Container& c, const image::Image& parent, const CommitOptions& o,
                       const std::string& diff_id) {
    Json cfg = parent.config.is_object() ? parent.config : Json::object();
    Json inner = container_run_config(c, cfg.value("config", Json::object()));
    Json container_config = inner;
    for (auto& ch : o.changes) image::apply_change(inner, ch);
    std::string now = timeutil::rfc3339_nano(timeutil::now_ns());
    cfg["created"] = now;
    cfg["config"] = inner;
    if (!cfg.contains("architecture")) cfg["architecture"] = host::arch();
    if (!cfg.contains("os")) cfg["os"] = "linux";
    cfg.erase("author");
    cfg.erase("comment");
    cfg.erase("container");
    cfg.erase("container_config");
    if (!o.author.empty()) cfg["author"] = o.author;
    if (!o.message.empty()) cfg["comment"] = o.message;
    if (o.docker_format) {
        cfg["container"] = c.id;
        cfg["container_config"] = container_config;
    }
    Json rootfs = {{"type", "layers"}, {"diff_ids", Json::array()}};
    if (!o.squash && cfg.contains("rootfs") && cfg["rootfs"].contains("diff_ids"))
        rootfs["diff_ids"] = cfg["rootfs"]["diff_ids"];
    rootfs["diff_ids"].push_back(diff_id);
    cfg["rootfs"] = rootfs;
    // Docker's created_by: the container's command.
    std::vector<std::string> argv;
    try {
        argv = container::container_argv(c.spec, parent.config.value("config", Json::object()));
    } catch (const Error&) {
    }
    Json entry = {{"created", now}, {"created_by", str::join(argv, " ")}};
    if (!o.author.empty()) entry["author"] = o.author;
    if (!o.message.empty()) entry["comment"] = o.message;
    Json history = !o.squash && cfg.contains("history") && cfg["history"].is_array() ? cfg["history"] : Json::array();
    history.push_back(entry);
    cfg["history"] = history;
    return cfg.dump();
}

std::string store_commit(Engine& e, const container::Container& c, const image::Image& parent,
                         const CommitOptions& o, image::UnpackedLayer&& u) {
    std::string config;
    try {
        config = new_config(c, parent, o, u.digests.diff_id);
    } catch (...) {
        image::discard(u);
        throw;
    }
    auto layer = image::finish_layer(std::move(u), o.squash ? "" : parent.top_layer);
    std::string top = layer.layer.id;
    return e.images().commit_image({layer}, top, config, "", o.names).id;
}

// The mount targets the runtime creates when an image lacks them (empty
// files in the upper dir): Docker keeps them in a hidden init layer and
// Podman leaves them out of diff; neither belongs in a committed layer.
bool runtime_mount_point(const std::string& path, const struct stat& st, layers::ChangeKind kind) {
    static const std::set<std::string> targets = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
                                                  "/run/.containerenv"};
    return kind == layers::ChangeKind::Added && S_ISREG(st.st_mode) && st.st_size == 0 && targets.count(path);
}

image::Image parent_image(Engine& e, const container::Container& c) {
    auto img = e.images().get_by_id(c.image_id);
    if (!img) throw Error("image " + c.image_id.substr(0, 12) + " of container " + c.name + " is gone");
    return *img;
}

}  // namespace

std::vector<layers::Change> container_changes(Engine& e, const container::Container& c) {
    std::string cdir = container::container_paths(e.paths(), c.id).userdata;
    if (!has_changes_dir(e, cdir)) return {};
    std::vector<std::string> hidden;
    layers::DiffOptions opts;
    opts.skip = [&](const std::string& path, const struct stat& st, layers::ChangeKind kind) {
        if (!runtime_mount_point(path, st, kind)) return false;
        hidden.push_back(path);
        return true;
    };
    auto changes = e.driver().diff(container_layer_dirs(e, c), cdir, {}, opts).changes;
    // A directory listed as changed only because of a hidden mount target
    // (/etc for /etc/hosts) is no change of the user's either.
    std::set<std::string> drop;
    for (auto& ch : changes) {
        if (ch.kind != layers::ChangeKind::Changed) continue;
        std::string prefix = ch.path + "/";
        bool for_hidden = false, other_below = false;
        for (auto& h : hidden) for_hidden |= h.rfind(prefix, 0) == 0;
        for (auto& other : changes) other_below |= other.path.rfind(prefix, 0) == 0;
        if (for_hidden && !other_below) drop.insert(ch.path);
    }
    std::erase_if(changes, [&](const layers::Change& ch) { return drop.count(ch.path) != 0; });
    return changes;
}

int export_container(Engine& e, const container::Container& c, int out_fd) {
    return with_container_rootfs(e, c, [out_fd](const std::string& rootfs) {
        layers::tar_tree(rootfs, layers::fd_writer(out_fd));
        return 0;
    });
}

std::string commit_container(Engine& e, const container::Container& c, const CommitOptions& o) {
    // Refused before any work: a bad --change must not leave a layer behind.
    {
        Json probe = Json::object();
        for (auto& ch : o.changes) image::apply_change(probe, ch);
    }
    image::Image parent = parent_image(e, c);
    if (!o.squash) {
        std::string cdir = container::container_paths(e.paths(), c.id).userdata;
        std::vector<std::string> lowers = image_layer_dirs(e, parent);
        auto& driver = e.driver();
        bool changed = has_changes_dir(e, cdir);
        std::string empty;
        if (!changed) empty = e.images().make_temp_dir("commit-empty");
        image::UnpackedLayer u;
        try {
            u = unpack_stream(e.images(), [&](const layers::WriteFn& sink) {
                layers::DiffOptions opts;
                opts.skip = runtime_mount_point;
                if (changed) driver.diff(lowers, cdir, sink, opts);
                else layers::tar_tree(empty, sink);
            });
        } catch (...) {
            if (!empty.empty()) fs::remove_all(empty);
            throw;
        }
        if (!empty.empty()) fs::remove_all(empty);
        return store_commit(e, c, parent, o, std::move(u));
    }
    // Squash: the merged rootfs as the only layer, stored by the child that
    // sees it; the image ID comes back through a pipe.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd r(fds[0]), w(fds[1]);
    int rc = with_container_rootfs(e, c, [&](const std::string& rootfs) {
        r.reset();
        // The answer, or "!" and the error: printed once, by the caller.
        std::string answer;
        int code = 0;
        try {
            auto u = unpack_stream(e.images(), [&](const layers::WriteFn& sink) { layers::tar_tree(rootfs, sink); });
            answer = store_commit(e, c, parent, o, std::move(u));
        } catch (const Error& err) {
            answer = std::string("!") + err.what();
            code = err.exit_code();
        }
        layers::fd_writer(w.get())(answer.data(), answer.size());
        return code;
    });
    w.reset();
    std::string answer;
    char buf[512];
    for (ssize_t n; (n = ::read(r.get(), buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
    if (!answer.empty() && answer[0] == '!') throw Error(answer.substr(1), rc ? rc : kExitEngine);
    if (rc != 0 || answer.empty()) throw Error("commit " + c.name + ": the squashing process failed", rc ? rc : kExitEngine);
    return answer;
}

}  // namespace skiff::engine

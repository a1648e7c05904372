#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "util/error.hpp"

namespace skiff::fs {

namespace {

void write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + path);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

std::string temp_name(const std::string& path) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return path + ".tmp-" + buf;
}

// Temp file + rename; with `durable`, fsync of the file and its directory.
void write_replacing(const std::string& path, std::string_view content, mode_t mode, bool durable) {
    std::string tmp = temp_name(path);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) throw_errno("create " + tmp);
    try {
        write_all(fd.get(), content, tmp);
        if (::fchmod(fd.get(), mode) < 0) throw_errno("chmod " + tmp);
        if (durable && ::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
        fd.reset();
        if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp + " to " + path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (!durable) return;
    UniqueFd dir(::open(dirname(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
}

}  // namespace

void write_volatile(const std::string& path, std::string_view content, mode_t mode) {
    write_replacing(path, content, mode, false);
}

void write_atomic(const std::string& path, std::string_view content, mode_t mode) {
    write_replacing(path, content, mode, true);
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw_errno("open " + path);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::string read_file(const std::string& path) {
    auto content = read_file_if_exists(path);
    if (!content) throw Error("open " + path + ": No such file or directory");
    return *content;
}

void make_dirs(const std::string& path, mode_t mode) {
    if (path.empty()) return;
    if (::mkdir(path.c_str(), mode) == 0) return;
    if (errno == EEXIST) {
        if (is_dir(path)) return;
        throw Error("mkdir " + path + ": exists and is not a directory");
    }
    if (errno != ENOENT) throw_errno("mkdir " + path);
    make_dirs(dirname(path), mode);
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void remove_all(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw Error("remove " + path + ": " + ec.message());
}

std::string join(std::string_view a, std::string_view b) {
    if (a.empty()) return std::string(b);
    std::string out(a);
    if (out.back() != '/') out += '/';
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    out += b;
    return out;
}

std::string dirname(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    auto pos = path.rfind('/');
    if (pos == std::string_view::npos) return ".";
    if (pos == 0) return "/";
    return std::string(path.substr(0, pos));
}

std::string basename(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    auto pos = path.rfind('/');
    return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

namespace {

std::optional<std::string> find_in_dirs(std::string_view name, std::string_view dirs) {
    while (!dirs.empty()) {
        auto colon = dirs.find(':');
        std::string_view dir = dirs.substr(0, colon);
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
        if (dir.empty()) continue;
        std::string candidate = join(dir, name);
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> find_executable(std::string_view name) {
    if (name.find('/') != std::string_view::npos) {
        std::string p(name);
        if (::access(p.c_str(), X_OK) == 0) return p;
        return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    return find_in_dirs(name, path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
}

std::optional<std::string> find_system_executable(std::string_view name) {
    if (auto p = find_executable(name)) return p;
    if (name.find('/') != std::string_view::npos) return std::nullopt;
    return find_in_dirs(name, "/usr/local/sbin:/usr/sbin:/sbin");
}

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode) {
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
    if (!fd) throw_errno("open " + path);
    return fd;
}

}  // namespace skiff::fs

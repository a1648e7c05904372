// cp runs its container half in a child that joins the container (running:
// its user and mount namespaces, so volumes and tmpfs mounts are seen as
// the container sees them) or mounts its rootfs with its volumes and bind
// mounts on it (stopped, as Docker's cp does). The two halves
// talk through a pipe carrying a tar; the child's errors come back on a
// second pipe.
#include "engine/cp.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "container/copy.hpp"
#include "engine/containers.hpp"
#include "engine/rootfs_access.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lazy_libs.hpp"
#include "util/process.hpp"

namespace skiff::engine {

namespace {

struct Pipe {
    UniqueFd r, w;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
        r = UniqueFd(fds[0]);
        w = UniqueFd(fds[1]);
    }
};

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write");
        }
        off += static_cast<size_t>(n);
    }
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// Reads exactly n bytes; false at a premature end.
bool read_exact(int fd, std::string& out, size_t n) {
    out.resize(n);
    size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, out.data() + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += static_cast<size_t>(r);
    }
    return true;
}

void join_namespace(pid_t pid, const char* ns, int type) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) throw_errno("open " + path);
    std::string self_path = std::string("/proc/self/ns/") + ns;
    struct stat a, b;
    if (::fstat(target.get(), &a) == 0 && ::stat(self_path.c_str(), &b) == 0 && a.st_ino == b.st_ino) return;
    if (::setns(target.get(), type) < 0) throw_errno(std::string("join the container's ") + ns + " namespace");
}

// Runs `fn(root_fd)` in a child that sees the container's files; returns
// the child's error message ("" on success).
std::string in_container(Engine& e, const container::Container& c, const std::function<void(int root_fd)>& fn) {
    Pipe status;
    auto body = [&](int root_fd) -> int {
        try {
            fn(root_fd);
            return 0;
        } catch (const std::exception& err) {
            try {
                write_all(status.w.get(), err.what());
            } catch (...) {
            }
            return 1;
        }
    };
    // A stopped container's volumes and binds are mounted for the copy, so
    // that it reads and writes them as the running container would.
    ViewMounts view;
    if (!c.running()) view = container_view_mounts(e, c);
    e.release_db();
    lazy::load_archive();
    if (c.running()) {
        pid_t pid = ::fork();
        if (pid < 0) throw_errno("fork");
        if (pid == 0) {
            status.r.reset();
            int rc = 1;
            try {
                if (::geteuid() != 0) {
                    join_namespace(c.pid, "user", CLONE_NEWUSER);
                    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) throw_errno("become root in the user namespace");
                }
                // The container's pid namespace too: its /proc is the one
                // mounted there, and /proc/self must name us (fd paths).
                join_namespace(c.pid, "pid", CLONE_NEWPID);
                join_namespace(c.pid, "mnt", CLONE_NEWNS);
                pid_t inner = ::fork();
                if (inner < 0) throw_errno("fork");
                if (inner == 0) {
                    UniqueFd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                    if (!root) {
                        write_all(status.w.get(), "open the container's root: " + std::string(std::strerror(errno)));
                        ::_exit(1);
                    }
                    ::_exit(body(root.get()));
                }
                rc = Child(inner).wait();
            } catch (const std::exception& err) {
                try {
                    write_all(status.w.get(), err.what());
                } catch (...) {
                }
            }
            ::_exit(rc);
        }
        Child child(pid);
        status.w.reset();
        std::string msg = read_all(status.r.get());
        int rc = child.wait();
        if (rc != 0 && msg.empty()) msg = "copy failed (exit status " + std::to_string(rc) + ")";
        return msg;
    }
    int rc = with_container_rootfs(e, c, [&](const std::string& rootfs) -> int {
        status.r.reset();
        UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) {
            write_all(status.w.get(), "open " + rootfs + ": " + std::strerror(errno));
            return 1;
        }
        return body(root.get());
    }, &view);
    status.w.reset();
    std::string msg = read_all(status.r.get());
    if (rc != 0 && msg.empty()) msg = "copy failed (exit status " + std::to_string(rc) + ")";
    return msg;
}

std::string absolute(const std::string& p) {
    if (!p.empty() && p.front() == '/') return p;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
    return fs::join(cwd, p);
}

UniqueFd host_root() {
    UniqueFd fd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open /");
    return fd;
}

// Container -> host (or stdout).
void copy_out_of(Engine& e, const container::Container& c, const CopyArg& src, const std::string& dest,
                 const CopyRequest& r) {
    std::string display = c.name + ":" + src.path;
    container::CopyOutOptions oo{r.follow_link};
    if (dest == "-") {
        std::string err = in_container(e, c, [&](int root) {
            container::copy_out(root, src.path, layers::fd_writer(1), oo, display);
        });
        if (!err.empty()) throw Error(err);
        return;
    }
    Pipe data, errp;
    std::string err;
    // The child writes "<d|f> <contents> <len>\n<member>" and then the tar.
    pid_t helper = ::fork();
    if (helper < 0) throw_errno("fork");
    if (helper == 0) {
        data.r.reset();
        errp.r.reset();
        int fd = data.w.get();
        try {
            err = in_container(e, c, [&](int root) {
                container::copy_out(root, src.path, layers::fd_writer(fd), oo, display,
                                    [&](const container::CopySource& s) {
                                        write_all(fd, std::string(s.is_dir ? "d " : "f ") + (s.contents ? "1 " : "0 ") +
                                                          std::to_string(s.member.size()) + "\n" + s.member);
                                    });
            });
        } catch (const std::exception& x) {
            err = x.what();
        }
        if (!err.empty()) {
            try {
                write_all(errp.w.get(), err);
            } catch (...) {
            }
        }
        ::_exit(err.empty() ? 0 : 1);
    }
    Child child(helper);
    data.w.reset();
    errp.w.reset();
    // The container side's own error explains a broken stream better,
    // unless it only saw us stop reading.
    auto fail = [&](const std::string& ours) {
        data.r.reset();
        if (child.pid() > 0) child.wait();
        std::string theirs = read_all(errp.r.get());
        bool useful = !theirs.empty() && theirs.find("Broken pipe") == std::string::npos;
        return Error(useful ? theirs : ours);
    };
    // The header, one byte at a time: what follows is the tar.
    std::string line;
    for (char ch;;) {
        ssize_t n = ::read(data.r.get(), &ch, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (ch == '\n') break;
        line += ch;
    }
    if (line.size() < 5) throw fail("copy failed: no data from the container");
    container::CopySource s;
    s.is_dir = line[0] == 'd';
    s.contents = line[2] == '1';
    if (!read_exact(data.r.get(), s.member, std::stoul(line.substr(4)))) throw fail("copy failed: truncated stream");
    std::string abs = absolute(dest);
    UniqueFd root = host_root();
    try {
        container::CopyInOptions io;
        if (!r.archive) io.owner = std::make_pair(::geteuid(), ::getegid());
        io.ignore_owners = ::geteuid() != 0;
        container::copy_in(root.get(), abs, layers::fd_reader(data.r.get()), s, false, io, dest);
    } catch (const Error& x) {
        throw fail(x.what());
    }
    // libarchive stops at the end-of-archive blocks; the writer may still
    // be sending padding, which must not die of EPIPE.
    read_all(data.r.get());
    if (child.wait() != 0) throw fail("copy from " + display + " failed");  // child reaped: fail() skips it
}

// Host (or stdin) -> container.
void copy_into(Engine& e, const container::Container& c, const std::string& src, const CopyArg& dest,
               const CopyRequest& r) {
    std::string display = c.name + ":" + dest.path;
    container::CopyInOptions io;
    if (!r.archive) io.owner = std::make_pair(uid_t{0}, gid_t{0});
    io.ignore_owners = r.archive;
    if (src == "-") {
        std::string err = in_container(e, c, [&](int root) {
            container::copy_in(root, dest.path, layers::fd_reader(0), {}, true, io, display);
        });
        if (!err.empty()) throw Error(err);
        return;
    }
    // Resolve the host side first: a missing source must fail before the
    // container is touched.
    UniqueFd root = host_root();
    std::string abs = absolute(src);
    Pipe data;
    container::CopySource source;
    std::string child_err;
    try {
        source = container::describe_source(root.get(), abs, {r.follow_link}, src);
    } catch (const NotFound&) {
        throw NotFound("no such file or directory: " + src);
    }
    if (!source.is_dir && !r.follow_link) {
        // One regular file: no tar, the kernel copies it (bench/cp.sh).
        UniqueFd in(::open(abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st;
        if (in && ::fstat(in.get(), &st) == 0 && S_ISREG(st.st_mode)) {
            std::string err = in_container(e, c, [&](int croot) {
                container::copy_file_in(croot, dest.path, in.get(), source, io, display);
            });
            if (!err.empty()) throw Error(err);
            return;
        }
    }
    pid_t writer = ::fork();
    if (writer < 0) throw_errno("fork");
    if (writer == 0) {
        data.r.reset();
        int rc = 0;
        try {
            container::copy_out(root.get(), abs, layers::fd_writer(data.w.get()), {r.follow_link}, src);
        } catch (const std::exception& x) {
            if (std::string(x.what()).find("Broken pipe") == std::string::npos)
                std::fprintf(stderr, "Error: %s\n", x.what());
            rc = 1;
        }
        ::_exit(rc);
    }
    Child child(writer);
    data.w.reset();
    child_err = in_container(e, c, [&](int croot) {
        container::copy_in(croot, dest.path, layers::fd_reader(data.r.get()), source, false, io, display);
    });
    data.r.reset();
    int rc = child.wait();
    if (!child_err.empty()) throw Error(child_err);
    if (rc != 0) throw Error("copy of " + src + " failed");
}

}  // namespace

CopyArg parse_copy_arg(const std::string& arg) {
    if (arg.empty() || arg.front() == '/' || arg.front() == '.') return {"", arg};
    size_t colon = arg.find(':');
    if (colon == std::string::npos) return {"", arg};
    std::string name = arg.substr(0, colon);
    if (name.find('/') != std::string::npos) return {"", arg};
    std::string path = arg.substr(colon + 1);
    if (path.empty()) path = "/";
    return {name, path};
}

void copy(Engine& e, const CopyRequest& r) {
    // Either side may stop reading early (an error, the end of a tar):
    // writers must see EPIPE, not die of SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    CopyArg src = r.src == "-" ? CopyArg{"", "-"} : parse_copy_arg(r.src);
    CopyArg dest = r.dest == "-" ? CopyArg{"", "-"} : parse_copy_arg(r.dest);
    if (src.container.empty() && dest.container.empty())
        throw Error("copying between two host paths is not supported: name a container as CONTAINER:PATH");
    if (!src.container.empty() && !dest.container.empty())
        throw Error("copying between containers is not supported");
    if (!src.container.empty()) {
        auto c = find_container(e, src.container);
        copy_out_of(e, c, src, dest.path, r);
    } else {
        auto c = find_container(e, dest.container);
        copy_into(e, c, src.path, dest, r);
    }
}

}  // namespace skiff::engine

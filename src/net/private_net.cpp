#include "net/private_net.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "net/helpers.hpp"
#include "net/netns.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace skiff::net {

namespace {

std::string pid_file(const std::string& dir) { return dir + "/helper.pid"; }
std::string ports_file(const std::string& dir) { return dir + "/ports.json"; }
std::string log_file(const std::string& dir) { return dir + "/helper.log"; }

// A helper's last words, without pasta's complaints about a missing syslog.
std::string helper_errors(const std::string& dir) {
    std::vector<std::string> keep;
    for (auto& l : str::split(fs::read_file_if_exists(log_file(dir)).value_or(""), '\n'))
        if (!str::trim(l).empty() && l.find("to syslog") == std::string::npos) keep.push_back(str::trim(l));
    return keep.empty() ? "no message" : str::join(keep, "; ");
}

// fork+exec with stdio on /dev/null and the log; `keep` fds are passed
// down as 3, 4, … in order.
pid_t spawn(const std::vector<std::string>& argv, const std::string& path, const std::string& log,
            const std::vector<int>& keep, const std::string& cwd = "") {
    int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) throw_errno("open " + log);
    pid_t child = ::fork();
    if (child < 0) {
        ::close(logfd);
        throw_errno("fork");
    }
    if (child == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(logfd, 2);
        // Out of the way first: a kept fd may sit where another one goes.
        std::vector<int> high;
        for (int fd : keep) high.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 64));
        for (size_t i = 0; i < high.size(); ++i) ::dup2(high[i], static_cast<int>(3 + i));  // dup2 clears CLOEXEC
        // A long-lived helper must hold nothing else of ours (a pipe whose
        // reader waits for EOF).
        close_fds_from(static_cast<int>(3 + high.size()));
        ::setsid();
        if (!cwd.empty() && ::chdir(cwd.c_str()) < 0) _exit(127);
        exec_in_child(path, argv);
    }
    ::close(logfd);
    return child;
}

bool is_helper_process(pid_t pid) {
    auto comm = fs::read_file_if_exists("/proc/" + std::to_string(pid) + "/comm");
    if (!comm) return false;
    // pasta execs an optimized build of itself: passt.avx2, pasta.avx2.
    return comm->rfind("pasta", 0) == 0 || comm->rfind("passt", 0) == 0 || comm->rfind("slirp4netns", 0) == 0;
}

// Returns the pid it killed (0: none).
pid_t kill_recorded_helper(const std::string& dir) {
    auto text = fs::read_file_if_exists(pid_file(dir));
    if (!text) return 0;
    pid_t pid = std::atoi(text->c_str());
    ::unlink(pid_file(dir).c_str());
    if (pid <= 0 || !is_helper_process(pid)) return 0;
    ::kill(pid, SIGKILL);
    return pid;
}

}  // namespace

std::string choose_helper(const std::string& mode, const std::string& configured) {
    std::string want = mode == "pasta" || mode == "slirp4netns" ? mode : configured;
    if (!want.empty() && want != "pasta" && want != "slirp4netns")
        throw Error("unknown network helper \"" + want + "\" in skiff.conf: expected pasta or slirp4netns");
    if (!want.empty()) {
        if (!fs::find_executable(want))
            throw Error("--network " + mode + ": " + want + " was not found in $PATH (install the " +
                            (want == "pasta" ? "passt" : "slirp4netns") + " package)",
                        kExitCannotInvoke);
        return want;
    }
    if (fs::find_executable("pasta")) return "pasta";
    if (fs::find_executable("slirp4netns")) return "slirp4netns";
    throw Error("private networking needs pasta (package passt) or slirp4netns in $PATH; or use --network none|host",
                kExitCannotInvoke);
}

HelperAddresses helper_addresses(const std::string& helper) {
    HelperAddresses a;
    if (helper == "slirp4netns") return {"10.0.2.100", "10.0.2.2", "10.0.2.3"};
    pasta_host_route(a.ip, a.gateway);
    a.dns_forward = kPastaDnsForward;
    return a;
}

PrivateNetwork::PrivateNetwork(std::string helper, std::string dir) : helper_(std::move(helper)), dir_(std::move(dir)) {}

PrivateNetwork::~PrivateNetwork() {
    stop();
    reap();
}

void PrivateNetwork::reap() noexcept {
    // The monitor is a subreaper: pasta's daemon became its child. Its
    // sockets close only once it died: a restart must find the ports free.
    // Without published ports nothing needs it gone, and its death takes
    // the kernel ~20 ms (its tap device): collect it only if already dead.
    for (pid_t p : dying_) ::waitpid(p, nullptr, ports_.empty() ? WNOHANG : 0);
    dying_.clear();
}

void PrivateNetwork::start(const std::vector<PortMapping>& ports) {
    stop();
    fs::make_dirs(dir_, 0700);
    ports_ = ports;
    make_netns(netns_path());
    auto path = fs::find_executable(helper_);
    if (!path) throw Error(helper_ + " was not found in $PATH", kExitCannotInvoke);
    try {
        if (helper_ == "pasta") {
            helper_pid_ = spawn(pasta_argv(netns_path(), ports, pid_file(dir_)), *path, log_file(dir_), {});
        } else {
            int ready[2], ex[2];
            if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("pipe");
            if (::pipe2(ex, O_CLOEXEC) < 0) {
                ::close(ready[0]);
                ::close(ready[1]);
                throw_errno("pipe");
            }
            UniqueFd ready_w(ready[1]), exit_r(ex[0]);
            ready_fd_ = UniqueFd(ready[0]);
            exit_fd_ = UniqueFd(ex[1]);
            // Relative paths: slirp4netns binds its socket from dir_ (a
            // unix socket path is limited to 108 bytes).
            helper_pid_ = spawn(slirp_argv(netns_path(), 3, 4, "slirp.sock"), *path, log_file(dir_),
                                {ready_w.get(), exit_r.get()}, dir_);
            fs::write_volatile(pid_file(dir_), std::to_string(helper_pid_) + "\n");
        }
    } catch (...) {
        remove_netns(netns_path());
        throw;
    }
}

void PrivateNetwork::wait_ready() {
    if (ready_ || helper_pid_ <= 0) return;
    if (helper_ == "pasta") {
        // pasta's first process exits once the namespace is configured and
        // its daemon (whose pid it wrote) serves.
        int st = 0;
        while (::waitpid(helper_pid_, &st, 0) < 0 && errno == EINTR) {
        }
        helper_pid_ = -1;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            std::string why = helper_errors(dir_);
            stop();
            throw Error("pasta failed to set up the container's network: " + why);
        }
    } else {
        char c;
        ssize_t n;
        while ((n = ::read(ready_fd_.get(), &c, 1)) < 0 && errno == EINTR) {
        }
        ready_fd_.reset();
        if (n != 1) {
            std::string why = helper_errors(dir_);
            stop();
            throw Error("slirp4netns failed to set up the container's network: " + why);
        }
        try {
            slirp_add_ports(dir_ + "/slirp.sock", ports_);
        } catch (...) {
            stop();
            throw;
        }
    }
    ready_ = true;
    fs::write_volatile(ports_file(dir_), ports_to_json(ports_).dump());
}

void PrivateNetwork::stop() noexcept {
    if (helper_pid_ > 0) {
        exit_fd_.reset();  // slirp4netns: asks it to quit
        ::kill(helper_pid_, SIGKILL);
        dying_.push_back(helper_pid_);
        ::unlink(pid_file(dir_).c_str());
    }
    helper_pid_ = -1;
    ready_fd_.reset();
    exit_fd_.reset();
    if (pid_t p = kill_recorded_helper(dir_)) dying_.push_back(p);
    reap();
    ::unlink(ports_file(dir_).c_str());
    ::unlink((dir_ + "/slirp.sock").c_str());
    remove_netns(netns_path());
    ready_ = false;
}

std::vector<PortMapping> published_ports(const std::string& dir) {
    auto text = fs::read_file_if_exists(ports_file(dir));
    if (!text) return {};
    return ports_from_json(Json::parse(*text, nullptr, false));
}

void reap_orphan_network(const std::string& dir) {
    kill_recorded_helper(dir);
    ::unlink(ports_file(dir).c_str());
}

}  // namespace skiff::net

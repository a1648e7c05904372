#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "net/helpers.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/json.hpp"

namespace skiff::net {

std::vector<std::string> slirp_argv(const std::string& netns, int ready_fd, int exit_fd, const std::string& api_socket) {
    // Its defaults: 10.0.2.100/24, gateway 10.0.2.2 (the host's loopback),
    // resolver 10.0.2.3. --exit-fd: it quits when the monitor's end closes,
    // also after kill -9 of the monitor.
    return {"slirp4netns", "--configure", "--mtu=65520", "--netns-type=path",
            "--ready-fd=" + std::to_string(ready_fd), "--exit-fd=" + std::to_string(exit_fd),
            "--api-socket", api_socket, netns, "tap0"};
}

namespace {
std::string dirname_of(const std::string& p) { return p.substr(0, p.rfind('/')); }
}  // namespace

void slirp_add_ports(const std::string& api_socket, const std::vector<PortMapping>& ports) {
    for (auto& m : ports) {
        UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!s) throw_errno("socket");
        // Run dirs nest deep; the directory's descriptor keeps the path short.
        UniqueFd dir(::open(dirname_of(api_socket).c_str(), O_PATH | O_CLOEXEC));
        if (!dir) throw_errno("open " + dirname_of(api_socket));
        std::string shortp = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + api_socket.substr(api_socket.rfind('/') + 1);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (shortp.size() >= sizeof addr.sun_path) throw Error("slirp4netns API socket path is too long: " + api_socket);
        std::strcpy(addr.sun_path, shortp.c_str());
        if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
            throw_errno("connect to slirp4netns at " + api_socket);
        Json req = {{"execute", "add_hostfwd"},
                    {"arguments", {{"proto", m.proto}, {"host_addr", m.host_ip.empty() ? "0.0.0.0" : m.host_ip},
                                   {"host_port", m.host_port}, {"guest_port", m.container_port}}}};
        std::string text = req.dump();
        if (::write(s.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw_errno("write to slirp4netns");
        ::shutdown(s.get(), SHUT_WR);
        std::string reply;
        char buf[1024];
        ssize_t n;
        while ((n = ::read(s.get(), buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
        auto j = Json::parse(reply, nullptr, false);
        if (j.is_discarded() || j.contains("error"))
            throw Error("slirp4netns could not publish port " + std::to_string(m.container_port) + "/" + m.proto + ": " +
                        (j.is_discarded() ? reply : j["error"].dump()));
    }
}

}  // namespace skiff::net

#include "net/netd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "net/cidr.hpp"
#include "net/cidr6.hpp"
#include "net/dns_responder.hpp"
#include "net/host_addresses.hpp"
#include "net/netd_client.hpp"
#include "net/netlink.hpp"
#include "net/nft6_rules.hpp"
#include "net/nft_rules.hpp"
#include "net/port_relay.hpp"
#include "net/private_net.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/unixsock.hpp"

namespace skiff::net {

std::string bridge_name(const std::string& network_id) { return "br-" + network_id.substr(0, 12); }

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kLinger = std::chrono::seconds(2);
// Rootless: the firewall mark and routing table that deliver the relay's
// replies locally; the namespace is ours alone, any values would do.
constexpr uint32_t kRelayMark = 0x736b;
constexpr uint32_t kRelayTable = 0x736b;

// A container as its monitor registered it (records/ID.json).
struct Member {
    Json record;  // as registered (records/ID.json)
    std::string id, name, hostname;
    pid_t monitor = -1;
    std::vector<sockaddr_in> dns;  // its --dns servers
    struct Net {
        std::string network_id, ip;
        std::string ip6;  // dual-stack networks
        std::vector<std::string> names;  // lower case: name, short ID, hostname, aliases
    };
    std::vector<Net> nets;
};

struct Bridge {
    std::string name, subnet, gateway;
    bool internal = false;
    bool builtin = false;  // root's default network
    std::string subnet6, gateway6;  // dual-stack networks
};

using str::lower;

bool same_addresses(const Bridge& a, const Bridge& b) {
    return a.name == b.name && a.subnet == b.subnet && a.gateway == b.gateway && a.subnet6 == b.subnet6 &&
           a.gateway6 == b.gateway6 && a.internal == b.internal;
}

// One "nameserver" line's words.
std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> out;
    for (auto& w : str::split(str::trim(line), ' '))
        for (auto& x : str::split(w, '\t'))
            if (!x.empty()) out.push_back(x);
    return out;
}

// /proc/sys files take one write, no temp file.
void write_sysctl(const std::string& path, const std::string& value) {
    UniqueFd f(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!f || ::write(f.get(), value.data(), value.size()) < 0) throw_errno("write " + path);
}

sockaddr_in inet(const std::string& ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) throw Error("not an IPv4 address: " + ip);
    return a;
}

Member read_member(const Json& j) {
    Member m;
    m.record = j;
    m.id = j.value("id", "");
    m.name = j.value("name", "");
    m.hostname = j.value("hostname", "");
    m.monitor = j.value("monitor_pid", -1);
    for (auto& d : j.value("dns", std::vector<std::string>{}))
        if (parse_ipv4(d)) m.dns.push_back(inet(d, 53));
    for (auto& n : j.value("networks", Json::array())) {
        Member::Net net;
        net.network_id = n.value("id", "");
        net.ip = n.value("ip", "");
        net.ip6 = n.value("ip6", "");
        if (n.value("dns_names", true)) {
            std::set<std::string> names = {lower(m.name), lower(m.id.substr(0, 12))};
            if (!m.hostname.empty()) names.insert(lower(m.hostname));
            for (auto& a : n.value("aliases", std::vector<std::string>{})) names.insert(lower(a));
            net.names.assign(names.begin(), names.end());
        }
        m.nets.push_back(std::move(net));
    }
    return m;
}

// The host's resolvers, as the daemon's namespace reaches them.
std::vector<sockaddr_in> host_resolvers(const std::string& loopback_replacement) {
    std::vector<sockaddr_in> out;
    for (auto& line : str::split(fs::read_file_if_exists("/etc/resolv.conf").value_or(""), '\n')) {
        auto words = words_of(line);
        if (words.size() < 2 || words[0] != "nameserver" || !parse_ipv4(words[1])) continue;
        std::string ip = words[1];
        if (ip.rfind("127.", 0) == 0 && !loopback_replacement.empty()) ip = loopback_replacement;
        out.push_back(inet(ip, 53));
    }
    return out;
}

// The responder's socket on a network's gateway, IPv4 or IPv6 (UDP, or
// TCP: dns_tcp.hpp).
UniqueFd dns_socket(int family, const std::string& gateway, int type = SOCK_DGRAM) {
    UniqueFd s(::socket(family, type | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    // The connections the responder closed linger in TIME_WAIT: the next
    // daemon on this gateway must still bind.
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string where = gateway + ":53";
    if (family == AF_INET) {
        auto a = inet(gateway, 53);
        std::memcpy(&addr, &a, sizeof a);
        len = sizeof a;
    } else {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(53);
        auto ip = parse_ipv6(gateway);
        if (!ip) throw Error("not an IPv6 address: " + gateway);
        std::memcpy(&a.sin6_addr, ip->data(), ip->size());
        std::memcpy(&addr, &a, sizeof a);
        len = sizeof a;
        where = "[" + gateway + "]:53";
    }
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len) < 0) throw_errno("bind the DNS responder to " + where);
    return s;
}

// Without TCP (something else has the port) names still resolve over UDP.
UniqueFd dns_tcp_socket(int family, const std::string& gateway) {
    try {
        return dns_socket(family, gateway, SOCK_STREAM);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netd: %s: DNS over TCP is off there\n", e.what());
        return {};
    }
}

// A dual-stack bridge: IPv6 on (a host whose default is off still gets it
// here, as Docker does), the gateway address, and forwarding when the
// network has a way out.
void setup_ipv6(Netlink& nl, const Bridge& b) {
    if (!fs::exists("/proc/sys/net/ipv6"))
        throw Error("network subnet " + b.subnet6 + " needs IPv6, which this kernel has disabled (ipv6.disable=1)");
    write_sysctl("/proc/sys/net/ipv6/conf/" + b.name + "/disable_ipv6", "0\n");
    nl.add_ipv6_address(b.name, b.gateway6, parse_cidr6(b.subnet6).prefix);
    const std::string forwarding = "/proc/sys/net/ipv6/conf/all/forwarding";
    if (!b.internal && str::trim(fs::read_file_if_exists(forwarding).value_or("")) != "1")
        write_sysctl(forwarding, "1\n");
}

class Daemon {
public:
    explicit Daemon(const NetdOptions& o) : o_(o), files_(o.dir) {
        table_ = o.rootless ? "skiff" : "skiff_" + Sha256::of(o.dir).substr(0, 8);
    }

    void start();
    int loop();

private:
    void handle_client(int fd);
    void add(const std::string& id, std::vector<UniqueFd> fds);
    void remove(const std::string& id);
    void update(const std::string& id);
    Json load_record(const std::string& id) const;
    void reconcile();
    void sweep();
    bool try_quit();
    void teardown() noexcept;

    NetdOptions o_;
    NetdFiles files_;
    std::string table_, applied_;
    std::unique_ptr<PrivateNetwork> uplink_;
    std::vector<sockaddr_in> host_dns_;
    std::map<std::string, Member> members_;
    std::map<std::string, Bridge> bridges_;  // by network id, as set up now
    std::unique_ptr<DnsResponder> dns_;
    PortRelay relay_;
    uint32_t relay_mark_ = 0;  // rootless, when the relay is transparent
    UniqueFd listener_, lock_;
    std::optional<Clock::time_point> empty_since_;
};

void Daemon::start() {
    fs::make_dirs(files_.records(), 0700);
    std::string dns_forward;
    if (o_.rootless) {
        // The uplink's namespace becomes ours: everything below happens
        // inside it, and the host's stays reachable only through the helper.
        uplink_ = std::make_unique<PrivateNetwork>(o_.helper, files_.uplink());
        uplink_->start({});
        uplink_->wait_ready();
        UniqueFd ns(::open(uplink_->netns_path().c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns || ::setns(ns.get(), CLONE_NEWNET) < 0) throw_errno("enter the networks' namespace");
        Netlink nl;
        nl.set_up("lo");
        // The relay connects to containers from its clients' addresses;
        // the containers' replies come back to it (nft_rules.hpp). Best
        // effort: without it they see the gateway's address.
        try {
            nl.route_marked_locally(kRelayMark, kRelayTable);
            relay_mark_ = kRelayMark;
            relay_.set_transparent(true);
        } catch (const Error& e) {
            std::fprintf(stderr, "netd: %s; published ports show the containers the gateway's address\n", e.what());
        }
        dns_forward = helper_addresses(o_.helper).dns_forward;
    }
    // Routing between the bridges and the uplink (rootless: only inside
    // our namespace; as root the host forwards, as with Docker).
    write_sysctl("/proc/sys/net/ipv4/ip_forward", "1\n");
    host_dns_ = host_resolvers(dns_forward);
    // What the responder asks, for IPv4 (ip, parse_ipv4) and IPv6 (ip6, parse_ipv6) alike.
    auto named = [this](const std::string& net, const std::string& name, auto field, auto parse) {
        std::vector<std::decay_t<decltype(*parse(std::string()))>> out;
        for (auto& [_, m] : members_)
            for (auto& n : m.nets)
                if (n.network_id == net && std::find(n.names.begin(), n.names.end(), name) != n.names.end())
                    if (auto a = parse(n.*field)) out.push_back(*a);
        return out;
    };
    // The member with this address on `net`, and its entry there.
    auto member_at = [this](const std::string& net, auto field, auto parse,
                            const auto& addr) -> std::pair<const Member*, const Member::Net*> {
        for (auto& [_, m] : members_)
            for (auto& n : m.nets)
                if (n.network_id == net && parse(n.*field) == addr) return {&m, &n};
        return {nullptr, nullptr};
    };
    auto v4 = [](const std::string& t) { return parse_ipv4(t); };
    auto v6 = [](const std::string& t) { return parse_ipv6(t); };
    DnsView view;
    view.lookup = [=](const std::string& net, const std::string& name) { return named(net, name, &Member::Net::ip, v4); };
    view.lookup6 = [=](const std::string& net, const std::string& name) {
        return named(net, name, &Member::Net::ip6, v6);
    };
    // Without names there (the default network) there is none to give back either.
    auto name_of = [](std::pair<const Member*, const Member::Net*> found) -> std::optional<std::string> {
        if (!found.first || found.second->names.empty()) return std::nullopt;
        return found.first->name;
    };
    view.reverse = [=](const std::string& net, uint32_t ip) {
        return name_of(member_at(net, &Member::Net::ip, v4, std::optional<uint32_t>(ip)));
    };
    view.reverse6 = [=](const std::string& net, const Ipv6Addr& ip) {
        return name_of(member_at(net, &Member::Net::ip6, v6, std::optional<Ipv6Addr>(ip)));
    };
    // The container's --dns servers, else the host's.
    auto upstreams_of = [this](std::pair<const Member*, const Member::Net*> found) {
        return found.first && !found.first->dns.empty() ? found.first->dns : host_dns_;
    };
    view.upstreams = [=](const std::string& net, uint32_t client) {
        return upstreams_of(member_at(net, &Member::Net::ip, v4, std::optional<uint32_t>(client)));
    };
    view.upstreams6 = [=](const std::string& net, const Ipv6Addr& client) {
        return upstreams_of(member_at(net, &Member::Net::ip6, v6, std::optional<Ipv6Addr>(client)));
    };
    dns_ = std::make_unique<DnsResponder>(view);
    lock_ = UniqueFd(::open(files_.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ::unlink(files_.socket().c_str());
    listener_ = unixsock::listen_at(files_.socket());
    fs::write_volatile(files_.pid_file(), std::to_string(::getpid()) + "\n");
}

void Daemon::reconcile() {
    // The networks of the registered containers, from their records.
    std::map<std::string, Bridge> want;
    for (auto& [id, m] : members_) {
        for (auto& n : m.record.value("networks", Json::array())) {
            Bridge b;
            b.name = n.value("bridge", "");
            b.subnet = n.value("subnet", "");
            b.gateway = n.value("gateway", "");
            b.internal = n.value("internal", false);
            b.builtin = n.value("builtin", false);
            b.subnet6 = n.value("subnet6", "");
            b.gateway6 = n.value("gateway6", "");
            want[n.value("id", "")] = b;
        }
    }
    Netlink nl;
    for (auto it = bridges_.begin(); it != bridges_.end();) {
        // The last container gone: everything stays for the grace period
        // (teardown() removes it when the daemon quits). A network whose
        // addresses changed meanwhile (the default network moved) is made anew.
        auto w = want.find(it->first);
        if (w != want.end() ? same_addresses(w->second, it->second) : members_.empty()) {
            ++it;
            continue;
        }
        dns_->remove_listener(it->first);
        nl.delete_link(it->second.name);
        it = bridges_.erase(it);
    }
    for (auto& [id, b] : want) {
        if (bridges_.count(id)) continue;
        // Refuse before touching anything: two bridges with one address
        // (another store's network, as root) would break both.
        // (Our own bridge left by a daemon killed with -9 is taken over.)
        if (auto taken = interface_with(b.gateway); taken && *taken != b.name)
            throw Error("network subnet " + b.subnet + " is in use on this host (" + b.gateway + " is on " + *taken +
                        (b.builtin ? "); the default network moves to a free subnet once no container is on it "
                                     "(skiff ps -a --filter network=bridge), or use --network pasta"
                                   : ": another store's network?); create the network with another --subnet"));
        if (!b.gateway6.empty())
            if (auto taken = interface_with(b.gateway6); taken && *taken != b.name)
                throw Error("network subnet " + b.subnet6 + " is in use on this host (" + b.gateway6 + " is on " +
                            *taken + ": another store's network?); create the network with another --subnet");
        nl.create_bridge(b.name);
        try {
            nl.add_ipv4_address(b.name, b.gateway, parse_cidr(b.subnet).prefix);
            nl.set_up(b.name);
            // The host's loopback clients of published ports are DNAT'd
            // onto the bridge (nft_rules.hpp); the kernel drops them unless told.
            if (!o_.rootless) write_sysctl("/proc/sys/net/ipv4/conf/" + b.name + "/route_localnet", "1\n");
            if (!b.subnet6.empty()) setup_ipv6(nl, b);
            dns_->add_listener(id, dns_socket(AF_INET, b.gateway), dns_tcp_socket(AF_INET, b.gateway));
            if (!b.subnet6.empty())
                dns_->add_listener6(id, dns_socket(AF_INET6, b.gateway6), dns_tcp_socket(AF_INET6, b.gateway6));
        } catch (...) {
            dns_->remove_listener(id);  // its sockets hold the gateway's port 53
            nl.delete_link(b.name);
            throw;
        }
        bridges_[id] = b;
    }
    std::vector<BridgeRules> rules;
    for (auto& [_, b] : bridges_) rules.push_back({b.name, b.subnet, b.internal});
    std::vector<Bridge6Rules> rules6;
    for (auto& [_, b] : bridges_)
        if (!b.subnet6.empty()) rules6.push_back({b.name, b.subnet6, b.internal});
    // As root the kernel forwards what other hosts send to a published
    // port, so the container sees their address; rootless everything comes
    // through the relay, which connects from its client's address.
    std::vector<DnatRule> dnat;
    if (!o_.rootless)
        for (auto& [id, m] : members_) {
            std::string target = m.record.value("target_ip", "");
            for (auto& p : m.record.value("ports", Json::array()))
                dnat.push_back({p.value("proto", "tcp"), p.value("host_ip", ""),
                                static_cast<uint16_t>(p.value("host_port", 0)), target,
                                static_cast<uint16_t>(p.value("container_port", 0))});
        }
    std::string script = nft_script(table_, rules, dnat, relay_mark_) + nft6_script(table_, rules6);
    if (script == applied_) return;
    try {
        apply_nft(script);
    } catch (const Error& e) {
        if (!relay_mark_) throw;
        // A kernel without nft's socket match: the relay connects from our
        // own address again, and the networks still work.
        std::fprintf(stderr, "netd: %s; published ports show the containers the gateway's address\n", e.what());
        relay_mark_ = 0;
        relay_.set_transparent(false);
        script = nft_script(table_, rules, dnat, 0) + nft6_script(table_, rules6);
        apply_nft(script);
    }
    applied_ = script;
}

Json Daemon::load_record(const std::string& id) const {
    auto text = fs::read_file_if_exists(files_.record(id));
    if (!text) throw Error("no record for container " + id);
    Json j = Json::parse(*text, nullptr, false);
    if (!j.is_object()) throw Error("the record of container " + id + " is not JSON");
    return j;
}

void Daemon::add(const std::string& id, std::vector<UniqueFd> fds) {
    Json j = load_record(id);
    members_[id] = read_member(j);
    relay_.remove(id);
    try {
        reconcile();
        auto ports = j.value("ports", Json::array());
        std::string target = j.value("target_ip", "");
        if (ports.size() != fds.size()) throw Error("container " + id + " sent " + std::to_string(fds.size()) +
                                                    " sockets for " + std::to_string(ports.size()) + " ports");
        for (size_t i = 0; i < fds.size(); ++i)
            relay_.add(id, std::move(fds[i]), ports[i].value("proto", "tcp") == "udp",
                       inet(target, static_cast<uint16_t>(ports[i].value("container_port", 0))));
    } catch (...) {
        members_.erase(id);
        relay_.remove(id);
        throw;
    }
}

// Connected or disconnected while running: names and bridges change, the
// published ports stay.
void Daemon::update(const std::string& id) {
    if (!members_.count(id)) throw Error("container " + id + " is not registered");
    members_[id] = read_member(load_record(id));
    reconcile();
}

void Daemon::remove(const std::string& id) {
    members_.erase(id);
    relay_.remove(id);
    ::unlink(files_.record(id).c_str());
    reconcile();
}

void Daemon::handle_client(int fd) {
    UniqueFd c(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) return;
    timeval tv{5, 0};
    ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<UniqueFd> fds;
    std::string req = str::trim(unixsock::recv(c.get(), &fds));
    std::string reply = "ok\n";
    try {
        auto [verb, id] = str::split_once(req, ' ');
        if (id.empty() || id.find('/') != std::string::npos) throw Error("bad request \"" + req + "\"");
        if (verb == "add") add(id, std::move(fds));
        else if (verb == "update") update(id);
        else if (verb == "del") remove(id);
        else throw Error("unknown request \"" + verb + "\"");
    } catch (const std::exception& e) {
        reply = std::string("error ") + e.what() + "\n";
    }
    try {
        unixsock::send(c.get(), reply);
    } catch (const std::exception&) {
    }
}

// Monitors killed with -9 never said "del".
void Daemon::sweep() {
    std::vector<std::string> gone;
    for (auto& [id, m] : members_)
        if (m.monitor > 0 && ::kill(m.monitor, 0) < 0 && errno == ESRCH) gone.push_back(id);
    for (auto& id : gone) {
        try {
            remove(id);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "netd: %s\n", e.what());
        }
    }
}

// Quits when no container is left and nobody is about to add one (a
// starter holds the lock shared until its container registered).
bool Daemon::try_quit() {
    if (!members_.empty()) {
        empty_since_.reset();
        return false;
    }
    // A short grace: back-to-back `run --rm` on a network (a script, a test
    // suite) would otherwise pay for a new daemon and bridge each time.
    auto now = Clock::now();
    if (!empty_since_) empty_since_ = now;
    if (now - *empty_since_ < kLinger) return false;
    if (::flock(lock_.get(), LOCK_EX | LOCK_NB) < 0) return false;
    ::unlink(files_.pid_file().c_str());
    ::unlink(files_.socket().c_str());
    listener_.reset();
    teardown();
    return true;  // the lock goes with the process
}

void Daemon::teardown() noexcept {
    try {
        Netlink nl;
        for (auto& [id, b] : bridges_) nl.delete_link(b.name);
        bridges_.clear();
        if (!applied_.empty()) apply_nft(nft_script(table_, {}) + nft6_script(table_, {}));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netd: cleaning up: %s\n", e.what());
    }
    uplink_.reset();  // stops pasta; the namespace goes with its last user
}

int Daemon::loop() {
    auto next_sweep = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        std::vector<pollfd> p;
        p.push_back({listener_.get(), POLLIN, 0});
        p.push_back({relay_.fd(), POLLIN, 0});
        for (pollfd d : dns_->poll_fds()) p.push_back(d);
        int timeout = 1000;
        if (auto t = dns_->next_timeout()) timeout = std::min<int>(timeout, static_cast<int>(t->count()));
        if (members_.empty()) timeout = std::min(timeout, 100);
        int n = ::poll(p.data(), p.size(), timeout);
        if (n < 0 && errno != EINTR) throw_errno("poll");
        auto now = Clock::now();
        if (n > 0) {
            if (p[0].revents) handle_client(listener_.get());
            if (p[1].revents) relay_.run();
            for (size_t i = 2; i < p.size(); ++i)
                if (p[i].revents) dns_->handle(p[i].fd, p[i].revents);
        }
        dns_->expire(now);
        if (now >= next_sweep) {
            sweep();
            relay_.expire(now);
            next_sweep = now + std::chrono::seconds(2);
        }
        if (try_quit()) return 0;
    }
}

}  // namespace

int run_netd(const NetdOptions& o) {
    // The starter waits for EOF: no helper we spawn may inherit this pipe.
    if (o.ready_fd >= 0) ::fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC);
    ::signal(SIGPIPE, SIG_IGN);
    Daemon d(o);
    try {
        d.start();
    } catch (const std::exception& e) {
        std::string msg = std::string(e.what()) + "\n";
        if (o.ready_fd >= 0) (void)!::write(o.ready_fd, msg.data(), msg.size());
        std::fprintf(stderr, "netd: %s", msg.c_str());
        return 1;
    }
    if (o.ready_fd >= 0) {
        (void)!::write(o.ready_fd, "ok\n", 3);
        ::close(o.ready_fd);
    }
    try {
        return d.loop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netd: %s\n", e.what());
        return 1;
    }
}

}  // namespace skiff::net

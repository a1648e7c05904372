// The writing half of --log-driver journald, apart from the reader: the
// small idle monitor (skiff-monitor, a static binary) links it without
// libsystemd's dlopen or the template engine.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "container/journald.hpp"
#include "util/error.hpp"

namespace skiff::container {

namespace {

void put_le64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

bool journald_available() {
    struct stat st;
    return ::stat(kJournalSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string journal_datagram(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (auto& [k, v] : fields) {
        if (v.find('\n') == std::string::npos) {
            out += k + "=" + v + "\n";
        } else {
            // Binary-safe form: KEY\n, the length as little-endian 64 bits, the bytes, \n.
            out += k + "\n";
            put_le64(out, v.size());
            out += v + "\n";
        }
    }
    return out;
}

JournalSink::JournalSink(std::string id, std::string name, std::string tag)
    : id_(std::move(id)), name_(std::move(name)), tag_(std::move(tag)) {
    fd_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw_errno("journald socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, kJournalSocket, sizeof addr.sun_path - 1);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno(std::string("log driver journald: connect ") + kJournalSocket);
}

void JournalSink::send(bool is_stderr, std::string_view line, bool partial) {
    std::vector<std::pair<std::string, std::string>> f = {
        {"MESSAGE", std::string(line)},
        {"CONTAINER_ID", id_.substr(0, 12)},
        {"CONTAINER_ID_FULL", id_},
        {"CONTAINER_NAME", name_},
        {"CONTAINER_TAG", tag_},
        {"SYSLOG_IDENTIFIER", tag_},
        {"PRIORITY", is_stderr ? "3" : "6"},
    };
    if (partial) f.emplace_back("CONTAINER_PARTIAL_MESSAGE", "true");
    std::string d = journal_datagram(f);
    // A journald that is gone or a line too long for one datagram: the
    // line is dropped, as for a full disk with a log file.
    ssize_t n = ::send(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EMSGSIZE) {
        f[0].second = std::string(line.substr(0, 32768));
        d = journal_datagram(f);
        ::send(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL);
    }
}

}  // namespace skiff::container

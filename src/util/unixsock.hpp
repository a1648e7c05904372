// Unix sockets with file descriptor passing: how clients hand their
// terminal to a container's monitor (attach) and get messages back.
#pragma once

#include <string>
#include <vector>

#include "util/fd.hpp"

namespace skiff::unixsock {

UniqueFd listen_at(const std::string& path);
// Connects; throws when nobody listens.
UniqueFd connect_to(const std::string& path);
// Sends one message with optional descriptors attached.
void send(int sock, const std::string& msg, const std::vector<int>& fds = {});
// Receives one message (up to 4 KiB) and any descriptors; empty string on EOF.
std::string recv(int sock, std::vector<UniqueFd>* fds = nullptr);

// Buffers a stream socket into "\n"-terminated lines.
class LineReader {
public:
    // Reads what is available; false on EOF/error.
    bool fill(int fd, std::vector<UniqueFd>* fds = nullptr);
    bool next(std::string& line);
    // Text already read by someone else, to be split like the rest.
    void push(const std::string& text) { buf_ += text; }

private:
    std::string buf_;
};

}  // namespace skiff::unixsock

// --log-driver journald. Writing speaks journald's native protocol on its
// socket (a datagram of KEY=VALUE fields, as sd_journal_sendv sends), so
// the monitor loads no library. Reading (`logs`) goes through libsystemd's
// sd_journal API, loaded with dlopen on first use: skiff starts and runs
// without libsystemd installed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "container/logs.hpp"
#include "util/fd.hpp"

namespace skiff::container {

inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Whether a journald listens here.
bool journald_available();

// One journal entry in the native protocol's form.
std::string journal_datagram(const std::vector<std::pair<std::string, std::string>>& fields);

// --log-opt tag: a Go template over the container ({{.Name}}, {{.ID}},
// {{.FullID}}, {{.ImageName}}, {{.ImageID}}); without one, the name.
std::string journal_tag(const std::string& tmpl, const std::string& id, const std::string& name,
                        const std::string& image_name, const std::string& image_id);

// The monitor's side: one entry per line, with Podman's fields
// (CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG and
// SYSLOG_IDENTIFIER = the tag, PRIORITY 6 for stdout and 3 for stderr,
// CONTAINER_PARTIAL_MESSAGE).
class JournalSink {
public:
    JournalSink(std::string id, std::string name, std::string tag);
    void send(bool is_stderr, std::string_view line, bool partial);

private:
    std::string id_, name_, tag_;
    UniqueFd fd_;
};

// `logs`: the container's entries, oldest first.
class JournalReader {
public:
    explicit JournalReader(const std::string& id);
    ~JournalReader();
    JournalReader(const JournalReader&) = delete;
    JournalReader& operator=(const JournalReader&) = delete;
    // The next entry; false at the end (for now).
    bool next(LogLine& out);
    // Waits up to timeout_ms for new entries.
    void wait(int timeout_ms);

private:
    void* j_ = nullptr;
};

}  // namespace skiff::container

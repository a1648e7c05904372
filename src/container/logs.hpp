// Container logs: Podman's k8s-file format (default) and Docker's json-file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace skiff::container {

class JournalSink;

// Appends lines as "TIME STREAM P|F TEXT" (k8s-file) or Docker's JSON
// lines. Partial lines are flushed as they come (P) so `logs -f` is live.
class LogWriter {
public:
    // driver: k8s-file | json-file | none | journald (then use_journal()).
    // max_size 0: unlimited; beyond it the file is rotated to PATH.1 (one
    // generation, as Podman does).
    LogWriter(std::string path, std::string driver, int64_t max_size);
    ~LogWriter();
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;
    void write(bool is_stderr, std::string_view data);
    // journald: the lines go to the journal, tagged with the container.
    void use_journal(const std::string& id, const std::string& name, const std::string& tag);

private:
    void emit(bool is_stderr, std::string_view line, bool partial);
    void rotate_if_needed();
    std::string path_, driver_;
    int64_t max_size_;
    int fd_ = -1;
    int64_t size_ = 0;
    std::unique_ptr<JournalSink> journal_;
};

struct LogLine {
    int64_t time_ns = 0;
    bool is_stderr = false;
    bool partial = false;
    std::string text;  // without the trailing newline
};

// Parses one line of either format; false when it is not a log line.
bool parse_log_line(std::string_view line, LogLine& out);

}  // namespace skiff::container

#include "container/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/journald.hpp"
#include "util/error.hpp"
#include "util/json.hpp"
#include "util/timeutil.hpp"

namespace skiff::container {

LogWriter::LogWriter(std::string path, std::string driver, int64_t max_size)
    : path_(std::move(path)), driver_(std::move(driver)), max_size_(max_size) {
    if (driver_ == "none" || driver_ == "journald") return;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) throw_errno("open log " + path_);
    struct stat st;
    if (::fstat(fd_, &st) == 0) size_ = st.st_size;
}

LogWriter::~LogWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void LogWriter::use_journal(const std::string& id, const std::string& name, const std::string& tag) {
    journal_ = std::make_unique<JournalSink>(id, name, tag);
}

void LogWriter::write(bool is_stderr, std::string_view data) {
    if (fd_ < 0 && !journal_) return;
    while (!data.empty()) {
        auto nl = data.find('\n');
        if (nl == std::string_view::npos) {
            emit(is_stderr, data, true);
            return;
        }
        emit(is_stderr, data.substr(0, nl), false);
        data.remove_prefix(nl + 1);
    }
}

void LogWriter::emit(bool is_stderr, std::string_view line, bool partial) {
    if (journal_) {
        journal_->send(is_stderr, line, partial);
        return;
    }
    std::string out;
    std::string time = timeutil::rfc3339_nano(timeutil::now_ns());
    if (driver_ == "json-file") {
        Json j = {{"log", std::string(line) + (partial ? "" : "\n")}, {"stream", is_stderr ? "stderr" : "stdout"},
                  {"time", time}};
        out = j.dump() + "\n";
    } else {
        out = time + (is_stderr ? " stderr " : " stdout ") + (partial ? "P " : "F ");
        out.append(line);
        out += '\n';
    }
    // A full disk must not kill the container: the line is dropped.
    ssize_t n = ::write(fd_, out.data(), out.size());
    if (n > 0) size_ += n;
    rotate_if_needed();
}

void LogWriter::rotate_if_needed() {
    if (max_size_ <= 0 || size_ < max_size_) return;
    std::string old = path_ + ".1";
    ::rename(path_.c_str(), old.c_str());
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ::close(fd_);
    fd_ = fd;
    size_ = 0;
}

bool parse_log_line(std::string_view line, LogLine& out) {
    if (line.empty()) return false;
    if (line[0] == '{') {
        try {
            Json j = Json::parse(line);
            std::string text = j.value("log", "");
            out.partial = text.empty() || text.back() != '\n';
            if (!out.partial) text.pop_back();
            out.text = text;
            out.is_stderr = j.value("stream", "") == "stderr";
            out.time_ns = timeutil::parse_time(j.value("time", ""), 0);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return false;
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 + 2 > line.size()) return false;
    try {
        out.time_ns = timeutil::parse_time(line.substr(0, sp1), 0);
    } catch (const Error&) {
        return false;
    }
    out.is_stderr = line.substr(sp1 + 1, sp2 - sp1 - 1) == "stderr";
    out.partial = line[sp2 + 1] == 'P';
    out.text = std::string(line.size() > sp2 + 3 ? line.substr(sp2 + 3) : std::string_view());
    return true;
}

}  // namespace skiff::container

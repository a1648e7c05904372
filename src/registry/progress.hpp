// Pull and push progress, Docker's way: on a terminal one live row per
// layer with a bar, size and speed; otherwise one line per event, so logs
// stay readable. Everything goes to stderr: stdout keeps only the result.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace skiff::registry {

class Progress {
public:
    enum class Mode { Quiet, Lines, Bars };
    // Bars when stderr is a terminal (and TERM is not "dumb"), else Lines.
    static Mode mode_for(bool quiet);

    explicit Progress(Mode mode, std::FILE* out = stderr);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    Mode mode() const { return mode_; }
    // A message line ("latest: Pulling from library/busybox").
    void line(const std::string& text);
    // A row for one blob, shown as "ID: STATUS"; returns its handle.
    int add(const std::string& id, const std::string& status, uint64_t total = 0);
    // A new status for a row: an event line, or a redraw.
    void status(int row, const std::string& status);
    // Bytes moved for a row (bars and speed; silent in Lines mode).
    void advance(int row, uint64_t bytes);

private:
    struct Row {
        std::string id, status;
        uint64_t done = 0, total = 0;
        bool moving = false;
        std::chrono::steady_clock::time_point started;
    };
    std::string render(const Row& r) const;
    void redraw(bool force);

    Mode mode_;
    std::FILE* out_;
    std::mutex mu_;
    std::vector<Row> rows_;
    size_t drawn_ = 0;  // rows on screen below the last message line
    std::chrono::steady_clock::time_point last_draw_{};
    int width_ = 80;
};

// Docker's short form of a digest for progress rows: 12 hex characters.
std::string short_digest(const std::string& digest);

}  // namespace skiff::registry

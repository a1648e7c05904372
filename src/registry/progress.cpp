#include "registry/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "util/strings.hpp"

namespace skiff::registry {

namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr int kBarWidth = 20;

}  // namespace

std::string short_digest(const std::string& digest) {
    auto colon = digest.find(':');
    return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

Progress::Mode Progress::mode_for(bool quiet) {
    if (quiet) return Mode::Quiet;
    const char* term = std::getenv("TERM");
    if (::isatty(2) && !(term && std::string(term) == "dumb")) return Mode::Bars;
    return Mode::Lines;
}

Progress::Progress(Mode mode, std::FILE* out) : mode_(mode), out_(out) {
    if (mode_ == Mode::Bars) {
        winsize ws{};
        if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width_ = ws.ws_col;
    }
}

Progress::~Progress() {
    std::lock_guard lk(mu_);
    if (mode_ == Mode::Bars) redraw(true);
    std::fflush(out_);
}

void Progress::line(const std::string& text) {
    if (mode_ == Mode::Quiet) return;
    std::lock_guard lk(mu_);
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
    // Rows drawn so far stay above this line; later rows start below it.
    if (mode_ == Mode::Bars) {
        rows_.clear();
        drawn_ = 0;
    }
}

int Progress::add(const std::string& id, const std::string& status, uint64_t total) {
    std::lock_guard lk(mu_);
    Row r;
    r.id = id;
    r.status = status;
    r.total = total;
    rows_.push_back(r);
    int handle = static_cast<int>(rows_.size()) - 1;
    if (mode_ == Mode::Lines) {
        std::fprintf(out_, "%s: %s\n", id.c_str(), status.c_str());
        std::fflush(out_);
    } else if (mode_ == Mode::Bars) {
        redraw(true);
    }
    return handle;
}

void Progress::status(int row, const std::string& status) {
    if (mode_ == Mode::Quiet) return;
    std::lock_guard lk(mu_);
    if (row < 0 || static_cast<size_t>(row) >= rows_.size()) return;
    Row& r = rows_[static_cast<size_t>(row)];
    if (r.status == status) return;
    r.status = status;
    r.moving = false;
    if (mode_ == Mode::Lines) {
        std::fprintf(out_, "%s: %s\n", r.id.c_str(), status.c_str());
        std::fflush(out_);
    } else {
        redraw(true);
    }
}

void Progress::advance(int row, uint64_t bytes) {
    if (mode_ != Mode::Bars) return;
    std::lock_guard lk(mu_);
    if (row < 0 || static_cast<size_t>(row) >= rows_.size()) return;
    Row& r = rows_[static_cast<size_t>(row)];
    if (!r.moving) {
        r.moving = true;
        r.started = std::chrono::steady_clock::now();
    }
    r.done += bytes;
    redraw(false);
}

std::string Progress::render(const Row& r) const {
    std::string s = r.id + ": " + r.status;
    if (r.moving && r.total > 0) {
        double frac = std::min(1.0, static_cast<double>(r.done) / static_cast<double>(r.total));
        int fill = static_cast<int>(frac * kBarWidth);
        std::string bar(static_cast<size_t>(fill), '=');
        if (fill < kBarWidth) bar += '>';
        bar.resize(kBarWidth, ' ');
        s += " [" + bar + "] " + str::human_size(static_cast<double>(r.done)) + "/" +
             str::human_size(static_cast<double>(r.total));
    } else if (r.moving) {
        s += " " + str::human_size(static_cast<double>(r.done));
    }
    if (r.moving) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
        if (secs > 0.2) s += "  " + str::human_size(static_cast<double>(r.done) / secs) + "/s";
    }
    // A wrapped line would break the cursor arithmetic.
    if (static_cast<int>(s.size()) >= width_) s.resize(static_cast<size_t>(width_ - 1));
    return s;
}

void Progress::redraw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < kRedrawEvery) return;
    last_draw_ = now;
    std::string buf;
    if (drawn_ > 0) buf += "\x1b[" + std::to_string(drawn_) + "A";
    for (auto& r : rows_) buf += "\r\x1b[2K" + render(r) + "\n";
    drawn_ = rows_.size();
    std::fputs(buf.c_str(), out_);
    std::fflush(out_);
}

}  // namespace skiff::registry

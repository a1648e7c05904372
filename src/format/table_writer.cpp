// Go's text/tabwriter algorithm. Cells are aligned per "column block": a run
// of consecutive lines that all have a cell in that column. A line's last
// cell is not part of any column, which is why the last column of a table is
// never padded.
#include "format/output.hpp"

#include <algorithm>

#include "format/utf8.hpp"

namespace skiff::format {

namespace {

struct Cell {
    std::string_view text;
    size_t width = 0;
};

using Line = std::vector<Cell>;

struct Lines {
    std::vector<Line> lines;
    bool last_terminated = true;  // whether the final line ended with '\n'
};

Line split_cells(std::string_view line) {
    Line cells;
    size_t from = 0;
    for (;;) {
        size_t tab = line.find('\t', from);
        std::string_view text = line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from);
        cells.push_back({text, utf8::rune_count(text)});
        if (tab == std::string_view::npos) return cells;
        from = tab + 1;
    }
}

Lines split_lines(std::string_view text) {
    Lines out;
    size_t from = 0;
    while (from < text.size()) {
        size_t nl = text.find('\n', from);
        if (nl == std::string_view::npos) {
            out.lines.push_back(split_cells(text.substr(from)));
            out.last_terminated = false;
            break;
        }
        out.lines.push_back(split_cells(text.substr(from, nl - from)));
        from = nl + 1;
    }
    return out;
}

class Formatter {
public:
    Formatter(const Lines& lines, size_t min_width, size_t padding, std::string& out)
        : lines_(lines.lines), last_terminated_(lines.last_terminated), min_width_(min_width), padding_(padding), out_(out) {}

    void run() { format(0, lines_.size()); }

private:
    // Whether `line` has a cell in `column` that is not its last cell.
    bool has_column(size_t line, size_t column) const { return column + 1 < lines_[line].size(); }

    void format(size_t line0, size_t line1) {
        size_t column = widths_.size();
        for (size_t i = line0; i < line1; ++i) {
            if (!has_column(i, column)) continue;
            // A block of this column starts here: print what precedes it,
            // then find where it ends and how wide it is.
            write_lines(line0, i);
            line0 = i;
            size_t width = min_width_;
            for (; i < line1 && has_column(i, column); ++i) width = std::max(width, lines_[i][column].width + padding_);
            widths_.push_back(width);
            format(line0, i);
            widths_.pop_back();
            line0 = i;
        }
        write_lines(line0, line1);
    }

    void write_lines(size_t line0, size_t line1) {
        for (size_t i = line0; i < line1; ++i) {
            const Line& line = lines_[i];
            for (size_t j = 0; j < line.size(); ++j) {
                out_ += line[j].text;
                if (j < widths_.size() && widths_[j] > line[j].width) out_.append(widths_[j] - line[j].width, ' ');
            }
            if (i + 1 < lines_.size() || last_terminated_) out_ += '\n';
        }
    }

    const std::vector<Line>& lines_;
    bool last_terminated_;
    size_t min_width_;
    size_t padding_;
    std::string& out_;
    std::vector<size_t> widths_;
};

}  // namespace

void TableWriter::add_row(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) text_ += '\t';
        text_ += cells[i];
    }
    text_ += '\n';
}

std::string TableWriter::render() const {
    Lines lines = split_lines(text_);
    std::string out;
    out.reserve(text_.size() + lines.lines.size() * 16);
    Formatter(lines, min_width_, padding_, out).run();
    return out;
}

}  // namespace skiff::format

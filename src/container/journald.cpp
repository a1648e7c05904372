#include "container/journald.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <type_traits>

#include "format/template.hpp"
#include "util/error.hpp"
#include "util/json.hpp"

namespace skiff::container {

namespace {

// The few sd_journal functions `logs` needs, resolved once.
struct SdJournal {
    int (*open)(void**, int) = nullptr;
    void (*close)(void*) = nullptr;
    int (*add_match)(void*, const void*, size_t) = nullptr;
    int (*seek_head)(void*) = nullptr;
    int (*next)(void*) = nullptr;
    int (*get_data)(void*, const char*, const void**, size_t*) = nullptr;
    int (*get_realtime_usec)(void*, uint64_t*) = nullptr;
    int (*wait)(void*, uint64_t) = nullptr;
};

const SdJournal& sd() {
    static SdJournal s = [] {
        SdJournal r;
        void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!h)
            throw Error(std::string("reading journald logs needs libsystemd (libsystemd0): ") + ::dlerror());
        auto sym = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
            if (!fn) throw Error(std::string("libsystemd.so.0 has no ") + name);
        };
        sym(r.open, "sd_journal_open");
        sym(r.close, "sd_journal_close");
        sym(r.add_match, "sd_journal_add_match");
        sym(r.seek_head, "sd_journal_seek_head");
        sym(r.next, "sd_journal_next");
        sym(r.get_data, "sd_journal_get_data");
        sym(r.get_realtime_usec, "sd_journal_get_realtime_usec");
        sym(r.wait, "sd_journal_wait");
        return r;
    }();
    return s;
}

// A field's value ("MESSAGE=hi" -> "hi"), or nullopt.
std::optional<std::string> field(void* j, const char* name) {
    const void* data = nullptr;
    size_t len = 0;
    if (sd().get_data(j, name, &data, &len) < 0) return std::nullopt;
    std::string_view v(static_cast<const char*>(data), len);
    size_t skip = std::strlen(name) + 1;
    if (v.size() < skip) return std::nullopt;
    return std::string(v.substr(skip));
}


}  // namespace

std::string journal_tag(const std::string& tmpl, const std::string& id, const std::string& name,
                        const std::string& image_name, const std::string& image_id) {
    if (tmpl.empty()) return name;
    Json data = {{"Name", name}, {"ID", id.substr(0, 12)}, {"FullID", id}, {"ImageName", image_name},
                 {"ImageID", image_id}};
    return format::Template::parse(tmpl).render(data);
}

JournalReader::JournalReader(const std::string& id) {
    int rc = sd().open(&j_, 0);
    if (rc < 0) throw Error(std::string("open the journal: ") + std::strerror(-rc));
    std::string match = "CONTAINER_ID_FULL=" + id;
    sd().add_match(j_, match.data(), match.size());
    sd().seek_head(j_);
}

JournalReader::~JournalReader() {
    if (j_) sd().close(j_);
}

bool JournalReader::next(LogLine& out) {
    for (;;) {
        int rc = sd().next(j_);
        if (rc <= 0) return false;
        auto msg = field(j_, "MESSAGE");
        if (!msg) continue;
        uint64_t usec = 0;
        sd().get_realtime_usec(j_, &usec);
        out.time_ns = static_cast<int64_t>(usec) * 1000;
        out.is_stderr = field(j_, "PRIORITY").value_or("6") == "3";
        out.partial = field(j_, "CONTAINER_PARTIAL_MESSAGE").value_or("") == "true";
        out.text = *msg;
        return true;
    }
}

void JournalReader::wait(int timeout_ms) { sd().wait(j_, static_cast<uint64_t>(timeout_ms) * 1000); }

}  // namespace skiff::container

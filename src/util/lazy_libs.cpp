// libcurl and libarchive, with their dozens of dependencies, cost more to
// load than `skiff version` may take in all. They are not linked: these
// definitions stand in for their functions and load the real library on
// the first call. A function used for the first time must be added here
// (the linker says "undefined reference" until it is).
#define CURL_DISABLE_TYPECHECK
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "util/lazy_libs.hpp"

namespace {

struct LazyLib {
    const char* soname;
    void* handle = nullptr;
};

LazyLib kArchive{SKIFF_LIBARCHIVE_SONAME};
LazyLib kCurl{SKIFF_LIBCURL_SONAME};
std::mutex lazy_mutex;

void* lazy_symbol(LazyLib& lib, const char* name) {
    std::lock_guard<std::mutex> lock(lazy_mutex);
    if (!lib.handle) {
        lib.handle = ::dlopen(lib.soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib.handle) {
            std::fprintf(stderr, "Error: cannot load %s: %s\n", lib.soname, ::dlerror());
            ::_exit(125);
        }
    }
    void* sym = ::dlsym(lib.handle, name);
    if (!sym) {
        std::fprintf(stderr, "Error: %s has no %s: %s\n", lib.soname, name, ::dlerror());
        ::_exit(125);
    }
    return sym;
}

}  // namespace

void skiff::lazy::load_archive() { lazy_symbol(kArchive, "archive_version_number"); }

#define SKIFF_LAZY(lib, ret, name, params, args)                                   \
    extern "C" ret name params {                                                   \
        using fn_t = ret(*) params;                                                \
        static const fn_t fn = reinterpret_cast<fn_t>(lazy_symbol(lib, #name));    \
        return fn args;                                                            \
    }

// libarchive -----------------------------------------------------------------
SKIFF_LAZY(kArchive, time_t, archive_entry_atime, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_entry_atime_is_set, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, long, archive_entry_atime_nsec, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, struct archive_entry *, archive_entry_clear, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, mode_t, archive_entry_filetype, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, void, archive_entry_free, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, la_int64_t, archive_entry_gid, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, const char *, archive_entry_hardlink, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, time_t, archive_entry_mtime, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, long, archive_entry_mtime_nsec, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, struct archive_entry *, archive_entry_new, (void), ())
SKIFF_LAZY(kArchive, const char *, archive_entry_pathname, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, mode_t, archive_entry_perm, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, dev_t, archive_entry_rdev, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, void, archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_gid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_hardlink, (struct archive_entry * a0, const char * a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_mode, (struct archive_entry * a0, mode_t a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))
SKIFF_LAZY(kArchive, void, archive_entry_set_pathname, (struct archive_entry * a0, const char * a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_perm, (struct archive_entry * a0, mode_t a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_rdev, (struct archive_entry * a0, dev_t a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_symlink, (struct archive_entry * a0, const char * a1), (a0, a1))
SKIFF_LAZY(kArchive, void, archive_entry_set_uid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))
SKIFF_LAZY(kArchive, la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, void, archive_entry_sparse_add_entry, (struct archive_entry * a0, la_int64_t a1, la_int64_t a2), (a0, a1, a2))
SKIFF_LAZY(kArchive, const char *, archive_entry_symlink, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, la_int64_t, archive_entry_uid, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, void, archive_entry_xattr_add_entry, (struct archive_entry * a0, const char * a1, const void * a2, size_t a3), (a0, a1, a2, a3))
SKIFF_LAZY(kArchive, int, archive_entry_xattr_next, (struct archive_entry * a0, const char ** a1, const void ** a2, size_t * a3), (a0, a1, a2, a3))
SKIFF_LAZY(kArchive, int, archive_entry_xattr_reset, (struct archive_entry * a0), (a0))
SKIFF_LAZY(kArchive, const char *, archive_error_string, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, la_ssize_t, archive_read_data, (struct archive * a0, void * a1, size_t a2), (a0, a1, a2))
SKIFF_LAZY(kArchive, int, archive_read_data_block, (struct archive * a0, const void ** a1, size_t * a2, la_int64_t * a3), (a0, a1, a2, a3))
SKIFF_LAZY(kArchive, int, archive_read_free, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, struct archive *, archive_read_new, (void), ())
SKIFF_LAZY(kArchive, int, archive_read_next_header, (struct archive * a0, struct archive_entry ** a1), (a0, a1))
SKIFF_LAZY(kArchive, int, archive_read_open, (struct archive * a0, void * a1, archive_open_callback * a2, archive_read_callback * a3, archive_close_callback * a4), (a0, a1, a2, a3, a4))
SKIFF_LAZY(kArchive, int, archive_read_open2, (struct archive * a0, void * a1, archive_open_callback * a2, archive_read_callback * a3, archive_skip_callback * a4, archive_close_callback * a5), (a0, a1, a2, a3, a4, a5))
SKIFF_LAZY(kArchive, int, archive_read_support_filter_gzip, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_read_support_filter_none, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_read_support_filter_zstd, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_read_support_format_empty, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_read_support_format_tar, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_write_close, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, la_ssize_t, archive_write_data, (struct archive * a0, const void * a1, size_t a2), (a0, a1, a2))
SKIFF_LAZY(kArchive, int, archive_write_free, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_write_header, (struct archive * a0, struct archive_entry * a1), (a0, a1))
SKIFF_LAZY(kArchive, struct archive *, archive_write_new, (void), ())
SKIFF_LAZY(kArchive, int, archive_write_open, (struct archive * a0, void * a1, archive_open_callback * a2, archive_write_callback * a3, archive_close_callback * a4), (a0, a1, a2, a3, a4))
SKIFF_LAZY(kArchive, int, archive_write_open2, (struct archive * a0, void * a1, archive_open_callback * a2, archive_write_callback * a3, archive_close_callback * a4, archive_free_callback * a5), (a0, a1, a2, a3, a4, a5))
SKIFF_LAZY(kArchive, int, archive_write_set_bytes_in_last_block, (struct archive * a0, int a1), (a0, a1))
SKIFF_LAZY(kArchive, int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))
SKIFF_LAZY(kArchive, int, archive_write_set_option, (struct archive * a0, const char * a1, const char * a2, const char * a3), (a0, a1, a2, a3))

extern "C" void archive_set_error(struct archive* a, int err, const char* fmt, ...) {
    using fn_t = void (*)(struct archive*, int, const char*, ...);
    static const fn_t fn = reinterpret_cast<fn_t>(lazy_symbol(kArchive, "archive_set_error"));
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(a, err, "%s", msg);
}

// libcurl --------------------------------------------------------------------
SKIFF_LAZY(kCurl, CURLcode, curl_global_init, (long a0), (a0))
SKIFF_LAZY(kCurl, CURL*, curl_easy_init, (void), ())
SKIFF_LAZY(kCurl, void, curl_easy_cleanup, (CURL * a0), (a0))
SKIFF_LAZY(kCurl, CURLcode, curl_easy_perform, (CURL * a0), (a0))
SKIFF_LAZY(kCurl, void, curl_easy_reset, (CURL * a0), (a0))
SKIFF_LAZY(kCurl, CURLcode, curl_easy_pause, (CURL * a0, int a1), (a0, a1))
SKIFF_LAZY(kCurl, const char*, curl_easy_strerror, (CURLcode a0), (a0))
SKIFF_LAZY(kCurl, struct curl_slist*, curl_slist_append, (struct curl_slist * a0, const char* a1), (a0, a1))
SKIFF_LAZY(kCurl, void, curl_slist_free_all, (struct curl_slist * a0), (a0))
SKIFF_LAZY(kCurl, CURLM*, curl_multi_init, (void), ())
SKIFF_LAZY(kCurl, CURLMcode, curl_multi_add_handle, (CURLM * a0, CURL* a1), (a0, a1))
SKIFF_LAZY(kCurl, CURLMcode, curl_multi_remove_handle, (CURLM * a0, CURL* a1), (a0, a1))
SKIFF_LAZY(kCurl, CURLMcode, curl_multi_perform, (CURLM * a0, int* a1), (a0, a1))
SKIFF_LAZY(kCurl, CURLMcode, curl_multi_cleanup, (CURLM * a0), (a0))
SKIFF_LAZY(kCurl, CURLMsg*, curl_multi_info_read, (CURLM * a0, int* a1), (a0, a1))
SKIFF_LAZY(kCurl, const char*, curl_multi_strerror, (CURLMcode a0), (a0))
SKIFF_LAZY(kCurl, CURLMcode, curl_multi_poll,
           (CURLM * a0, struct curl_waitfd a1[], unsigned int a2, int a3, int* a4), (a0, a1, a2, a3, a4))

// The variadic two: the argument's type follows from the option's number
// range, as curl.h defines it (long, pointer, function pointer, curl_off_t, blob).
extern "C" CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
    static void* const sym = lazy_symbol(kCurl, "curl_easy_setopt");
    static const auto as_long = reinterpret_cast<CURLcode (*)(CURL*, CURLoption, long)>(sym);
    static const auto as_ptr = reinterpret_cast<CURLcode (*)(CURL*, CURLoption, void*)>(sym);
    static const auto as_off = reinterpret_cast<CURLcode (*)(CURL*, CURLoption, curl_off_t)>(sym);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    int n = static_cast<int>(option);
    if (n < CURLOPTTYPE_OBJECTPOINT) rc = as_long(curl, option, va_arg(ap, long));
    else if (n >= CURLOPTTYPE_OFF_T && n < CURLOPTTYPE_BLOB) rc = as_off(curl, option, va_arg(ap, curl_off_t));
    else rc = as_ptr(curl, option, va_arg(ap, void*));
    va_end(ap);
    return rc;
}

extern "C" CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
    static const auto fn = reinterpret_cast<CURLcode (*)(CURL*, CURLINFO, void*)>(
        lazy_symbol(kCurl, "curl_easy_getinfo"));
    va_list ap;
    va_start(ap, info);
    void* out = va_arg(ap, void*);
    va_end(ap);
    return fn(curl, info, out);
}

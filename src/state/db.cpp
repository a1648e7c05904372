#include "state/db.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::state {

namespace {
// Long enough for 50 concurrent `run -d`; short enough that a wedged writer is noticed.
constexpr int kBusyTimeoutMs = 30000;
}

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
        db.fail("prepare");
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT) {
        std::string msg = sqlite3_errmsg(db_->handle());
        sqlite3_reset(stmt_);
        throw Error("database constraint: " + msg);
    }
    db_->fail("step");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
    auto p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
}

std::optional<std::string> Statement::text_or_null(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

namespace {

// The database holds every container's configuration (environment secrets
// included): owner only. SQLite creates it (and then its -wal and -shm with
// the same mode) under the umask, 0644 for most; stores made so are repaired.
void make_private(const std::string& path) {
    if (path.empty() || path[0] == ':') return;  // in memory
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) {
        if (errno != ENOENT) throw_errno("stat " + path);
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) throw_errno("create state database " + path);
        if (fd >= 0) ::close(fd);
        return;
    }
    if ((st.st_mode & 077) == 0) return;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        if (::chmod((path + suffix).c_str(), 0600) < 0 && errno != ENOENT) throw_errno("chmod " + path + suffix);
}

// A full file system must not lock the user out: removing containers,
// images and volumes writes to the database (a few pages of its WAL). A
// reserve file beside it is freed whenever the file system is nearly full,
// and made again once there is room.
constexpr off_t kReserveBytes = 8 << 20;
constexpr uint64_t kLowWater = 4 << 20;

void keep_reserve(const std::string& db_path) {
    if (db_path.empty() || db_path[0] == ':') return;
    std::string reserve = db_path + "-reserve";
    struct statvfs vfs;
    if (::statvfs(fs::dirname(db_path).c_str(), &vfs) < 0) return;
    uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < kLowWater) {
        ::unlink(reserve.c_str());
        return;
    }
    if (free_bytes < kLowWater + 2 * static_cast<uint64_t>(kReserveBytes) || ::access(reserve.c_str(), F_OK) == 0)
        return;
    int fd = ::open(reserve.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    // Only real blocks are a reserve: a file system without fallocate(2)
    // keeps none (posix_fallocate would write every block instead).
    if (::fallocate(fd, 0, 0, kReserveBytes) < 0) ::unlink(reserve.c_str());
    ::close(fd);
}

}  // namespace

void release_reserve(const std::string& db_path) { ::unlink((db_path + "-reserve").c_str()); }

Database::Database(const std::string& path) : path_(path) {
    make_private(path);
    keep_reserve(path);
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error("open state database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 0);
    // WAL lets readers (ps, images) run while a writer holds the lock;
    // synchronous=NORMAL in WAL mode keeps the store consistent after a crash.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    migrate();
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(const std::string& what) const {
    if (sqlite3_errcode(db_) == SQLITE_FULL) full();
    throw Error("state database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void Database::full() const {
    // The next try (a retry, the next command) has the reserve's room.
    release_reserve(path_);
    throw DiskFull("state database " + path_ + ": no space left on device");
}

void Database::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        if (sqlite3_errcode(db_) == SQLITE_FULL) full();
        throw Error("state database " + path_ + ": " + msg);
    }
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

int Database::schema_version() {
    auto st = prepare("PRAGMA user_version");
    st.step();
    return static_cast<int>(st.integer(0));
}

void Database::migrate() {
    const auto& all = migrations();
    int target = static_cast<int>(all.size());
    // Fast path for every command after the first: one read, no write lock.
    if (schema_version() == target) return;
    Transaction tx(*this);
    int version = schema_version();  // re-read under the lock: another process may have migrated
    if (version > target)
        throw Error("state database " + path_ + " has schema version " + std::to_string(version) +
                    ", newer than this skiff understands (" + std::to_string(target) + "); upgrade skiff");
    for (int v = version; v < target; ++v) exec(all[static_cast<size_t>(v)]);
    exec("PRAGMA user_version=" + std::to_string(target));
    tx.commit();
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

std::optional<std::string> get_setting(Database& db, std::string_view key) {
    auto st = db.prepare("SELECT value FROM settings WHERE key = ?1");
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return st.text(0);
}

std::string set_setting_once(Database& db, std::string_view key, std::string_view value) {
    Transaction tx(db);
    db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)").bind(1, key).bind(2, value).run();
    std::string in_force = get_setting(db, key).value_or(std::string(value));
    tx.commit();
    return in_force;
}

}  // namespace skiff::state

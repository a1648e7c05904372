// The state database: SQLite in WAL mode. Many skiff processes share it, so
// every mutation runs in an IMMEDIATE transaction and waits on a busy timeout
// instead of failing.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace skiff::state {

class Database;

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& o) noexcept;
    ~Statement();

    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, int64_t value);
    Statement& bind_null(int index);
    Statement& bind(int index, const std::optional<std::string>& value);
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }

    // True while a row is available.
    bool step();
    // Runs to completion (for statements without rows).
    void run();
    void reset();

    std::string text(int column) const;
    std::optional<std::string> text_or_null(int column) const;
    int64_t integer(int column) const;
    bool is_null(int column) const;

private:
    Database* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// A write the file system had no room for (SQLITE_FULL). The store's
// reserve is freed when it is raised: trying again has room.
class DiskFull : public Error {
public:
    explicit DiskFull(const std::string& message) : Error(message) {}
};

// Frees the reserve kept beside the database at `db_path`.
void release_reserve(const std::string& db_path);

class Database {
public:
    // Opens (creating when missing) and migrates the schema.
    explicit Database(const std::string& path);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    int64_t changes() const;
    int schema_version();
    sqlite3* handle() { return db_; }
    [[noreturn]] void fail(const std::string& what) const;

private:
    [[noreturn]] void full() const;
    void migrate();
    sqlite3* db_ = nullptr;
    std::string path_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed uncommitted (exception).
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

// Store-wide settings. The first value recorded for a key sticks:
// set_setting_once() returns the value in force, which is another
// process's when it recorded one first.
std::optional<std::string> get_setting(Database& db, std::string_view key);
std::string set_setting_once(Database& db, std::string_view key, std::string_view value);

// The schema, one entry per version. Never edit a released entry: append.
const std::vector<std::string_view>& migrations();

}  // namespace skiff::state

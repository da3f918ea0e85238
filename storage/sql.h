// Thin RAII owners for a database connection and its statements, one interface over two engines:
// SQLite (a file path: the embedded default) and PostgreSQL (a `postgresql://` or `postgres://` libpq
// URI: one database shared by many workers). Values are always bound, never formatted into SQL.
//
// SQL is written once for both where it can be: `?` or `?N` parameters (rewritten to `$N` for
// PostgreSQL), ON CONFLICT upserts, IS [NOT] DISTINCT FROM, explicit NULLS FIRST/LAST, and the
// `julianday(text)` function, which the PostgreSQL schema defines as SQLite's (storage/schema.cc).
// Where the engines differ the caller asks engine().
//
// A Database and its Statements belong to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gc::sql {

// SQLite result codes are the common vocabulary of Error::code (PostgreSQL's are mapped onto them).
inline constexpr int kError = 1;     // SQLITE_ERROR
inline constexpr int kBusy = 5;      // SQLITE_BUSY: try again (PostgreSQL: serialization failure, deadlock)
inline constexpr int kIoError = 10;  // SQLITE_IOERR (PostgreSQL: the connection was lost)
inline constexpr int kCorrupt = 11;  // SQLITE_CORRUPT
inline constexpr int kNotADb = 26;   // SQLITE_NOTADB

// A database error: the message names the database and says what failed, fit for a one-line CLI error.
struct Error : std::runtime_error {
  Error(const std::string& what, int code) : std::runtime_error(what), code(code) {}
  int code;
};

enum class Engine { kSqlite, kPostgres };

// True for a libpq connection URI (postgresql:// or postgres://), false for a file path.
bool IsPostgresUri(std::string_view target);

// Why `path` cannot be an SQLite database file ("X is a directory, not a database file"; also a device
// such as /dev/null, a FIFO, a socket), or "" when it can be one: a regular file, a link to one, or nothing
// yet. Checked before anything is created beside it (X.lock, X-journal): a refused open leaves nothing.
std::string NotADatabaseFile(const std::string& path);

namespace detail {
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void Bind(int index, int64_t value) = 0;
  virtual void Bind(int index, double value) = 0;
  virtual void Bind(int index, std::string_view value) = 0;
  virtual void BindNull(int index) = 0;
  virtual bool Step() = 0;
  virtual void Reset() = 0;
  virtual bool IsNull(int col) const = 0;
  virtual bool IsNumber(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Real(int col) const = 0;
  virtual std::string_view TextView(int col) const = 0;
  virtual int columns() const = 0;
  virtual std::string ColumnName(int col) const = 0;
};
class DatabaseImpl {
 public:
  virtual ~DatabaseImpl() = default;
  virtual void Exec(std::string_view sql) = 0;
  virtual std::unique_ptr<StatementImpl> Prepare(std::string_view sql) = 0;
  virtual int64_t Changes() const = 0;
  virtual int64_t LastInsertRowid() const = 0;
  virtual void Rollback() noexcept = 0;
};
std::unique_ptr<DatabaseImpl> OpenSqlite(const std::string& path, bool read_only, int busy_timeout_ms);
std::unique_ptr<DatabaseImpl> OpenPostgres(const std::string& uri, bool read_only);
}  // namespace detail

class Statement {
 public:
  Statement() = default;
  explicit Statement(std::unique_ptr<detail::StatementImpl> impl) : impl_(std::move(impl)) {}

  // Parameters are 1-based.
  Statement& Bind(int index, int64_t value) { return impl_->Bind(index, value), *this; }
  Statement& Bind(int index, int value) { return Bind(index, int64_t(value)); }
  Statement& Bind(int index, double value) { return impl_->Bind(index, value), *this; }
  Statement& Bind(int index, std::string_view value) { return impl_->Bind(index, value), *this; }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Statement& BindNull(int index) { return impl_->BindNull(index), *this; }
  // Binds NULL when the optional is empty.
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Advances; true while a row is available. Throws Error on failure.
  bool Step() { return impl_->Step(); }
  // Runs a statement that returns no rows, then resets it for reuse.
  void Run() {
    while (Step()) {
    }
    Reset();
  }
  // Ready to run again; parameters are cleared (bind them all again).
  void Reset() { impl_->Reset(); }

  bool IsNull(int col) const { return impl_->IsNull(col); }
  bool IsNumber(int col) const { return impl_->IsNumber(col); }
  int64_t Int(int col) const { return impl_->Int(col); }
  double Real(int col) const { return impl_->Real(col); }
  std::string Text(int col) const { return std::string(TextView(col)); }
  // Valid until the next Step/Reset.
  std::string_view TextView(int col) const { return impl_->TextView(col); }
  std::optional<int64_t> OptInt(int col) const { return IsNull(col) ? std::nullopt : std::optional(Int(col)); }
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional(Text(col));
  }
  int columns() const { return impl_->columns(); }
  std::string ColumnName(int col) const { return impl_->ColumnName(col); }

 private:
  std::unique_ptr<detail::StatementImpl> impl_;
};

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens `target`: a PostgreSQL URI, else an SQLite file (read-write: created if missing), with a busy
  // timeout so that a reader and a writer in two processes wait for each other instead of failing.
  Database(const std::string& target, Mode mode, int busy_timeout_ms = 10'000);
  Database(Database&&) = delete;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Engine engine() const { return engine_; }
  bool postgres() const { return engine_ == Engine::kPostgres; }
  // The file path, or the URI with any password as *** (storage/redact.h), for messages.
  const std::string& path() const { return display_; }
  // The path or URI as given (to open another connection to the same database).
  const std::string& target() const { return target_; }
  void Exec(std::string_view sql) { impl_->Exec(sql); }
  Statement Prepare(std::string_view sql) { return Statement(impl_->Prepare(sql)); }
  // Rows changed by the last INSERT, UPDATE or DELETE run.
  int64_t Changes() const { return impl_->Changes(); }
  // SQLite only (PostgreSQL throws sql::Error): the rowid of the last row an INSERT on this connection
  // added. Cheaper than INSERT ... RETURNING, which SQLite runs through a temporary table (~7 us a row).
  int64_t LastInsertRowid() const { return impl_->LastInsertRowid(); }

 private:
  friend class Transaction;
  std::string target_, display_;
  Engine engine_;
  std::unique_ptr<detail::DatabaseImpl> impl_;
};

// BEGIN (SQLite: IMMEDIATE, the write lock up front) ... COMMIT, rolled back if not committed (an
// exception unwinding through it).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace gc::sql

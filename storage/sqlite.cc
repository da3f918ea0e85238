// The SQLite engine behind sql::Database (storage/sql.h).
#include <sqlite3.h>

#include <sys/stat.h>

#include <string>
#include <utility>

#include "storage/sql.h"

namespace gc::sql::detail {
namespace {

[[noreturn]] void Fail(sqlite3* db, const std::string& what, int rc) {
  std::string file = db && sqlite3_db_filename(db, "main") ? sqlite3_db_filename(db, "main") : "";
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(what + (file.empty() ? "" : " (" + file + ")") + ": " + msg, rc);
}

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) Fail(db, "preparing SQL", rc);
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void Bind(int index, int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, double value) override { sqlite3_bind_double(stmt_, index, value); }
  void Bind(int index, std::string_view value) override {
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindNull(int index) override { sqlite3_bind_null(stmt_, index); }
  bool Step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    Fail(db_, "running SQL", rc);
  }
  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  bool IsNumber(int col) const override {
    int t = sqlite3_column_type(stmt_, col);
    return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
  }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string_view TextView(int col) const override {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, size_t(sqlite3_column_bytes(stmt_, col))) : std::string_view();
  }
  int columns() const override { return sqlite3_column_count(stmt_); }
  std::string ColumnName(int col) const override { return sqlite3_column_name(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Before SQLite's first use in the process: no memory statistics. Debian's libsqlite3 keeps them by
// default, under a global mutex taken around every sqlite3_malloc and free (and it is built without the
// lookaside allocator, so every small allocation is one); nothing here reads them. SQLite refuses the
// call once initialised (a test that opened a database through another path first): harmless.
void ConfigureSqliteOnce() {
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
}

class SqliteDatabase final : public DatabaseImpl {
 public:
  SqliteDatabase(const std::string& path, bool read_only, int busy_timeout_ms) : path_(path) {
    ConfigureSqliteOnce();
    // SQLite would open /dev/null (an empty database) and create /dev/null-journal beside it.
    if (std::string why = NotADatabaseFile(path); !why.empty()) throw Error("cannot open database: " + why, kError);
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      throw Error("cannot open database " + path_ + ": " + msg, rc);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    sqlite3_extended_result_codes(db_, 0);
    if (read_only) ReadWithoutShm(busy_timeout_ms);
  }
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  void Exec(std::string_view sql) override {
    char* err = nullptr;
    std::string s(sql);
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw Error("database " + path_ + ": " + msg, rc);
    }
  }
  std::unique_ptr<StatementImpl> Prepare(std::string_view sql) override {
    return std::make_unique<SqliteStatement>(db_, sql);
  }
  int64_t Changes() const override { return sqlite3_changes64(db_); }
  int64_t LastInsertRowid() const override { return sqlite3_last_insert_rowid(db_); }
  void Rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  // Reading a WAL database takes its -shm file, which SQLite creates when it is missing (a crawl that
  // ended cleanly removes both). A user who may read the database but not write beside it (a copy from
  // CI, another user's file) got "attempt to write a readonly database" from every inspect command. With
  // no -wal file there is nothing SQLite would need the -shm for: such a file is opened immutable. With
  // one, its last transactions live there, and skipping them would show old data: refused, saying why.
  void ReadWithoutShm(int busy_timeout_ms) {
    int rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) return;  // readable, or another failure to report later
    // The file SQLite opened, symlinks resolved and absolute: its -wal lies beside it, not beside a link.
    const char* opened = sqlite3_db_filename(db_, "main");
    const std::string file = opened && *opened ? opened : path_;
    struct stat wal;
    if (::stat((file + "-wal").c_str(), &wal) == 0 && wal.st_size > 0) {
      throw Error("cannot read database " + path_ + ": it has a write-ahead log (" + file +
                      "-wal) that needs a -shm file beside it, which this user may not create; copy the files "
                      "somewhere writable, or read as the user who wrote them",
                  rc);
    }
    // Immutable: no locks are taken. Were the owner to start writing while this reads, the pages could
    // change underneath it; without a -wal now, nobody is writing, and this is the owner's file to read.
    std::string uri = "file://";  // an empty authority: a path starting with "//" stays a path
    for (char c : file) {
      if (c == '%' || c == '?' || c == '#') {
        static const char kHex[] = "0123456789abcdef";
        uri += '%';
        uri += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
        uri += kHex[c & 15];
      } else {
        uri += c;
      }
    }
    uri += "?immutable=1";
    sqlite3* immutable = nullptr;
    rc = sqlite3_open_v2(uri.c_str(), &immutable, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                         nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = immutable ? sqlite3_errmsg(immutable) : sqlite3_errstr(rc);
      sqlite3_close_v2(immutable);
      throw Error("cannot open database " + path_ + ": " + msg, rc);
    }
    sqlite3_close_v2(db_);
    db_ = immutable;
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    sqlite3_extended_result_codes(db_, 0);
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<DatabaseImpl> OpenSqlite(const std::string& path, bool read_only, int busy_timeout_ms) {
  return std::make_unique<SqliteDatabase>(path, read_only, busy_timeout_ms);
}

}  // namespace gc::sql::detail

namespace gc::sql {

std::string NotADatabaseFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return "";
  const char* what = S_ISDIR(st.st_mode) ? "a directory"
                     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                                            : "a socket";
  return path + " is " + what + ", not a database file";
}

}  // namespace gc::sql

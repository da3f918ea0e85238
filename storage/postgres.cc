// The PostgreSQL engine behind sql::Database (storage/sql.h), on libpq.
//
// Statements run with PQexecParams the first time and are prepared on the server (PQprepare) when run
// again, so that the crawl's hot statements are parsed once while one-off queries cost one round trip.
// Parameters travel as text with their types inferred by the server.
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "storage/redact.h"
#include "storage/sql.h"
#include "text/utf8.h"

namespace gc::sql::detail {
namespace {

// PostgreSQL's codes for "try again" and "the connection is gone", in SQLite's words (sql::Error::code).
int CodeFor(PGconn* conn, const PGresult* res) {
  if (PQstatus(conn) == CONNECTION_BAD) return kIoError;
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (!state) return kIoError;  // no result at all: the server did not answer
  std::string s(state);
  if (s == "40001" || s == "40P01" || s == "55P03") return kBusy;        // serialization, deadlock, lock
  if (s.starts_with("08") || s.starts_with("57P")) return kIoError;  // connection, shutdown
  return kError;
}

std::string Message(PGconn* conn, const PGresult* res) {
  std::string m = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m.empty() ? "the server did not answer" : m;
}

// PostgreSQL text holds no NUL byte and only valid UTF-8 (SQLite stores whatever it is given): bytes that
// are not become U+FFFD rather than failing the whole batch.
bool CleanUtf8(std::string_view s) { return s.find('\0') == std::string_view::npos && IsValidUtf8(s); }

std::string Cleaned(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t n = 1;
    while (n <= 4 && i + n <= s.size() && !CleanUtf8(s.substr(i, n))) ++n;
    if (n <= 4 && i + n <= s.size() && s[i] != 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// `?` and `?N` parameters (SQLite's) as `$N`, outside quoted strings and identifiers. A bare `?` is
// numbered one past the largest so far, as SQLite numbers it.
std::string DollarParams(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int largest = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    int n = j > i + 1 ? std::atoi(std::string(sql.substr(i + 1, j - i - 1)).c_str()) : largest + 1;
    largest = std::max(largest, n);
    out += '$';
    out += std::to_string(n);
    i = j - 1;
  }
  count = largest;
  return out;
}

class PgDatabase;

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgDatabase& db, std::string_view sql);
  ~PgStatement() override;
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void Bind(int index, int64_t value) override { Set(index, std::to_string(value)); }
  void Bind(int index, double value) override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    Set(index, buf);
  }
  void Bind(int index, std::string_view value) override {
    Set(index, CleanUtf8(value) ? std::string(value) : Cleaned(value));
  }
  void BindNull(int index) override {
    if (index >= 1 && index <= int(values_.size())) values_[size_t(index - 1)].reset();
  }
  bool Step() override;
  void Reset() override {
    PQclear(res_);
    res_ = nullptr;
    for (auto& v : values_) v.reset();
  }
  bool IsNull(int col) const override { return PQgetisnull(res_, row_, col) != 0; }
  bool IsNumber(int col) const override {
    if (IsNull(col)) return false;
    Oid t = PQftype(res_, col);
    return t == 20 || t == 21 || t == 23 || t == 700 || t == 701 || t == 1700;  // int8/2/4, float4/8, numeric
  }
  int64_t Int(int col) const override {
    const char* v = PQgetvalue(res_, row_, col);
    // A numeric sum or a float floor() arrives as "12" or "12.0": read the integer part either way.
    return std::strtoll(v, nullptr, 10);
  }
  double Real(int col) const override { return std::strtod(PQgetvalue(res_, row_, col), nullptr); }
  std::string_view TextView(int col) const override {
    if (IsNull(col)) return {};
    std::string_view text(PQgetvalue(res_, row_, col), size_t(PQgetlength(res_, row_, col)));
    if (PQftype(res_, col) != 701 && PQftype(res_, col) != 700) return text;
    // A float as SQLite writes one ("%!.15g": 15 digits, "12.0" not "12"), so that exports and reports
    // read the same from either engine.
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.15g", std::strtod(PQgetvalue(res_, row_, col), nullptr));
    std::string out = buf;
    if (out.find_first_of(".eni") == std::string::npos) out += ".0";
    if (formatted_.size() <= size_t(col)) formatted_.resize(size_t(col) + 1);
    formatted_[size_t(col)] = std::move(out);
    return formatted_[size_t(col)];
  }
  int columns() const override { return PQnfields(Described()); }
  std::string ColumnName(int col) const override { return PQfname(Described(), col); }

 private:
  void Set(int index, std::string value) {
    if (index >= 1 && index <= int(values_.size())) values_[size_t(index - 1)] = std::move(value);
  }
  // The result, or before the first run the statement's description (prepared for it).
  const PGresult* Described() const;
  // Prepares the statement on the server under a new name (name_).
  void PrepareOnServer() const;
  PgDatabase& db_;
  mutable std::vector<std::string> formatted_;  // floats reformatted by TextView
  mutable PGresult* described_ = nullptr;
  std::string sql_;
  mutable std::string name_;  // set once prepared on the server
  std::vector<std::optional<std::string>> values_;
  int runs_ = 0;
  PGresult* res_ = nullptr;
  int row_ = 0;
};

class PgDatabase final : public DatabaseImpl {
 public:
  PgDatabase(const std::string& uri, bool read_only) : display_(storage::RedactPassword(uri)) {
    conn_ = PQconnectdb(uri.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      if (storage::PasswordNeedsEncoding(uri)) {
        // libpq read pieces of the password as a host, port or database and may quote them: say why instead.
        msg = "its password holds an unencoded '@' or '/', which libpq reads as the end of the user name or "
              "host; percent-encode it (%40, %2F), or leave it out of the URI (PGPASSWORD, ~/.pgpass)";
      }
      // libpq may quote a malformed part of the URI (a bad %-escape in the password) in its message.
      throw Error("cannot connect to database " + display_ + ": " + storage::ScrubPasswords(msg, uri), kIoError);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping" etc.
    try {  // the connection can be lost here too (a restart): not leaked then
      if (PQsetClientEncoding(conn_, "UTF8") != 0) Fail(nullptr, "setting the client encoding");
      Exec("SET TIME ZONE 'UTC'");
      if (read_only) Exec("SET default_transaction_read_only = on");
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  ~PgDatabase() override { PQfinish(conn_); }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  void Exec(std::string_view sql) override {
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    Check(res, "running SQL");
    // COMMIT of a transaction that failed earlier "succeeds" with the tag ROLLBACK: nothing was written.
    bool rolled_back = sql == "COMMIT" && std::string_view(PQcmdStatus(res)) == "ROLLBACK";
    PQclear(res);
    if (rolled_back) throw Error("committing (" + display_ + "): the transaction had failed and was rolled back", kError);
  }
  std::unique_ptr<StatementImpl> Prepare(std::string_view sql) override {
    return std::make_unique<PgStatement>(*this, sql);
  }
  int64_t Changes() const override { return changes_; }
  int64_t LastInsertRowid() const override {
    throw Error("LastInsertRowid on PostgreSQL (" + display_ + "): use RETURNING", kError);
  }
  void Rollback() noexcept override {
    if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
  }

  // Throws unless `res` is a success, clearing it; on success the caller still owns (and clears) it.
  void Check(PGresult* res, const char* what) {
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
      const char* n = PQcmdTuples(res);
      if (n && *n) changes_ = std::strtoll(n, nullptr, 10);
      return;
    }
    Fail(res, what);
  }
  [[noreturn]] void Fail(PGresult* res, const char* what) {
    int code = CodeFor(conn_, res);
    std::string msg = Message(conn_, res);
    PQclear(res);
    throw Error(std::string(what) + " (" + display_ + "): " + msg, code);
  }
  PGconn* conn() const { return conn_; }
  std::string NextName() { return "gc" + std::to_string(++statements_); }

 private:
  std::string display_;
  PGconn* conn_ = nullptr;
  int64_t changes_ = 0;
  uint64_t statements_ = 0;
};

PgStatement::PgStatement(PgDatabase& db, std::string_view sql) : db_(db) {
  int n = 0;
  sql_ = DollarParams(sql, n);
  values_.resize(size_t(n));
}

PgStatement::~PgStatement() {
  PQclear(res_);
  PQclear(described_);
  if (!name_.empty() && PQstatus(db_.conn()) == CONNECTION_OK) {
    PQclear(PQexec(db_.conn(), ("DEALLOCATE " + name_).c_str()));  // a name we made: no user text
  }
}

const PGresult* PgStatement::Described() const {
  if (res_) return res_;
  if (!described_) {
    if (name_.empty()) PrepareOnServer();
    PGresult* d = PQdescribePrepared(db_.conn(), name_.c_str());
    db_.Check(d, "describing SQL");
    described_ = d;
  }
  return described_;
}

void PgStatement::PrepareOnServer() const {
  std::string name = db_.NextName();
  PGresult* prepared = PQprepare(db_.conn(), name.c_str(), sql_.c_str(), int(values_.size()), nullptr);
  db_.Check(prepared, "preparing SQL");  // on success the result is ours to clear
  PQclear(prepared);
  name_ = std::move(name);
}

bool PgStatement::Step() {
  if (res_) return ++row_ < PQntuples(res_);
  std::vector<const char*> values(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) values[i] = values_[i] ? values_[i]->c_str() : nullptr;
  int n = int(values.size());
  if (runs_++ == 1 && name_.empty()) PrepareOnServer();  // the second run: worth a server-side plan
  PGresult* res = name_.empty() ? PQexecParams(db_.conn(), sql_.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0)
                                : PQexecPrepared(db_.conn(), name_.c_str(), n, values.data(), nullptr, nullptr, 0);
  db_.Check(res, "running SQL");
  res_ = res;
  row_ = 0;
  return PQntuples(res_) > 0;
}

}  // namespace

std::unique_ptr<DatabaseImpl> OpenPostgres(const std::string& uri, bool read_only) {
  return std::make_unique<PgDatabase>(uri, read_only);
}

}  // namespace gc::sql::detail

#include "storage/sql.h"

#include "storage/redact.h"

namespace gc::sql {

bool IsPostgresUri(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

Database::Database(const std::string& target, Mode mode, int busy_timeout_ms)
    : target_(target),
      display_(storage::RedactPassword(target)),
      engine_(IsPostgresUri(target) ? Engine::kPostgres : Engine::kSqlite),
      impl_(engine_ == Engine::kPostgres ? detail::OpenPostgres(target, mode == Mode::kReadOnly)
                                         : detail::OpenSqlite(target, mode == Mode::kReadOnly, busy_timeout_ms)) {}

Database::~Database() = default;

Transaction::Transaction(Database& db) : db_(db) {
  db_.Exec(db_.postgres() ? "BEGIN" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) db_.impl_->Rollback();
}

void Transaction::Commit() {
  db_.Exec("COMMIT");
  done_ = true;
}

}  // namespace gc::sql

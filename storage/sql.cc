#include "storage/sql.h"

namespace gc::sql {

bool IsPostgresUri(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

std::string DisplayName(const std::string& target) {
  if (!IsPostgresUri(target)) return target;
  // postgresql://user:secret@host/db -> postgresql://user@host/db
  size_t scheme = target.find("://") + 3;
  size_t at = target.find('@', scheme);
  size_t slash = target.find('/', scheme);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return target;
  size_t colon = target.find(':', scheme);
  if (colon == std::string::npos || colon > at) return target;
  return target.substr(0, colon) + target.substr(at);
}

Database::Database(const std::string& target, Mode mode, int busy_timeout_ms)
    : target_(target),
      display_(DisplayName(target)),
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

#include "sessions/db/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace sessions::db {
namespace {

base::Status StatusFor(int rc, std::string message) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return base::Busy(std::move(message));
    case SQLITE_FULL:
      return base::NoSpace(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return base::Corruption(std::move(message));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return base::AlreadyExists(std::move(message));
      }
      return base::FailedPrecondition(std::move(message));
    case SQLITE_CANTOPEN:
      return base::NotFound(std::move(message));
    default:
      return base::IoError(std::move(message));
  }
}

}  // namespace

// --- Db ---

base::Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* handle = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "open session database " + path + ": " + (handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_close(handle);
    return StatusFor(rc, std::move(msg));
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  std::unique_ptr<Db> db(new Db(handle));
  // WAL lets readers run beside the one writer; FULL syncs the WAL on every
  // commit, which is what makes a committed checkpoint durable.
  RETURN_IF_ERROR(
      db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").WithContext(path));
  return db;
}

Db::~Db() { sqlite3_close_v2(handle_); }

base::Status Db::Error(int rc, std::string_view what) const {
  return StatusFor(rc, std::string(what) + ": " + sqlite3_errmsg(handle_));
}

base::Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare \"" + std::string(sql) + "\"");
  return Stmt(this, stmt, std::string(sql));
}

base::Status Db::Exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(handle_, copy.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = "\"" + copy + "\": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return StatusFor(rc, std::move(msg));
  }
  return base::Status::Ok();
}

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(handle_); }
int64_t Db::Changes() const { return sqlite3_changes64(handle_); }

// --- Stmt ---

Stmt::Stmt(Db* db, sqlite3_stmt* stmt, std::string sql) : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      bind_status_(std::move(other.bind_status_)) {}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

base::Status Stmt::BindResult(int rc) {
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->Error(rc, "bind in \"" + sql_ + "\"");
  return bind_status_;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  BindResult(sqlite3_bind_int64(stmt_, index, value)).IgnoreError();
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  BindResult(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8)).IgnoreError();
  return *this;
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  BindResult(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT)).IgnoreError();
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  BindResult(sqlite3_bind_null(stmt_, index)).IgnoreError();
  return *this;
}

Stmt& Stmt::BindOptional(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

base::Result<bool> Stmt::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "\"" + sql_ + "\"");
}

base::Status Stmt::Run() {
  ASSIGN_OR_RETURN(bool row, Step());
  if (row) return base::Internal("statement returned a row where none was expected: " + sql_);
  return base::Status::Ok();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = base::Status::Ok();
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string Stmt::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Stmt::Blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string_view Stmt::BlobView(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

// --- Transaction ---

base::Result<std::unique_ptr<Transaction>> Transaction::Begin(Db* db) {
  RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) db_->Exec("ROLLBACK").IgnoreError();
}

base::Status Transaction::Commit() {
  base::Status s = db_->Exec("COMMIT");
  // A failed COMMIT leaves the transaction open; the destructor rolls back.
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace sessions::db

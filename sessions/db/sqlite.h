// The one wrapper around SQLite's C API; nothing else in longhaul calls
// sqlite3_* directly.
//
// Db is one connection. Stmt is a prepared statement with 1-based binds
// and 0-based columns, as SQLite numbers them. Every failure becomes a
// base::Status: SQLITE_BUSY/LOCKED -> kBusy, SQLITE_FULL -> kNoSpace,
// SQLITE_CORRUPT/NOTADB -> kCorruption, constraint -> kAlreadyExists or
// kFailedPrecondition, the rest kIoError; each message names the SQL.
//
// Threading: a Db and its Stmts are used by one thread at a time.
// Separate connections (in this or other processes) coordinate through
// SQLite's own locking; the busy timeout makes them wait instead of fail.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sessions::db {

class Db;

class Stmt {
 public:
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, std::string_view text);  // TEXT
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& BindNull(int index);
  Stmt& BindOptional(int index, const std::optional<int64_t>& value);

  // Advances to the next row: true with a row, false when done.
  base::Result<bool> Step();
  // Steps once, expecting no row (INSERT/UPDATE/DELETE).
  base::Status Run();
  void Reset();  // for reuse with new binds

  int64_t Int(int column) const;
  bool IsNull(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  // The blob in place: valid until the next Step, Reset or destruction.
  // For large blobs read once (a chain's runs and tokens), saving a copy.
  std::string_view BlobView(int column) const;

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* stmt, std::string sql);
  base::Status BindResult(int rc);

  Db* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  base::Status bind_status_;  // first bind failure, reported by Step
};

class Db {
 public:
  // Opens (creating if missing) the database file, in WAL mode with
  // foreign keys on, synchronous=FULL and the given busy timeout.
  static base::Result<std::unique_ptr<Db>> Open(const std::string& path, int busy_timeout_ms);
  ~Db();

  base::Result<Stmt> Prepare(std::string_view sql);
  // Runs one or more statements that return no rows.
  base::Status Exec(std::string_view sql);
  int64_t LastInsertRowId() const;
  int64_t Changes() const;

  // Turns an SQLite result code into a Status naming `what`.
  base::Status Error(int rc, std::string_view what) const;

 private:
  explicit Db(sqlite3* handle) : handle_(handle) {}
  friend class Stmt;
  sqlite3* handle_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a busy database fails
// here and not half way through) ... COMMIT; rolls back when destroyed
// without Commit().
class Transaction {
 public:
  static base::Result<std::unique_ptr<Transaction>> Begin(Db* db);
  ~Transaction();
  base::Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
  bool done_ = false;
};

}  // namespace sessions::db

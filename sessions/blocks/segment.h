// Block segment files: append-only files of closed KV blocks.
//
// Layout: an 8-byte header "LHSEG01\n", then records
//   u32 magic 'LHBK' | u32 payload length | 16-byte key | payload | u32 CRC32C(payload)
// all little-endian. SQLite's blocks table holds each payload's offset,
// length and CRC; the in-file key and CRC let a repair tool rescan a
// segment without the index. A KV block's payload is its hot part then its
// cold part (engine/kv/kv_block.h); the table also holds the hot length and
// a CRC of each part, so a resume maps the file, checks only hot parts, and
// leaves each cold part to be checked when the engine first reads it.
//
// A segment is written by exactly one SessionWriter (its name carries the
// writer's session id, so gc can tell whose in-flight file it is) and is
// never modified after a record lands; gc deletes or compacts whole files.
//
// Threading: a SegmentWriter or SegmentReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/filesystem.h"
#include "base/status.h"
#include "sessions/blocks/block_key.h"

namespace sessions::blocks {

inline constexpr char kSegmentDir[] = "blocks";
inline constexpr char kSegmentSuffix[] = ".lhseg";
inline constexpr uint64_t kSegmentHeaderBytes = 8;
inline constexpr uint64_t kRecordOverheadBytes = 4 + 4 + 16 + 4;

struct BlockLocation {
  std::string file;     // relative to the data dir: "blocks/seg-....lhseg"
  uint64_t offset = 0;  // of the payload
  uint64_t length = 0;
  uint32_t crc = 0;          // of the whole payload
  int64_t hot_length = -1;   // -1: not split (stored by schema version 1)
  uint32_t hot_crc = 0;      // of payload[0, hot_length)
  uint32_t cold_crc = 0;     // of payload[hot_length, length)
};

// Bytes of a mapped segment file, valid while `owner` lives.
struct SegmentView {
  std::string_view bytes;
  std::shared_ptr<const void> owner;
};

// "blocks/seg-<owner>-<16 hex>.lhseg"; `owner` is the writer's session id.
std::string NewSegmentName(std::string_view owner);
// The owner part of a segment (or live-state) file name; empty if malformed.
std::string OwnerOfFileName(std::string_view name);

class SegmentWriter {
 public:
  SegmentWriter(base::FileSystem* fs, std::string data_dir, std::string owner, uint64_t rotate_bytes);
  ~SegmentWriter();

  // Appends one record; the payload is not durable until Sync() is OK.
  // With hot_length >= 0 the location also carries the two parts' CRCs.
  base::Result<BlockLocation> Append(const BlockKey& key, std::string_view payload, int64_t hot_length = -1);
  // Makes every record appended since the last Sync durable, and the
  // directory entries of segments created since then.
  base::Status Sync();
  // Forgets the open segment after a failure (its tail is unknown); the
  // next Append starts a fresh file. Bytes already there become garbage
  // that gc reclaims.
  void Abandon();

 private:
  base::Status OpenNew();

  base::FileSystem* fs_;
  std::string data_dir_;
  std::string owner_;
  uint64_t rotate_bytes_;
  std::unique_ptr<base::WritableFile> file_;
  std::string file_name_;
  bool dir_dirty_ = false;
};

// Reads block payloads, verifying each CRC. Keeps files open (and mapped)
// across calls.
class SegmentReader {
 public:
  SegmentReader(base::FileSystem* fs, std::string data_dir);
  ~SegmentReader();
  // Corruption naming the file and offset if the bytes fail the CRC or the
  // file is too short; NotFound if the file is gone.
  base::Result<std::string> Read(const BlockLocation& loc);
  // The payload in place, through base::FileSystem::Map (each file mapped
  // once); checks nothing but that the file holds it: Corruption naming
  // the file and offset if it is too short, NotFound if it is gone.
  base::Result<SegmentView> View(const BlockLocation& loc);
  // The whole mapped file (mapped once, then shared); NotFound if it is gone.
  base::Result<std::shared_ptr<const base::MappedFile>> MapFile(const std::string& file);
  // Where a location is, for error messages: "<file> at offset <n>".
  static std::string Where(const BlockLocation& loc);

 private:
  base::FileSystem* fs_;
  std::string data_dir_;
  std::map<std::string, std::unique_ptr<base::ReadableFile>> open_;
  std::map<std::string, std::shared_ptr<const base::MappedFile>> mapped_;
};

}  // namespace sessions::blocks

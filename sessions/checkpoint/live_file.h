// Live-state files: one per checkpoint, "live/<owner>-<16 hex>.lhlive",
// holding the engine's live KV state (exact window, open blocks, policy,
// last logits). The checkpoint row holds the file's size and CRC32C, so a
// file is trusted only through a committed row.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/filesystem.h"
#include "base/status.h"

namespace sessions::checkpoint {

inline constexpr char kLiveDir[] = "live";
inline constexpr char kLiveSuffix[] = ".lhlive";

struct LiveFileRef {
  std::string file;  // relative to the data dir
  uint64_t bytes = 0;
  uint32_t crc = 0;
};

// Creates a new file, writes `payload`, fsyncs it and its directory.
// On failure the partial file is left for gc (its name marks the owner).
base::Result<LiveFileRef> WriteLiveFile(base::FileSystem* fs, const std::string& data_dir, std::string_view owner,
                                        std::string_view payload);

// Reads and verifies a live-state file: Corruption naming the file when
// its size or CRC differ from the row's.
base::Result<std::string> ReadLiveFile(base::FileSystem* fs, const std::string& data_dir, const LiveFileRef& ref);

}  // namespace sessions::checkpoint

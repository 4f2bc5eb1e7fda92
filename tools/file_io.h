// Reading and atomically writing whole files for the file tools. Private
// to tools/.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace tools {

// The whole file, refused (kResourceExhausted, message for the model) when
// it is larger than `max_bytes`, kFailedPrecondition for a directory,
// kNotFound when missing.
base::Result<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes);

// Writes `content` to a temporary file beside `path`, flushes it and
// renames it over `path`, so a crash leaves the old or the new file, never
// half of one. An existing file keeps its permission bits (scripts stay
// executable); a new one gets 0644 less the umask.
base::Status AtomicWriteFile(const std::string& path, const std::string& content);

}  // namespace tools

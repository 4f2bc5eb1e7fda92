// Bounded capture of one output stream: keeps the first and the last
// bytes (half the cap each) and counts the rest. Memory never exceeds the
// cap, whatever the command writes.
//
// Threading: one instance per stream, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sandbox/sandbox.h"

namespace sandbox::internal {

class OutputCapture {
 public:
  explicit OutputCapture(uint64_t cap_bytes);
  void Append(const char* data, size_t size);
  uint64_t total_bytes() const { return total_; }
  CapturedOutput Finish() const;

 private:
  size_t head_cap_;
  size_t tail_cap_;
  std::string head_;
  std::string ring_;      // tail bytes, circular once full
  size_t ring_next_ = 0;  // where the next tail byte goes once full
  uint64_t total_ = 0;
};

}  // namespace sandbox::internal

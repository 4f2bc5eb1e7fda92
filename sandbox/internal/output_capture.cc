#include "sandbox/internal/output_capture.h"

#include <algorithm>

namespace sandbox::internal {

OutputCapture::OutputCapture(uint64_t cap_bytes)
    : head_cap_(static_cast<size_t>(cap_bytes - cap_bytes / 2)),
      tail_cap_(static_cast<size_t>(cap_bytes / 2)) {}

void OutputCapture::Append(const char* data, size_t size) {
  total_ += size;
  size_t to_head = std::min(size, head_cap_ - head_.size());
  head_.append(data, to_head);
  data += to_head;
  size -= to_head;
  if (size == 0 || tail_cap_ == 0) return;
  if (size >= tail_cap_) {
    // The chunk alone fills the tail: keep its end.
    ring_.assign(data + size - tail_cap_, tail_cap_);
    ring_next_ = 0;
    return;
  }
  size_t room = tail_cap_ - ring_.size();
  size_t to_fill = std::min(size, room);
  ring_.append(data, to_fill);
  data += to_fill;
  size -= to_fill;
  while (size > 0) {
    size_t n = std::min(size, tail_cap_ - ring_next_);
    ring_.replace(ring_next_, n, data, n);
    ring_next_ = (ring_next_ + n) % tail_cap_;
    data += n;
    size -= n;
  }
}

CapturedOutput OutputCapture::Finish() const {
  CapturedOutput out;
  out.head = head_;
  out.tail = ring_.substr(ring_next_) + ring_.substr(0, ring_next_);
  out.total_bytes = total_;
  return out;
}

}  // namespace sandbox::internal

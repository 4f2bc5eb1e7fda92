// Little-endian byte writer and a bounds-checked reader for KV checkpoint
// state (live state and blocks). The reader never reads past its input:
// every failure is a Corruption that names the field being read.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/status.h"

namespace engine::kv {

class StateWriter {
 public:
  explicit StateWriter(std::string* out) : out_(out) {}

  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_->append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void PutArray(const T* data, size_t n) {
    out_->append(reinterpret_cast<const char*>(data), n * sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_->append(s);
  }

 private:
  std::string* out_;
};

class StateReader {
 public:
  StateReader(std::string_view in, std::string what) : in_(in), what_(std::move(what)) {}

  template <typename T>
  base::Status Get(const char* field, T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    RETURN_IF_ERROR(Need(field, sizeof(T)));
    std::memcpy(v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return base::Status::Ok();
  }
  template <typename T>
  base::Status GetArray(const char* field, T* data, uint64_t n) {
    if (n > (in_.size() - pos_) / sizeof(T)) return Short(field, n * sizeof(T));
    std::memcpy(data, in_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return base::Status::Ok();
  }
  base::Status GetString(const char* field, std::string* s) {
    uint64_t n = 0;
    RETURN_IF_ERROR(Get(field, &n));
    RETURN_IF_ERROR(Need(field, n));
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return base::Status::Ok();
  }
  // A field whose value is out of range.
  base::Status Bad(const char* field, const std::string& why) const {
    return base::Corruption(what_ + ": field '" + field + "' at byte " + std::to_string(pos_) + ": " + why);
  }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  base::Status Need(const char* field, uint64_t n) const {
    return n > in_.size() - pos_ ? Short(field, n) : base::Status::Ok();
  }
  base::Status Short(const char* field, uint64_t n) const {
    return base::Corruption(what_ + ": field '" + field + "' at byte " + std::to_string(pos_) + " needs " +
                            std::to_string(n) + " bytes, " + std::to_string(in_.size() - pos_) +
                            " remain (truncated?)");
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace engine::kv

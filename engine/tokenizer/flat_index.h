// Open-addressing hash indexes for vocabulary lookups (internal).
//
// Token lookups dominate both loading (hundreds of thousands of merges) and
// encoding, and std::unordered_map spends most of that time on cache misses
// walking its node chains. These tables keep everything in one array with
// linear probing at a load factor of at most 0.7.
//
// Threading: build on one thread; concurrent const use is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace engine::tokenizer_internal {

// string -> non-negative int32. Keys are views: their bytes must outlive
// the index.
class StringIndex {
 public:
  void Reserve(size_t n);
  // Inserts key -> value unless the key is present; returns the value now
  // stored for the key.
  int32_t Insert(std::string_view key, int32_t value);
  int32_t Find(std::string_view key) const;  // -1 when absent
  size_t size() const { return size_; }

 private:
  struct Slot {
    std::string_view key;
    uint32_t hash = 0;
    int32_t value = -1;  // -1: empty
  };
  size_t Probe(std::string_view key, uint32_t hash) const;  // slot of key, or the empty slot for it
  void Rehash(size_t capacity);

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// (left, right) symbol pair -> BPE merge rank and result.
class PairIndex {
 public:
  struct Value {
    int32_t rank = -1;  // -1: empty
    int32_t result = -1;
  };
  void Reserve(size_t n);
  // Keeps the first value inserted for a pair.
  void Insert(int32_t left, int32_t right, Value value);
  const Value* Find(int32_t left, int32_t right) const;  // nullptr when absent

 private:
  struct Slot {
    uint64_t key = 0;
    Value value;
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }
  size_t Probe(uint64_t key) const;
  void Rehash(size_t capacity);

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace engine::tokenizer_internal

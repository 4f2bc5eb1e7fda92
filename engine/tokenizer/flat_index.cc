#include "engine/tokenizer/flat_index.h"

#include "base/hash.h"

namespace engine::tokenizer_internal {
namespace {

constexpr size_t kMinCapacity = 16;

// Smallest power of two that holds n entries at a load factor <= 0.7.
size_t CapacityFor(size_t n) {
  size_t capacity = kMinCapacity;
  while (capacity * 7 < n * 10) capacity *= 2;
  return capacity;
}

uint64_t MixBits(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

void StringIndex::Reserve(size_t n) {
  if (CapacityFor(n) > slots_.size()) Rehash(CapacityFor(n));
}

size_t StringIndex::Probe(std::string_view key, uint32_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.value < 0 || (s.hash == hash && s.key == key)) return i;
  }
}

int32_t StringIndex::Insert(std::string_view key, int32_t value) {
  if ((size_ + 1) * 10 > slots_.size() * 7) Rehash(CapacityFor(size_ + 1));
  const auto hash = static_cast<uint32_t>(base::Hash64(key));
  Slot& slot = slots_[Probe(key, hash)];
  if (slot.value >= 0) return slot.value;
  slot = {key, hash, value};
  ++size_;
  return value;
}

int32_t StringIndex::Find(std::string_view key) const {
  if (slots_.empty()) return -1;
  return slots_[Probe(key, static_cast<uint32_t>(base::Hash64(key)))].value;
}

void StringIndex::Rehash(size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  for (const Slot& s : old) {
    if (s.value >= 0) slots_[Probe(s.key, s.hash)] = s;
  }
}

void PairIndex::Reserve(size_t n) {
  if (CapacityFor(n) > slots_.size()) Rehash(CapacityFor(n));
}

size_t PairIndex::Probe(uint64_t key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = MixBits(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.value.rank < 0 || s.key == key) return i;
  }
}

void PairIndex::Insert(int32_t left, int32_t right, Value value) {
  if ((size_ + 1) * 10 > slots_.size() * 7) Rehash(CapacityFor(size_ + 1));
  const uint64_t key = Key(left, right);
  Slot& slot = slots_[Probe(key)];
  if (slot.value.rank >= 0) return;
  slot = {key, value};
  ++size_;
}

const PairIndex::Value* PairIndex::Find(int32_t left, int32_t right) const {
  if (slots_.empty() || left < 0 || right < 0) return nullptr;
  const Slot& slot = slots_[Probe(Key(left, right))];
  return slot.value.rank >= 0 ? &slot.value : nullptr;
}

void PairIndex::Rehash(size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  for (const Slot& s : old) {
    if (s.value.rank >= 0) slots_[Probe(s.key)] = s;
  }
}

}  // namespace engine::tokenizer_internal

// Lock-free single-producer single-consumer ring of fixed-size periods of int16 samples.
// All memory is allocated in the constructor; push/pop only copy and move two indices, so the
// ALSA thread can use it without allocating or locking.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

namespace riffbox {

class SpscPeriodRing {
 public:
  SpscPeriodRing(size_t periods, size_t samplesPerPeriod)
      : slots_(periods), periodSamples_(samplesPerPeriod), data_(periods * samplesPerPeriod, 0) {}

  size_t periodSamples() const { return periodSamples_; }

  // Producer: the slot to fill, or nullptr when full. Publish it with commitWrite().
  int16_t* writeSlot() {
    uint64_t w = write_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= slots_) return nullptr;
    return &data_[(w % slots_) * periodSamples_];
  }
  void commitWrite() { write_.store(write_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Consumer: the oldest filled slot, or nullptr when empty. Free it with commitRead().
  const int16_t* readSlot() const {
    uint64_t r = read_.load(std::memory_order_relaxed);
    if (write_.load(std::memory_order_acquire) == r) return nullptr;
    return &data_[(r % slots_) * periodSamples_];
  }
  void commitRead() { read_.store(read_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  bool push(const int16_t* period) {
    int16_t* slot = writeSlot();
    if (slot == nullptr) return false;
    std::memcpy(slot, period, periodSamples_ * sizeof(int16_t));
    commitWrite();
    return true;
  }

  bool pop(int16_t* period) {
    const int16_t* slot = readSlot();
    if (slot == nullptr) return false;
    std::memcpy(period, slot, periodSamples_ * sizeof(int16_t));
    commitRead();
    return true;
  }

  // Either side: a snapshot, exact only when the other side is idle.
  size_t filled() const {
    return static_cast<size_t>(write_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire));
  }

 private:
  const size_t slots_;
  const size_t periodSamples_;
  std::vector<int16_t> data_;
  // Monotonic 64-bit counters never wrap in practice; separate cache lines avoid false sharing.
  alignas(64) std::atomic<uint64_t> write_{0};
  alignas(64) std::atomic<uint64_t> read_{0};
};

}  // namespace riffbox

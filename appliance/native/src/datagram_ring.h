// Lock-free single-producer single-consumer ring of datagrams with their sender and arrival time: the
// client's real-time thread hands what is not its server's audio to the JS thread through it. All memory
// is allocated in the constructor; push and pop copy bytes and move two indices.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

namespace riffbox {

struct DatagramMeta {
  uint32_t length = 0;
  sockaddr_storage from{};
  // CLOCK_MONOTONIC ns of the kernel's receipt.
  uint64_t arrivalNs = 0;
};

class DatagramRing {
 public:
  DatagramRing(size_t slots, size_t slotBytes) : slots_(slots), slotBytes_(slotBytes), data_(slots * slotBytes), meta_(slots) {}

  size_t slotBytes() const { return slotBytes_; }

  // Producer: copies up to slotBytes of the datagram; false (nothing stored) when the ring is full.
  bool push(const uint8_t* bytes, size_t length, const sockaddr_storage& from, uint64_t arrivalNs) {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= slots_) return false;
    const size_t k = w % slots_;
    const size_t n = length < slotBytes_ ? length : slotBytes_;
    std::memcpy(&data_[k * slotBytes_], bytes, n);
    meta_[k].length = static_cast<uint32_t>(length);
    meta_[k].from = from;
    meta_[k].arrivalNs = arrivalNs;
    write_.store(w + 1, std::memory_order_release);
    return true;
  }

  // Consumer: the oldest datagram (its bytes, min(length, slotBytes) of them), or nullptr when empty.
  const uint8_t* peek(DatagramMeta* meta) const {
    const uint64_t r = read_.load(std::memory_order_relaxed);
    if (write_.load(std::memory_order_acquire) == r) return nullptr;
    const size_t k = r % slots_;
    *meta = meta_[k];
    return &data_[k * slotBytes_];
  }
  void pop() { read_.store(read_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

 private:
  const size_t slots_;
  const size_t slotBytes_;
  std::vector<uint8_t> data_;
  std::vector<DatagramMeta> meta_;
  alignas(64) std::atomic<uint64_t> write_{0};
  alignas(64) std::atomic<uint64_t> read_{0};
};

}  // namespace riffbox

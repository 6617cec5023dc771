// Jitter buffer for coded audio frames (protocol §3.5), the one implementation the server's channels and the
// client's real-time path share.
//
// The bookkeeping (which slot a frame goes to, which slot a read takes) lives in JitterWindow so that the
// auto-sizer can run ten data-less copies of exactly the same policy; JitterBuffer adds the byte storage.
// Everything after construction is allocation-free and never throws: put/get run for every frame.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace riffbox {

constexpr int kMinJitterBlocks = 1;
constexpr int kMaxJitterBlocks = 20;
constexpr int kDefaultJitterBlocks = 10;
// The JITT_BUF_SIZE value that means "auto".
constexpr int kAutoJitterBlocks = 21;

// Counters for status pages and tests; they never reset by themselves.
struct JitterCounters {
  uint64_t puts = 0;
  uint64_t gets = 0;
  uint64_t underruns = 0;
  // FIFO mode: frames discarded because the buffer was full.
  uint64_t overflows = 0;
  // Sequenced mode: frames that arrived behind the read position (window moved back) or beyond it (forward).
  uint64_t lateMoves = 0;
  uint64_t earlyMoves = 0;
  // Frames that were stored but thrown away unread by a window move or a shrink.
  uint64_t droppedFrames = 0;
};

// Slot policy of a jitter buffer, without any data.
class JitterWindow {
 public:
  JitterWindow(int maxBlocks, int size);

  int size() const { return size_; }
  int maxBlocks() const { return maxBlocks_; }
  bool sequenced() const { return sequenced_; }
  // Frames held (FIFO) or valid slots in the window (sequenced).
  int filled() const;
  const JitterCounters& counters() const { return counters_; }
  void resetCounters() { counters_ = JitterCounters{}; }

  // Empties the window and switches mode; the size is kept.
  void clear(bool sequenced);
  // The slot for an arriving frame (0 … size−1), or −1 when it must be discarded (FIFO overflow). `seq` is
  // the frame's sequence byte in sequenced mode and is ignored otherwise.
  int putSlot(int seq);
  // The slot at the read position, or −1 on an underrun (the caller then conceals). In sequenced mode every
  // call advances the read position, as time does.
  int getSlot();
  // Changes the number of blocks, keeping content where possible (§4.8): FIFO keeps the oldest frames that
  // fit, sequenced mode the first slots of the window; the read position becomes slot 0. perm[i] receives the
  // old slot whose content is now in slot i (−1: empty) for i below the returned count.
  int resize(int newSize, int* perm);

 private:
  int maxBlocks_;
  std::vector<uint8_t> valid_;
  std::vector<uint8_t> validScratch_;
  int size_;
  bool sequenced_ = false;
  int getPos_ = 0;
  int putPos_ = 0;
  int count_ = 0;     // FIFO mode only
  int expected_ = 0;  // sequence number that belongs to getPos_ (sequenced mode)
  bool synced_ = false;
  JitterCounters counters_;
};

// Jitter buffer of coded frames with preallocated storage.
class JitterBuffer {
 public:
  JitterBuffer(size_t maxBlockBytes, int maxBlocks = kMaxJitterBlocks, int size = kDefaultJitterBlocks);

  int size() const { return window_.size(); }
  int maxBlocks() const { return window_.maxBlocks(); }
  size_t maxBlockBytes() const { return maxBlockBytes_; }
  size_t blockBytes() const { return blockBytes_; }
  bool sequenced() const { return window_.sequenced(); }
  int filled() const { return window_.filled(); }
  const JitterCounters& counters() const { return window_.counters(); }
  // Frames refused by put: wrong length, or no sequence number in sequenced mode.
  uint64_t rejected() const { return rejected_; }
  void resetCounters() {
    window_.resetCounters();
    rejected_ = 0;
  }

  // Empties the buffer for a new stream format; false (nothing changed) when blockBytes does not fit.
  bool reset(size_t blockBytes, bool sequenced);
  // Sets the size in blocks (1 … maxBlocks), keeping content where possible; false when out of range.
  bool setSize(int n);
  // Stores one coded frame of exactly blockBytes bytes; seq is its sequence byte, or −1 for a stream without.
  // False when refused (wrong length, missing sequence number, FIFO full).
  bool put(const uint8_t* src, size_t length, int seq);
  // Copies the next frame into dst (room for blockBytes) and returns its length, or 0 on an underrun.
  size_t get(uint8_t* dst);

 private:
  size_t maxBlockBytes_;
  JitterWindow window_;
  std::vector<uint8_t> storage_;
  // Logical slot → physical block. A resize only permutes this table, so no frame bytes move.
  std::vector<int> blockOf_;
  std::vector<int> blockScratch_;
  std::vector<int> perm_;
  std::vector<uint8_t> used_;
  size_t blockBytes_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace riffbox

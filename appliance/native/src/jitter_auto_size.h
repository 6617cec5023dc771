// Automatic jitter-buffer sizing (protocol §3.5, "auto", JITT_BUF_SIZE 21).
//
// Ten data-less copies of the real buffer's policy, sized 2 … 11 blocks, see the same put/get events. Each
// keeps a moving error rate; the smallest size whose rate stays under a bound is the target. The target is
// smoothed with a slow-up/fast-down IIR and quantised with hysteresis, so the announced size changes
// rarely. Allocation-free after construction.
#pragma once
#include <cstdint>
#include <vector>

#include "jitter_buffer.h"

namespace riffbox {

constexpr int kAutoMinBlocks = 2;
constexpr int kAutoSimCount = 10;  // sizes 2 … 11
constexpr int kAutoMaxBlocks = kAutoMinBlocks + kAutoSimCount - 1;
constexpr int kAutoStartBlocks = 6;

// Moving average of 0/1 error events over a fixed history, one bit per event. A run of consecutive errors
// counts once: a burst is one incident, however long.
class ErrorRate {
 public:
  explicit ErrorRate(int length);
  void reset();
  void update(bool error);
  // 1 (worst) until the first event, then errors / events seen (up to the history length).
  double average() const { return filled_ == 0 ? 1.0 : static_cast<double>(errors_) / filled_; }

 private:
  std::vector<uint32_t> bits_;
  int length_;
  int idx_ = 0;
  int filled_ = 0;
  int errors_ = 0;
  bool previousError_ = true;
};

struct AutoSizeTuning;

class JitterAutoSize {
 public:
  explicit JitterAutoSize(int frameSamples = 128, bool sequenced = false);

  // The smoothed size in blocks (2 … 11); starts at 6.
  int currentSize() const { return currentSize_; }
  int frameSamples() const { return frameSamples_; }
  // Set whenever currentSize changes; the owner clears it after announcing the new size.
  bool changed = false;
  // Error rate of the simulated buffer of `blocks` blocks (2 … 11), NaN outside.
  double errorRate(int blocks) const;

  // Starts over for a new stream format: statistics cleared, size back to 6, `changed` cleared.
  void reset(int frameSamples, bool sequenced);
  // Every frame that reaches the real buffer (seq −1 without sequence numbers).
  void onPut(int seq);
  // Every read of the real buffer; true when currentSize changed on this event.
  bool onGet();

 private:
  int smallestSizeUnder(double bound) const;
  bool updateSize();

  const AutoSizeTuning* tuning_;
  int frameSamples_ = 128;
  std::vector<JitterWindow> sims_;
  // Both history lengths are allocated up front so reset() never allocates.
  std::vector<ErrorRate> rates64_;
  std::vector<ErrorRate> rates128_;
  std::vector<ErrorRate>* rates_;
  double iir_;
  int initCounter_ = 0;
  int currentSize_;
};

}  // namespace riffbox

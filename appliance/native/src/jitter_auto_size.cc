#include "jitter_auto_size.h"

#include <cmath>
#include <limits>

namespace riffbox {

namespace {

constexpr double kHysteresis = 0.1;
}  // namespace

// One event per coded frame, so the constants depend on the frame length.
struct AutoSizeTuning {
  int statLength;
  double errorBound;
  double upMaxBound;
  double upNormal;
  double downNormal;
  double upFast;
  double downFast;
};

namespace {
constexpr AutoSizeTuning kTuning64{22500, 0.00025, 0.005, 0.9999975, 0.99995, 0.99975, 0.9995};
constexpr AutoSizeTuning kTuning128{11000, 0.0005, 0.01, 0.999995, 0.9999, 0.9995, 0.999};
}  // namespace

ErrorRate::ErrorRate(int length) : bits_((length + 31) / 32, 0), length_(length) {}

void ErrorRate::reset() {
  std::fill(bits_.begin(), bits_.end(), 0);
  idx_ = 0;
  filled_ = 0;
  errors_ = 0;
  previousError_ = true;
}

void ErrorRate::update(bool error) {
  if (error && previousError_) return;
  previousError_ = error;
  const int word = idx_ >> 5;
  const uint32_t mask = 1u << (idx_ & 31);
  if (filled_ == length_) {
    if ((bits_[word] & mask) != 0) errors_--;
  } else {
    filled_++;
  }
  if (error) {
    bits_[word] |= mask;
    errors_++;
  } else {
    bits_[word] &= ~mask;
  }
  idx_ = idx_ + 1 == length_ ? 0 : idx_ + 1;
}

JitterAutoSize::JitterAutoSize(int frameSamples, bool sequenced)
    : tuning_(&kTuning128), rates_(&rates128_), iir_(kAutoStartBlocks), currentSize_(kAutoStartBlocks) {
  sims_.reserve(kAutoSimCount);
  rates64_.reserve(kAutoSimCount);
  rates128_.reserve(kAutoSimCount);
  for (int i = 0; i < kAutoSimCount; i++) {
    sims_.emplace_back(kAutoMinBlocks + kAutoSimCount, kAutoMinBlocks + i);
    rates64_.emplace_back(kTuning64.statLength);
    rates128_.emplace_back(kTuning128.statLength);
  }
  reset(frameSamples, sequenced);
}

double JitterAutoSize::errorRate(int blocks) const {
  const int i = blocks - kAutoMinBlocks;
  if (i < 0 || i >= kAutoSimCount) return std::numeric_limits<double>::quiet_NaN();
  return (*rates_)[i].average();
}

void JitterAutoSize::reset(int frameSamples, bool sequenced) {
  frameSamples_ = frameSamples == 64 ? 64 : 128;
  tuning_ = frameSamples_ == 64 ? &kTuning64 : &kTuning128;
  rates_ = frameSamples_ == 64 ? &rates64_ : &rates128_;
  for (int i = 0; i < kAutoSimCount; i++) {
    sims_[i].clear(sequenced);
    (*rates_)[i].reset();
  }
  initCounter_ = tuning_->statLength >> 2;
  iir_ = kAutoStartBlocks;
  currentSize_ = kAutoStartBlocks;
  changed = false;
}

void JitterAutoSize::onPut(int seq) {
  for (int i = 0; i < kAutoSimCount; i++) (*rates_)[i].update(sims_[i].putSlot(seq) < 0);
}

bool JitterAutoSize::onGet() {
  for (int i = 0; i < kAutoSimCount; i++) (*rates_)[i].update(sims_[i].getSlot() < 0);
  return updateSize();
}

int JitterAutoSize::smallestSizeUnder(double bound) const {
  // The largest size is the fallback, so it is never tested.
  for (int i = 0; i < kAutoSimCount - 1; i++) {
    if ((*rates_)[i].average() <= bound) return kAutoMinBlocks + i;
  }
  return -1;
}

bool JitterAutoSize::updateSize() {
  const AutoSizeTuning& t = *tuning_;
  int target = smallestSizeUnder(t.errorBound);
  if (target < 0) target = kAutoMaxBlocks;
  int tolerable = smallestSizeUnder(t.upMaxBound);
  if (tolerable < 0) {
    // Even the large buffers fail badly: something drastic happened (route change, outage); adapt quickly
    // again as at the start.
    tolerable = kAutoMaxBlocks;
    initCounter_ = t.statLength >> 2;
  }
  bool fast = false;
  if (initCounter_ > 0) {
    initCounter_--;
    fast = true;
  }
  // Below the size that is merely tolerable the audio breaks up constantly: hurry upwards.
  if (currentSize_ < tolerable) fast = true;

  const double wUp = fast ? t.upFast : t.upNormal;
  const double wDown = fast ? t.downFast : t.downNormal;
  const double w = target < iir_ ? wDown : wUp;
  iir_ = iir_ * w + (1 - w) * target;

  const int prev = currentSize_;
  // Halves round up.
  const int next = static_cast<int>(std::floor((iir_ > prev ? iir_ - kHysteresis : iir_ + kHysteresis) + 0.5));

  // Errors from the very first moments of a connection (start-up, first bursts) should not weigh on the
  // rest of the initial phase.
  if (initCounter_ == t.statLength >> 3) {
    if ((*rates_)[kAutoSimCount - 1].average() > t.errorBound) {
      for (int i = 0; i < kAutoSimCount; i++) (*rates_)[i].reset();
    }
  }
  if (next != prev) {
    currentSize_ = next;
    changed = true;
    return true;
  }
  return false;
}

}  // namespace riffbox

#include "jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace riffbox {

namespace {
int clampSize(int n, int max) {
  if (n < kMinJitterBlocks) return kMinJitterBlocks;
  return n > max ? max : n;
}
}  // namespace

JitterWindow::JitterWindow(int maxBlocks, int size)
    : maxBlocks_(maxBlocks), valid_(maxBlocks, 0), validScratch_(maxBlocks, 0), size_(clampSize(size, maxBlocks)) {}

int JitterWindow::filled() const {
  if (!sequenced_) return count_;
  int n = 0;
  for (int i = 0; i < size_; i++) n += valid_[i];
  return n;
}

void JitterWindow::clear(bool sequenced) {
  sequenced_ = sequenced;
  std::fill(valid_.begin(), valid_.end(), 0);
  getPos_ = 0;
  putPos_ = 0;
  count_ = 0;
  expected_ = 0;
  synced_ = false;
}

int JitterWindow::putSlot(int seq) {
  counters_.puts++;
  const int size = size_;
  if (!sequenced_) {
    if (count_ >= size) {
      counters_.overflows++;
      return -1;
    }
    const int slot = putPos_;
    putPos_ = slot + 1 == size ? 0 : slot + 1;
    count_++;
    return slot;
  }
  seq &= 0xff;
  if (!synced_) {
    // Without this the first frame would look up to 128 frames late or early relative to an arbitrary
    // start value, and be counted as a window move.
    expected_ = seq;
    synced_ = true;
  }
  int d = (seq - expected_) & 0xff;
  if (d >= 128) d -= 256;
  int slot;
  if (d < 0) {
    // Late: move the window back so this frame becomes the first slot. Every slot the window grows into
    // stood for a far-future sequence number, so its content is void.
    counters_.lateMoves++;
    int pos = getPos_;
    for (int i = d; i < 0; i++) {
      pos = pos == 0 ? size - 1 : pos - 1;
      if (valid_[pos] != 0) {
        valid_[pos] = 0;
        counters_.droppedFrames++;
      }
    }
    getPos_ = pos;
    expected_ = (expected_ + d) & 0xff;
    slot = pos;
  } else if (d >= size) {
    // Early: move the window forward so this frame becomes the last slot; the slots skipped were never read.
    counters_.earlyMoves++;
    const int shift = d - size + 1;
    int pos = getPos_;
    for (int i = 0; i < shift; i++) {
      if (valid_[pos] != 0) {
        valid_[pos] = 0;
        counters_.droppedFrames++;
      }
      pos = pos + 1 == size ? 0 : pos + 1;
    }
    getPos_ = pos;
    expected_ = (expected_ + shift) & 0xff;
    slot = pos + size - 1;
    if (slot >= size) slot -= size;
  } else {
    slot = getPos_ + d;
    if (slot >= size) slot -= size;
  }
  valid_[slot] = 1;
  return slot;
}

int JitterWindow::getSlot() {
  counters_.gets++;
  const int size = size_;
  const int slot = getPos_;
  if (!sequenced_) {
    if (count_ == 0) {
      counters_.underruns++;
      return -1;
    }
    getPos_ = slot + 1 == size ? 0 : slot + 1;
    count_--;
    return slot;
  }
  const bool ok = valid_[slot] != 0;
  valid_[slot] = 0;
  getPos_ = slot + 1 == size ? 0 : slot + 1;
  expected_ = (expected_ + 1) & 0xff;
  if (!ok) {
    counters_.underruns++;
    return -1;
  }
  return slot;
}

int JitterWindow::resize(int newSize, int* perm) {
  const int n = clampSize(newSize, maxBlocks_);
  const int old = size_;
  if (!sequenced_) {
    const int kept = count_ < n ? count_ : n;
    for (int i = 0; i < kept; i++) {
      int src = getPos_ + i;
      if (src >= old) src -= old;
      perm[i] = src;
    }
    counters_.droppedFrames += static_cast<uint64_t>(count_ - kept);
    size_ = n;
    getPos_ = 0;
    count_ = kept;
    putPos_ = kept == n ? 0 : kept;
    return kept;
  }
  const int m = old < n ? old : n;
  std::fill(validScratch_.begin(), validScratch_.end(), 0);
  for (int i = 0; i < old; i++) {
    int src = getPos_ + i;
    if (src >= old) src -= old;
    const uint8_t v = valid_[src];
    if (i < m) {
      perm[i] = v != 0 ? src : -1;
      validScratch_[i] = v;
    } else if (v != 0) {
      counters_.droppedFrames++;
    }
  }
  valid_.swap(validScratch_);
  size_ = n;
  getPos_ = 0;
  return m;
}

JitterBuffer::JitterBuffer(size_t maxBlockBytes, int maxBlocks, int size)
    : maxBlockBytes_(maxBlockBytes),
      window_(maxBlocks, std::min(size, maxBlocks)),
      storage_(static_cast<size_t>(maxBlocks) * maxBlockBytes, 0),
      blockOf_(maxBlocks),
      blockScratch_(maxBlocks),
      perm_(maxBlocks),
      used_(maxBlocks) {
  for (int i = 0; i < maxBlocks; i++) blockOf_[i] = i;
}

bool JitterBuffer::reset(size_t blockBytes, bool sequenced) {
  if (blockBytes < 1 || blockBytes > maxBlockBytes_) return false;
  blockBytes_ = blockBytes;
  window_.clear(sequenced);
  return true;
}

bool JitterBuffer::setSize(int n) {
  const int max = window_.maxBlocks();
  if (n < kMinJitterBlocks || n > max) return false;
  if (n == window_.size()) return true;
  const int kept = window_.resize(n, perm_.data());
  blockScratch_ = blockOf_;
  std::fill(used_.begin(), used_.end(), 0);
  for (int i = 0; i < max; i++) {
    const int p = i < kept ? perm_[i] : -1;
    if (p >= 0) {
      const int b = blockScratch_[p];
      blockOf_[i] = b;
      used_[b] = 1;
    } else {
      blockOf_[i] = -1;
    }
  }
  int next = 0;
  for (int i = 0; i < max; i++) {
    if (blockOf_[i] != -1) continue;
    while (used_[next] != 0) next++;
    blockOf_[i] = next;
    used_[next] = 1;
  }
  return true;
}

bool JitterBuffer::put(const uint8_t* src, size_t length, int seq) {
  if (blockBytes_ == 0 || length != blockBytes_ || (window_.sequenced() && seq < 0)) {
    rejected_++;
    return false;
  }
  const int slot = window_.putSlot(seq);
  if (slot < 0) return false;
  std::memcpy(&storage_[static_cast<size_t>(blockOf_[slot]) * maxBlockBytes_], src, length);
  return true;
}

size_t JitterBuffer::get(uint8_t* dst) {
  if (blockBytes_ == 0) return 0;
  const int slot = window_.getSlot();
  if (slot < 0) return 0;
  std::memcpy(dst, &storage_[static_cast<size_t>(blockOf_[slot]) * maxBlockBytes_], blockBytes_);
  return blockBytes_;
}

}  // namespace riffbox

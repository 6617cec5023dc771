// Wakes a JS thread from a native thread without ever queueing more than one call: the
// producer adds counts, the JS callback receives their sum since the previous call. Used by
// the tick timer (ticks due) and the ALSA thread (periods captured).
#pragma once
#include <node_api.h>

#include <atomic>
#include <cstdint>

namespace riffbox {

class CoalescingNotifier {
 public:
  // JS thread. Returns false (and leaves nothing open) if napi refuses.
  bool Open(napi_env env, napi_value callback, const char* resourceName);
  // JS thread, after the producer thread has been joined. Calls still queued are dropped.
  void Close();
  bool IsOpen() const { return tsfn_ != nullptr; }

  // Producer thread: never blocks, never allocates.
  void Add(uint64_t count);

 private:
  static void CallJs(napi_env env, napi_value callback, void* context, void* data);

  napi_threadsafe_function tsfn_ = nullptr;
  std::atomic<bool> callPending_{false};
  std::atomic<uint64_t> due_{0};
};

}  // namespace riffbox

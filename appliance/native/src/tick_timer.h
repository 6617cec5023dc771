// TickTimer: a native thread that sleeps to absolute CLOCK_MONOTONIC deadlines spaced exactly
// periodNs apart and wakes the JS thread that created it. Ticks that come due while JS is
// busy are coalesced into one call carrying their count (CoalescingNotifier).
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "coalescing_notifier.h"

namespace riffbox {

class TickTimer : public Napi::ObjectWrap<TickTimer> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TickTimer(const Napi::CallbackInfo& info);
  ~TickTimer() override;

 private:
  static void EnvCleanup(void* arg);

  void Start(const Napi::CallbackInfo& info);
  void Stop(const Napi::CallbackInfo& info);
  Napi::Value Running(const Napi::CallbackInfo& info);
  Napi::Value Realtime(const Napi::CallbackInfo& info);
  Napi::Value Ticks(const Napi::CallbackInfo& info);
  void Run();
  // Joins the thread and closes the notifier; safe to call twice and from the env cleanup
  // hook (touches no JS).
  void Halt();

  Napi::FunctionReference callback_;
  napi_env env_ = nullptr;
  CoalescingNotifier notifier_;
  std::thread thread_;
  // Period in femtoseconds so 1e9/375 ns and 1e9/750 ns stay exact on average forever.
  uint64_t periodFs_ = 0;
  bool running_ = false;
  bool cleanupHookAdded_ = false;
  std::atomic<bool> stopRequested_{false};
  std::atomic<uint64_t> ticksTotal_{0};
  std::atomic<bool> realtime_{false};
};

}  // namespace riffbox

// TickTimer: a native thread that sleeps to absolute CLOCK_MONOTONIC deadlines spaced exactly
// periodNs apart and wakes the JS thread that created it through a thread-safe function.
// Ticks that come due while JS is busy are coalesced into one call carrying their count, so
// the queue towards JS never holds more than one pending wake-up.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace riffbox {

class TickTimer : public Napi::ObjectWrap<TickTimer> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TickTimer(const Napi::CallbackInfo& info);
  ~TickTimer() override;

 private:
  static void CallJs(Napi::Env env, Napi::Function callback, TickTimer* self, void* data);
  using Tsfn = Napi::TypedThreadSafeFunction<TickTimer, void, &TickTimer::CallJs>;
  static void EnvCleanup(void* arg);

  void Start(const Napi::CallbackInfo& info);
  void Stop(const Napi::CallbackInfo& info);
  Napi::Value Running(const Napi::CallbackInfo& info);
  Napi::Value Realtime(const Napi::CallbackInfo& info);
  Napi::Value Ticks(const Napi::CallbackInfo& info);
  void Run();
  // Joins the thread and lets go of the thread-safe function; safe to call twice and from the
  // env cleanup hook (touches no JS).
  void Halt();

  Napi::FunctionReference callback_;
  napi_env env_ = nullptr;
  Tsfn tsfn_;
  std::thread thread_;
  // Period in femtoseconds so 1e9/375 ns and 1e9/750 ns stay exact on average forever.
  uint64_t periodFs_ = 0;
  bool running_ = false;
  bool cleanupHookAdded_ = false;
  std::atomic<bool> stopRequested_{false};
  std::atomic<bool> callPending_{false};
  std::atomic<uint64_t> ticksDue_{0};
  std::atomic<uint64_t> ticksTotal_{0};
  std::atomic<bool> realtime_{false};
};

}  // namespace riffbox

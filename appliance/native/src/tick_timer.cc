#include "tick_timer.h"

#include <cerrno>
#include <cmath>
#include <system_error>

#include "args.h"
#include "rt_thread.h"

namespace riffbox {

namespace {
constexpr double kMinPeriodNs = 50e3;  // below this the JS side could never keep up anyway
constexpr double kMaxPeriodNs = 10e9;
constexpr int kTimerPriority = 60;      // below the ALSA thread: a late tick is cheaper than an xrun
constexpr uint64_t kFsPerNs = 1000000;
}  // namespace

Napi::Function TickTimer::Define(Napi::Env env) {
  return DefineClass(env, "TickTimer",
                     {
                         InstanceMethod<&TickTimer::Start>("start"),
                         InstanceMethod<&TickTimer::Stop>("stop"),
                         InstanceAccessor<&TickTimer::Running>("running"),
                         InstanceAccessor<&TickTimer::Realtime>("realtime"),
                         InstanceAccessor<&TickTimer::Ticks>("ticks"),
                     });
}

TickTimer::TickTimer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TickTimer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throwType(env, "TickTimer: periodNs must be a number");
  double periodNs = info[0].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(periodNs) || periodNs < kMinPeriodNs || periodNs > kMaxPeriodNs) {
    throwType(env, "TickTimer: periodNs must be between 50000 and 1e10");
  }
  if (!info[1].IsFunction()) throwType(env, "TickTimer: callback must be a function");
  periodFs_ = static_cast<uint64_t>(std::llround(periodNs * static_cast<double>(kFsPerNs)));
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  env_ = env;
}

TickTimer::~TickTimer() { Halt(); }

void TickTimer::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (running_) return;
  stopRequested_.store(false);
  if (!notifier_.Open(env, callback_.Value(), "riffbox.TickTimer")) {
    throw Napi::Error::New(env, "TickTimer: napi_create_threadsafe_function failed");
  }
  // Registered after the thread-safe function so it runs before that function's own teardown
  // (hooks run in reverse): a worker that exits without stop() must still join this thread.
  if (napi_add_env_cleanup_hook(env, &TickTimer::EnvCleanup, this) != napi_ok) {
    notifier_.Close();
    throw Napi::Error::New(env, "TickTimer: napi_add_env_cleanup_hook failed");
  }
  cleanupHookAdded_ = true;
  running_ = true;
  // While running, the JS object must outlive the thread that points at it.
  Ref();
  try {
    thread_ = std::thread(&TickTimer::Run, this);
  } catch (const std::system_error& e) {
    Halt();
    Unref();
    throw Napi::Error::New(env, std::string("TickTimer: cannot start thread: ") + e.what());
  }
}

void TickTimer::Stop(const Napi::CallbackInfo& info) {
  if (!running_) return;
  Halt();
  Unref();
}

void TickTimer::Halt() {
  if (!running_) return;
  stopRequested_.store(true);
  if (thread_.joinable()) thread_.join();
  notifier_.Close();
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &TickTimer::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
  running_ = false;
}

void TickTimer::EnvCleanup(void* arg) {
  auto* self = static_cast<TickTimer*>(arg);
  // The env is going away and is walking its hook list: do not remove ourselves from it.
  self->cleanupHookAdded_ = false;
  self->Halt();
}

void TickTimer::Run() {
  realtime_.store(tryRealtime(kTimerPriority));
  const uint64_t base = monotonicNs();
  uint64_t next = 1;  // index of the next deadline
  auto deadlineOf = [&](uint64_t k) -> uint64_t {
    return base + static_cast<uint64_t>((static_cast<unsigned __int128>(k) * periodFs_) / kFsPerNs);
  };
  while (!stopRequested_.load(std::memory_order_relaxed)) {
    timespec ts = toTimespec(deadlineOf(next));
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    if (rc == EINTR) continue;
    if (stopRequested_.load(std::memory_order_relaxed)) break;
    // Every deadline that has passed counts once, however late this thread woke; the
    // schedule itself never drifts.
    unsigned __int128 elapsedFs = static_cast<unsigned __int128>(monotonicNs() - base) * kFsPerNs;
    uint64_t lastDue = static_cast<uint64_t>(elapsedFs / periodFs_);
    if (lastDue < next) lastDue = next;
    uint64_t count = lastDue - next + 1;
    next = lastDue + 1;
    ticksTotal_.fetch_add(count, std::memory_order_relaxed);
    notifier_.Add(count);
  }
}

Napi::Value TickTimer::Running(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), running_); }
Napi::Value TickTimer::Realtime(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), realtime_.load());
}
Napi::Value TickTimer::Ticks(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ticksTotal_.load()));
}

}  // namespace riffbox

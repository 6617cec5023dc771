#include "coalescing_notifier.h"

namespace riffbox {

bool CoalescingNotifier::Open(napi_env env, napi_value callback, const char* resourceName) {
  if (tsfn_ != nullptr) return true;
  callPending_.store(false);
  due_.store(0);
  napi_value name;
  if (napi_create_string_utf8(env, resourceName, NAPI_AUTO_LENGTH, &name) != napi_ok) return false;
  // Queue of 2: the pending flag allows one queued call, plus one racing with its consumption.
  napi_status status = napi_create_threadsafe_function(env, callback, nullptr, name, 2, 1, nullptr, nullptr, this,
                                                       &CoalescingNotifier::CallJs, &tsfn_);
  if (status != napi_ok) {
    tsfn_ = nullptr;
    return false;
  }
  return true;
}

void CoalescingNotifier::Close() {
  if (tsfn_ == nullptr) return;
  // Abort, not release: a queued call must never reach CallJs once the owner may be freed.
  // Node drops aborted items by calling CallJs with env == nullptr.
  napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
  tsfn_ = nullptr;
}

void CoalescingNotifier::Add(uint64_t count) {
  napi_threadsafe_function tsfn = tsfn_;
  if (tsfn == nullptr) return;
  due_.fetch_add(count);
  if (!callPending_.exchange(true)) {
    // Full queue or closing: a call is already on its way, or nobody listens any more.
    if (napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) != napi_ok) callPending_.store(false);
  }
}

void CoalescingNotifier::CallJs(napi_env env, napi_value callback, void* context, void* /*data*/) {
  if (env == nullptr || context == nullptr) return;
  auto* self = static_cast<CoalescingNotifier*>(context);
  // Clear the flag before taking the count: an add landing in between queues a fresh call,
  // which at worst finds zero and returns.
  self->callPending_.store(false);
  uint64_t due = self->due_.exchange(0);
  if (due == 0) return;
  // Raw napi: node-addon-api would throw C++ exceptions while a worker shuts down, and
  // nothing may unwind through node's frames. A throwing listener stays a pending JS
  // exception, reported as uncaught like a throwing setInterval callback.
  napi_value argv[1];
  if (napi_create_double(env, static_cast<double>(due), &argv[0]) != napi_ok) return;
  napi_value global;
  if (napi_get_global(env, &global) != napi_ok) return;
  napi_call_function(env, global, callback, 1, argv, nullptr);
}

}  // namespace riffbox

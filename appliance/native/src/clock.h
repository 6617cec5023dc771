// The process-wide monotonic clock that JS sees: CLOCK_MONOTONIC in nanoseconds, counted from
// an origin taken once per process (the first time the addon loads, in any thread). Every
// worker shares that origin, so a deadline computed in one thread means the same instant in
// another, and a JS number holds it to the nanosecond for 2^53 ns (about 104 days) after the
// origin; past that it rounds to 2 ns, then 4 ns, and so on.
#pragma once
#include <napi.h>

#include <cstdint>

namespace riffbox {

// CLOCK_MONOTONIC at the origin, in ns.
uint64_t clockOriginNs();

// monotonicNowNs(): ns since the origin, as a number.
Napi::Value MonotonicNowNs(const Napi::CallbackInfo& info);
// monotonicOriginNs(): the origin itself as a bigint, to line the scale up with
// process.hrtime.bigint() (also CLOCK_MONOTONIC).
Napi::Value MonotonicOriginNs(const Napi::CallbackInfo& info);

}  // namespace riffbox

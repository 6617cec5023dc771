// Helpers for the addon's own threads.
#pragma once
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>

namespace riffbox {

// Asks for SCHED_FIFO at the given priority. Refused without CAP_SYS_NICE or an rtprio
// limit (EPERM); the thread then keeps running at normal priority. Returns whether it worked.
inline bool tryRealtime(int priority) {
  sched_param param{};
  param.sched_priority = priority;
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
}

// SCHED_OTHER at a nice value for the calling thread only (Linux applies setpriority per thread id).
inline bool tryBackground(int nice) {
  sched_param param{};
  param.sched_priority = 0;
  bool ok = pthread_setschedparam(pthread_self(), SCHED_OTHER, &param) == 0;
  ok = setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice) == 0 && ok;
  return ok;
}

inline uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline timespec toTimespec(uint64_t ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(ns % 1000000000ull);
  return ts;
}

}  // namespace riffbox

// The frame tick, paced by a native thread (clock_nanosleep to absolute deadlines) rather than
// Node timers, which are too coarse for 1.33/2.67 ms periods (see design.md, "Real time").
import { native } from './native.js';

/** 64-sample frames at 48 kHz: 750 ticks/s. */
export const TICK_PERIOD_NS_64 = 1e9 / 750;
/** 128-sample frames at 48 kHz: 375 ticks/s. */
export const TICK_PERIOD_NS_128 = 1e9 / 375;

export function tickPeriodNs(frameSamples: 64 | 128): number {
  return frameSamples === 64 ? TICK_PERIOD_NS_64 : TICK_PERIOD_NS_128;
}

export interface TickTimer {
  /** True between start() and stop(). */
  readonly running: boolean;
  /** Whether the timer thread got SCHED_FIFO (needs CAP_SYS_NICE or an rtprio limit). */
  readonly realtime: boolean;
  /** Deadlines passed since start(), delivered or not. */
  readonly ticks: number;
  /** Starts the thread; keeps the event loop (or worker) alive until stop(). */
  start(): void;
  /** Joins the thread and releases the event loop. Idempotent. */
  stop(): void;
}

/**
 * Calls `callback(ticksDue)` on the creating thread once per period. When that thread was
 * busy, ticks are coalesced: ticksDue says how many deadlines passed since the last call, so the
 * engine can catch up. The period may be fractional; deadlines never drift.
 */
export const TickTimer = native.TickTimer as new (periodNs: number, callback: (ticksDue: number) => void) => TickTimer;

// The round trip to the server (CLM_PING_MS, every 500 ms like the reference, §5.4). The time travels in
// the message as Jamulus's ping clock, milliseconds since start wrapping at 2³²; the answer's arrival time is
// the kernel's, passed on by the real-time path, so the figure is exact although the socket is read once per
// period.
import { monotonicNowNs } from '../net/udp-socket.js';
import { PING_INTERVAL_MS } from './client-facts.js';

/** Round trips at or above this are a wrapped or bogus time, not a measurement. */
const MAX_RTT_MS = 60000;

export class Ping {
  /** The last round trip in ms, null until one came back (and after reset()). */
  ms: number | null = null;
  private lastSentAt = -Infinity;
  private readonly epochNs = monotonicNowNs();
  private readonly value = { timeMs: 0 };

  reset(): void {
    this.ms = null;
    this.lastSentAt = -Infinity;
  }

  /** The CLM_PING_MS value to send now, or null when the last one is recent. */
  due(nowMs: number): { timeMs: number } | null {
    if (nowMs - this.lastSentAt < PING_INTERVAL_MS) return null;
    this.lastSentAt = nowMs;
    this.value.timeMs = this.clock32(monotonicNowNs());
    return this.value;
  }

  /** A CLM_PING_MS answer carrying `timeMs` arrived at `arrivalNs` (monotonicNowNs() scale). */
  onReply(timeMs: number, arrivalNs: number): void {
    const rtt = (this.clock32(arrivalNs) - timeMs) >>> 0;
    if (rtt < MAX_RTT_MS) this.ms = rtt;
  }

  private clock32(ns: number): number {
    return Math.floor((ns - this.epochNs) / 1e6) >>> 0;
  }
}

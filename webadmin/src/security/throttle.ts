// Login throttling per client address: a few free attempts, then a doubling wait. Kept in memory,
// since a restart costs an attacker a restart, and an SD card should not log every guess.
export interface ThrottleOptions {
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Entries idle this long are forgotten. */
  readonly forgetAfterMs: number;
}

const DEFAULTS: ThrottleOptions = { freeAttempts: 4, baseDelayMs: 2000, maxDelayMs: 5 * 60 * 1000, forgetAfterMs: 30 * 60 * 1000 };
const MAX_ENTRIES = 10000;

interface Entry {
  failures: number;
  blockedUntil: number;
  lastAt: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly o: ThrottleOptions;

  constructor(opts: Partial<ThrottleOptions> = {}) {
    this.o = { ...DEFAULTS, ...opts };
  }

  /** Milliseconds to wait before this address may try again; 0 = may try now. */
  waitMs(key: string, now = Date.now()): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (now - e.lastAt > this.o.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.blockedUntil - now);
  }

  failure(key: string, now = Date.now()): void {
    if (this.entries.size >= MAX_ENTRIES) this.prune(now);
    const e = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastAt: now };
    e.failures++;
    e.lastAt = now;
    const over = e.failures - this.o.freeAttempts;
    if (over > 0) e.blockedUntil = now + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (over - 1));
    this.entries.set(key, e);
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (now - e.lastAt > this.o.forgetAfterMs || e.blockedUntil < now) this.entries.delete(k);
  }
}

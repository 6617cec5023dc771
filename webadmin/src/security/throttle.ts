// Guessing limits for everything that checks a secret (the login, the claim code, the password
// re-checks of the System page). Each attempt is counted *before* it is verified, so N guesses sent
// in parallel are N attempts, not one; a success hands the attempt back. Three limits:
//  - per source: a few free attempts, then a doubling wait (an IPv6 /64 counts as one source);
//  - a global failure budget for the whole box, so many addresses together guess no faster;
//  - a cap on scrypt verifications in flight (each takes ≈ 32 MB and tens of ms of CPU).
// Kept in memory: a restart costs an attacker a restart, and an SD card should not log every guess.
import { isIPv6 } from 'node:net';

export interface GuardOptions {
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Source entries idle this long are forgotten. */
  readonly forgetAfterMs: number;
  /** Global budget: at most this many unverified attempts at once in the bucket… */
  readonly globalBudget: number;
  /** …which refills by one every this many milliseconds. */
  readonly globalRefillMs: number;
  /** Verifications allowed in flight at once; more are refused at once rather than queued. */
  readonly maxConcurrent: number;
}

export const GUARD_DEFAULTS: GuardOptions = {
  freeAttempts: 4,
  baseDelayMs: 2000,
  maxDelayMs: 5 * 60 * 1000,
  forgetAfterMs: 30 * 60 * 1000,
  // 30 at once, then 180 an hour for the whole box: nothing for an owner who mistypes, years of
  // guessing for an 8-character password, and far beyond reach for a 60-bit claim code.
  globalBudget: 30,
  globalRefillMs: 20 * 1000,
  maxConcurrent: 2,
};
const MAX_ENTRIES = 10000;

export type Refusal = { readonly ok: false; readonly reason: 'source' | 'global' | 'busy'; readonly retryAfterMs: number };
export type Admission = { readonly ok: true; readonly attempt: Attempt } | Refusal;

/** One admitted attempt: report how it ended exactly once. */
export interface Attempt {
  /** The secret was right: the source's count and the global budget get this attempt back. */
  succeeded(): void;
  /** The secret was wrong: the attempt stays counted. */
  failed(): void;
}

interface Entry {
  attempts: number;
  blockedUntil: number;
  lastAt: number;
}

/** The throttling key of a client address: the address, or its /64 for IPv6 (one home's prefix). */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIPv6(a: string): string[] | null {
  const [head, tail] = a.split('%')[0]!.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  if (tail === undefined) return h.length === 8 ? h.map((g) => g.toLowerCase()) : null;
  const fill = 8 - h.length - t.length;
  if (fill < 0) return null;
  return [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

export class AttemptGuard {
  private readonly entries = new Map<string, Entry>();
  private readonly o: GuardOptions;
  private tokens: number;
  private tokensAt: number;
  private inFlight = 0;

  constructor(opts: Partial<GuardOptions> = {}, private readonly clock: () => number = Date.now) {
    this.o = { ...GUARD_DEFAULTS, ...opts };
    this.tokens = this.o.globalBudget;
    this.tokensAt = clock();
  }

  /** Verifications running now (for tests and figures). */
  get running(): number {
    return this.inFlight;
  }

  /** Counts an attempt from `key`, or says why it may not be made now. */
  begin(key: string): Admission {
    const now = this.clock();
    const e = this.entry(key, now);
    if (e && e.blockedUntil > now) return { ok: false, reason: 'source', retryAfterMs: e.blockedUntil - now };
    this.refill(now);
    if (this.tokens < 1) return { ok: false, reason: 'global', retryAfterMs: Math.ceil((1 - this.tokens) * this.o.globalRefillMs) };
    if (this.inFlight >= this.o.maxConcurrent) return { ok: false, reason: 'busy', retryAfterMs: 1000 };

    if (this.entries.size >= MAX_ENTRIES) this.prune(now);
    const entry = e ?? { attempts: 0, blockedUntil: 0, lastAt: now };
    entry.attempts++;
    entry.lastAt = now;
    const over = entry.attempts - this.o.freeAttempts;
    if (over > 0) entry.blockedUntil = now + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (over - 1));
    this.entries.set(key, entry);
    this.tokens -= 1;
    this.inFlight++;

    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (ok) {
        this.entries.delete(key);
        this.refill(this.clock());
        this.tokens = Math.min(this.o.globalBudget, this.tokens + 1);
      }
    };
    return { ok: true, attempt: { succeeded: () => finish(true), failed: () => finish(false) } };
  }

  private entry(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastAt > this.o.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private refill(now: number): void {
    const gained = (now - this.tokensAt) / this.o.globalRefillMs;
    this.tokens = Math.min(this.o.globalBudget, this.tokens + gained);
    this.tokensAt = now;
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (now - e.lastAt > this.o.forgetAfterMs || e.blockedUntil < now) this.entries.delete(k);
  }
}

// Token buckets: how much the server sends, or processes, on the word of a sender it cannot trust. A bucket
// holds up to `burst` tokens and refills at `perSecond`; taking more than it holds is refused, and the
// caller counts the refusal. Nothing here allocates after construction, so the receive path can ask per
// datagram.
import { randomFillSync } from 'node:crypto';

export interface BucketSize {
  burst: number;
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly size: BucketSize,
    nowMs: number,
  ) {
    this.tokens = size.burst;
    this.lastMs = nowMs;
  }

  /** Takes `cost` tokens if the bucket holds them; false (and nothing taken) otherwise. */
  take(cost: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Whether `cost` tokens are there now, without taking them. */
  holds(cost: number, nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= cost;
  }

  private refill(nowMs: number): void {
    const dt = nowMs - this.lastMs;
    if (dt > 0) {
      this.tokens = Math.min(this.size.burst, this.tokens + (dt * this.size.perSecond) / 1000);
      this.lastMs = nowMs;
    }
  }
}

/**
 * One bucket per source address in a fixed table, so a hundred thousand forged sources cost no more memory
 * than one. Sources are hashed (with a secret seed, so nobody can aim at another's slot) onto `slots`
 * entries. A slot whose bucket is full again is idle and goes to whoever hashes there next; a slot still in
 * debt is shared with the newcomer, so a flooding source cannot shake off its debt by making its slot change
 * hands.
 */
export class SourceBuckets {
  private readonly keys: Float64Array;
  private readonly tokens: Float64Array;
  private readonly lastMs: Float64Array;
  private readonly mask: number;
  private readonly seed: number;

  constructor(
    readonly size: BucketSize,
    slots: number,
  ) {
    let n = 1;
    while (n < slots) n <<= 1;
    this.mask = n - 1;
    this.keys = new Float64Array(n).fill(-1);
    this.tokens = new Float64Array(n);
    this.lastMs = new Float64Array(n);
    const seed = new Uint32Array(1);
    randomFillSync(seed);
    this.seed = seed[0]!;
  }

  /** Takes `cost` from `source`'s bucket (`source` a non-negative integer such as an IPv4 address). */
  take(source: number, cost: number, nowMs: number): boolean {
    const i = this.slotOf(source);
    const { burst, perSecond } = this.size;
    let t = this.keys[i] === -1 ? burst : Math.min(burst, this.tokens[i]! + ((nowMs - this.lastMs[i]!) * perSecond) / 1000);
    if (this.keys[i] !== source && t >= burst) {
      this.keys[i] = source;
      t = burst;
    }
    this.lastMs[i] = nowMs;
    if (t < cost) {
      this.tokens[i] = t;
      return false;
    }
    this.tokens[i] = t - cost;
    return true;
  }

  private slotOf(source: number): number {
    // Both halves of a key that may exceed 32 bits, mixed with the seed (murmur3's finaliser).
    let h = (source >>> 0) ^ Math.floor(source / 4294967296) ^ this.seed;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }
}

export type BudgetVerdict = 'ok' | 'source' | 'global';

/** A per-source budget under a global one: what a reply to an unproven address may cost. */
export class ReplyBudget {
  private readonly sources: SourceBuckets;
  private readonly global: TokenBucket;

  constructor(perSource: BucketSize, global: BucketSize, slots: number, nowMs: number) {
    this.sources = new SourceBuckets(perSource, slots);
    this.global = new TokenBucket(global, nowMs);
  }

  /** Charges `cost` to `source` and to the global budget, or to neither and says which refused. */
  take(source: number, cost: number, nowMs: number): BudgetVerdict {
    if (!this.global.holds(cost, nowMs)) return 'global';
    if (!this.sources.take(source, cost, nowMs)) return 'source';
    this.global.take(cost, nowMs);
    return 'ok';
  }
}

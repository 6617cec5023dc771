// System facts that cost a process start to read (ip -j, the helper's ddclient cache): kept for a
// few seconds so a page renders in milliseconds, and refreshed after anything that changes them.
import { readNetworkInfo, type NetworkInfo } from './system-info.js';
import type { Helper } from './helper.js';
import type { DdnsCacheEntry } from './apply/ddclient-conf.js';

class Cached<T> {
  private value: T | undefined;
  private at = 0;
  private inflight: Promise<T> | null = null;
  constructor(private readonly load: () => Promise<T>, private readonly ttlMs: number) {}

  async get(): Promise<T> {
    if (this.value !== undefined && Date.now() - this.at < this.ttlMs) return this.value;
    this.inflight ??= this.load().then((v) => {
      this.value = v;
      this.at = Date.now();
      this.inflight = null;
      return v;
    }, (e: unknown) => {
      this.inflight = null;
      throw e;
    });
    return this.inflight;
  }

  invalidate(): void {
    this.at = 0;
  }
}

export class CachedInfo {
  readonly network: Cached<NetworkInfo>;
  readonly ddns: Cached<DdnsCacheEntry[]>;

  constructor(helper: Helper) {
    this.network = new Cached(readNetworkInfo, 10000);
    this.ddns = new Cached(async () => {
      const r = await helper.run('ddns-status', 10000);
      try {
        return r.ok ? (JSON.parse(r.output) as DdnsCacheEntry[]) : [];
      } catch {
        return [];
      }
    }, 60000);
  }
}

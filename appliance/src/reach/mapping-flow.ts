// Keeps one port open on the router for one address family, for as long as it is wanted: finds a
// protocol the router speaks, maps, renews at half the lease, asks the router every checkMs whether it
// still has the mapping (a restarted router has lost it) and maps again, and deletes the mapping when
// the port changes or it is no longer wanted. Every async step carries a generation number, so a
// late answer for an old port never overwrites the state of the new one.
import { RefusedError, type MappingProtocol, type MappingSession } from './mapping-session.js';
import type { MapperTimings } from './mapper-timings.js';

export type MappingState = 'off' | 'discovering' | 'mapped' | 'no_protocol' | 'refused' | 'failed';

export interface MappingSnapshot {
  family: 4 | 6;
  state: MappingState;
  protocol: MappingProtocol | null;
  /** 'PCP', 'NAT-PMP', 'UPnP IGD v1', 'UPnP IGD v2'. */
  label: string | null;
  gateway: string | null;
  internalPort: number;
  /** IPv4: the router's external address ('' when it gave none); IPv6: the box's own address. */
  externalAddress: string;
  externalPort: number;
  lifetimeS: number;
  mappedAt: string | null;
  expiresAt: string | null;
  /** Renewals since the mapping was first made. */
  renewals: number;
  /** Times the router had lost the mapping (restart) and it was made again. */
  remaps: number;
  lastError: string | null;
  /** The router said it has no usable external (public) address. */
  noPublicAddress: boolean;
  /** What each protocol answered in the last search for a router, e.g. "PCP: no answer". */
  tried: string[];
  nextAttemptAt: string | null;
}

export interface Discovery {
  session: MappingSession | null;
  tried: string[];
}

export interface FlowOptions {
  family: 4 | 6;
  timings: MapperTimings;
  /** Looks for a router that speaks a mapping protocol (see discovery.ts). */
  discover: () => Promise<Discovery>;
  log: (line: string) => void;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export class MappingFlow {
  private port: number | null = null;
  private gen = 0;
  private session: MappingSession | null = null;
  private state: MappingState = 'off';
  private externalAddress = '';
  private noPublicAddress = false;
  private externalPort = 0;
  private lifetimeS = 0;
  private mappedAt: number | null = null;
  private expiresAt: number | null = null;
  private renewals = 0;
  private remaps = 0;
  private failures = 0;
  private lastError: string | null = null;
  private tried: string[] = [];
  private nextAttemptAt: number | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private mapping: Promise<void> | null = null;

  constructor(private readonly o: FlowOptions) {}

  snapshot(): MappingSnapshot {
    const s = this.session;
    return {
      family: this.o.family,
      state: this.state,
      protocol: s?.protocol ?? null,
      label: s?.label ?? null,
      gateway: s?.gateway ?? null,
      internalPort: this.port ?? 0,
      externalAddress: this.externalAddress,
      noPublicAddress: this.noPublicAddress,
      externalPort: this.externalPort,
      lifetimeS: this.lifetimeS,
      mappedAt: iso(this.mappedAt),
      expiresAt: iso(this.expiresAt),
      renewals: this.renewals,
      remaps: this.remaps,
      lastError: this.lastError,
      tried: [...this.tried],
      nextAttemptAt: iso(this.nextAttemptAt),
    };
  }

  /** The port to keep open, or null for none. Resolves once the old mapping is deleted (not when the new one is made). */
  async setPort(port: number | null): Promise<void> {
    if (port === this.port) return;
    this.gen++;
    this.clearTimers();
    await this.mapping?.catch(() => undefined);
    await this.release();
    this.port = port;
    this.failures = 0;
    this.renewals = 0;
    this.remaps = 0;
    this.lastError = null;
    this.externalAddress = '';
    this.noPublicAddress = false;
    this.tried = [];
    if (port === null) {
      this.session = null;
      this.state = 'off';
      return;
    }
    this.establish(this.gen, 'start');
  }

  /**
   * The router multicast an announcement (it restarted, or its external address changed): map again
   * now rather than at the next check. Ignored unless it comes from the router the mapping is with.
   */
  routerAnnounced(from: string): void {
    const s = this.session;
    if (!s || this.state !== 'mapped' || s.gateway.replace(/%.*$/, '') !== from) return;
    this.o.log(`port mapping: the router (${s.label}) announced a restart; mapping again`);
    this.remaps++;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = null;
    this.establish(this.gen, 'router announced a restart');
  }

  private establish(gen: number, why: string): void {
    const run = this.establishNow(gen, why);
    this.mapping = run;
    void run.catch((e: Error) => this.o.log(`port mapping: ${e.message}`));
  }

  private async establishNow(gen: number, why: string): Promise<void> {
    const port = this.port;
    if (port === null) return;
    let session = this.session;
    if (!session) {
      // A retry keeps showing why the last attempt failed until this one knows better.
      if (this.failures === 0) this.state = 'discovering';
      const d = await this.o.discover();
      if (gen !== this.gen) return;
      this.tried = d.tried;
      session = d.session;
      if (!session) {
        this.lastError = null;
        this.retryLater(gen, 'no_protocol');
        return;
      }
    }
    let r;
    try {
      r = await session.map(port, port, this.o.timings.leaseS);
    } catch (e) {
      if (gen !== this.gen) return;
      this.lastError = (e as Error).message;
      this.externalAddress = e instanceof RefusedError ? e.externalAddress : '';
      this.noPublicAddress = e instanceof RefusedError && e.noPublicAddress;
      this.o.log(`port mapping (${session.label}) failed: ${this.lastError}`);
      // The next attempt searches again: the router may have been switched, or its settings changed.
      this.session = null;
      this.retryLater(gen, e instanceof RefusedError ? 'refused' : 'failed');
      return;
    }
    if (gen !== this.gen) {
      // The port changed while the router was answering: delete what was just made.
      await session.unmap().catch(() => undefined);
      return;
    }
    const first = this.session !== session || this.state !== 'mapped';
    this.session = session;
    this.externalAddress = r.externalAddress;
    this.noPublicAddress = r.externalAddress === '';
    this.externalPort = r.externalPort;
    this.lifetimeS = r.lifetimeS;
    const now = Date.now();
    if (first) this.mappedAt = now;
    else this.renewals++;
    this.expiresAt = r.lifetimeS > 0 ? now + r.lifetimeS * 1000 : null;
    this.failures = 0;
    this.lastError = null;
    this.nextAttemptAt = null;
    if (first) this.o.log(`port mapping (${session.label} via ${session.gateway}, ${why}): ${r.externalAddress || '?'}:${r.externalPort} → udp/${port}, lease ${r.lifetimeS} s`);
    this.state = 'mapped';
    this.scheduleRenew(gen, r.lifetimeS);
    this.scheduleCheck(gen);
  }

  private retryLater(gen: number, state: MappingState): void {
    this.failures++;
    const t = this.o.timings;
    const delay = Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** (this.failures - 1));
    this.nextAttemptAt = Date.now() + delay;
    this.state = state;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (gen === this.gen) this.establish(gen, `retry ${this.failures}`);
    }, delay);
    this.retryTimer.unref();
  }

  private scheduleRenew(gen: number, lifetimeS: number): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    if (lifetimeS <= 0) return;
    // Half the lease (RFC 6886 §3.3, RFC 6887 §11.2.1), so one lost renewal still leaves time for another.
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      if (gen === this.gen) this.establish(gen, 'renewal');
    }, Math.max(1000, (lifetimeS * 1000) / 2));
    this.renewTimer.unref();
  }

  private scheduleCheck(gen: number): void {
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      if (gen !== this.gen || !this.session) return;
      const session = this.session;
      const run = session.check().then(
        (r) => {
          if (gen !== this.gen) return;
          if (r === 'ok') return this.scheduleCheck(gen);
          this.o.log(`port mapping: the router (${session.label}) lost the mapping, probably restarted; mapping again`);
          this.remaps++;
          this.state = 'discovering';
          return this.establishNow(gen, 'router lost the mapping');
        },
        (e: Error) => {
          if (gen !== this.gen) return;
          // The router stopped answering where it was (restarted on another HTTP port, replaced): search again.
          this.o.log(`port mapping: the router (${session.label}) stopped answering (${e.message}); searching again`);
          this.session = null;
          this.remaps++;
          return this.establishNow(gen, 'router stopped answering');
        },
      );
      this.mapping = run;
      void run.catch((e: Error) => this.o.log(`port mapping: ${e.message}`));
    }, this.o.timings.checkMs);
    this.checkTimer.unref();
  }

  /** Deletes the current mapping, if any; bounded by the protocols' own time-outs. */
  private async release(): Promise<void> {
    const s = this.session;
    if (!s || this.state !== 'mapped') return;
    try {
      await s.unmap();
      this.o.log(`port mapping (${s.label}): removed udp/${this.port}`);
    } catch (e) {
      this.o.log(`port mapping (${s.label}): could not remove udp/${this.port}: ${(e as Error).message}`);
    }
    this.session = null;
    this.externalAddress = '';
    this.externalPort = 0;
    this.lifetimeS = 0;
    this.mappedAt = null;
    this.expiresAt = null;
  }

  private clearTimers(): void {
    for (const t of [this.renewTimer, this.checkTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.renewTimer = this.checkTimer = this.retryTimer = null;
    this.nextAttemptAt = null;
  }
}

// The server's view of whether friends can reach it: drives the port mapper from the settings, keeps
// the evidence (musicians who connected from public addresses, the last hairpin probe) and builds the
// report that `riffbox/getReachability` returns. Runs on the server's main thread: nothing here
// touches audio, and the probes are a few datagrams.
import { lookup } from 'node:dns/promises';
import type { FlatSettings } from '../settings/schema.js';
import { PortMapper, type PortMappingSnapshot } from './port-mapper.js';
import type { MapperTimings } from './mapper-timings.js';
import { hairpinProbe, type ProbeResult } from './hairpin-probe.js';
import { addressKind, globalIPv6Addresses } from './local-addresses.js';
import { buildReport, type InboundSeen, type ReachabilityReport } from './reachability.js';

/** A hairpin result this recent is reused rather than probed again (a failure sooner: a forward may have just been made). */
const PROBE_FRESH_MS = 30_000;
const PROBE_FAILED_FRESH_MS = 10_000;
const DNS_TIMEOUT_MS = 2000;

export interface ReachMonitorOptions {
  timings: MapperTimings;
  log: (line: string) => void;
  /** The directory registration as the registrar reports it. */
  registration: () => { status: string; directory: string; lastError: string | null };
  /** Whether the server's socket accepts IPv6 clients. */
  serverListensIPv6: () => boolean;
}

export interface ReachabilityAnswer extends ReachabilityReport {
  mapping: PortMappingSnapshot;
  mappingEnabled: boolean;
  hairpin: ProbeResult | null;
}

/** "1.2.3.4:5", "[2001:db8::1]:5" or "::ffff:1.2.3.4:5" → the host part. */
export function hostOf(address: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(address);
  const host = m ? m[1]! : address.replace(/:\d+$/, '');
  return host.replace(/^::ffff:/i, '');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} timed out`)), ms)))]).finally(() => clearTimeout(t));
}

export class ReachMonitor {
  readonly mapper: PortMapper;
  private settings: FlatSettings | null = null;
  private port = 0;
  private hairpin: ProbeResult | null = null;
  private probing: Promise<ProbeResult> | null = null;
  private inbound: { ipv4: InboundSeen | null; ipv6: InboundSeen | null } = { ipv4: null, ipv6: null };

  constructor(private readonly o: ReachMonitorOptions) {
    this.mapper = new PortMapper(o.timings, o.log);
  }

  /** New settings or port: maps, moves or deletes the router's mapping. Resolves once an unwanted mapping is gone. */
  async apply(s: FlatSettings, port: number): Promise<void> {
    const prev = this.settings;
    if (!prev || prev['server.mode'] !== s['server.mode'] || this.port !== port) {
      // Evidence about another mode or port says nothing about this one.
      this.inbound = { ipv4: null, ipv6: null };
      this.hairpin = null;
    }
    this.settings = s;
    this.port = port;
    await this.mapper.set({ enabled: this.mappingWanted(), port, ipv6: this.o.serverListensIPv6() });
  }

  private mappingWanted(): boolean {
    const s = this.settings;
    return s !== null && s['server.mode'] === 'private' && s['server.portMapping'];
  }

  /** Feed every clientConnected address here: a musician from a public address is proof. */
  onClientConnected(address: string): void {
    const host = hostOf(address);
    if (addressKind(host) !== 'public') return;
    const seen = { address: host, at: new Date().toISOString() };
    if (host.includes(':')) this.inbound.ipv6 = seen;
    else this.inbound.ipv4 = seen;
  }

  private async probe(): Promise<ProbeResult | null> {
    const m = this.mapper.v4.snapshot();
    const s = this.settings;
    const address = m.state === 'mapped' ? m.externalAddress : (s?.['server.publicIp'] ?? '');
    const port = m.state === 'mapped' && m.externalPort ? m.externalPort : this.port;
    if (!address || addressKind(address) !== 'public') return null;
    const last = this.hairpin;
    const fresh = last?.ok ? PROBE_FRESH_MS : PROBE_FAILED_FRESH_MS;
    if (last && last.address === address && last.port === port && Date.now() - Date.parse(last.at) < fresh) return last;
    this.probing ??= hairpinProbe(address, port).finally(() => (this.probing = null));
    this.hairpin = await this.probing;
    return this.hairpin;
  }

  private async ddns(): Promise<{ host: string; addresses: string[]; error: string | null } | null> {
    const s = this.settings;
    if (!s || !s['ddns.enabled'] || !s['ddns.host']) return null;
    const host = s['ddns.host'];
    try {
      const r = await withTimeout(lookup(host, { all: true, verbatim: true }), DNS_TIMEOUT_MS, `resolving ${host}`);
      return { host, addresses: r.map((a) => a.address), error: null };
    } catch (e) {
      return { host, addresses: [], error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }

  async report(): Promise<ReachabilityAnswer> {
    const s = this.settings;
    if (!s) throw new Error('the server has not started');
    const [hairpin, ddns, v6] = await Promise.all([this.probe(), this.ddns(), globalIPv6Addresses()]);
    const mapping = this.mapper.snapshot();
    const report = buildReport({
      mode: s['server.mode'],
      port: this.port,
      mappingEnabled: s['server.portMapping'],
      mapping,
      registration: this.o.registration(),
      hairpin,
      inbound: { ...this.inbound },
      publicIpSetting: s['server.publicIp'],
      ddns,
      ipv6: { address: v6[0]?.address ?? null, serverListens: this.o.serverListensIPv6() },
    });
    return { ...report, mapping, mappingEnabled: s['server.portMapping'], hairpin };
  }

  /** Service stop: deletes the router's mappings. */
  stop(): Promise<void> {
    return this.mapper.stop();
  }
}

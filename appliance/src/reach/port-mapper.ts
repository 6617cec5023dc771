// The router-facing half of "reachable without touching the router": an IPv4 port mapping and, when
// the server listens on IPv6, a pinhole in the router's IPv6 firewall for the box's global address.
// Only in private mode (a public server is reached through its directory) and only while the
// `server.portMapping` setting is on.
import { MappingFlow, type MappingSnapshot } from './mapping-flow.js';
import { discoverIPv4, discoverIPv6 } from './discovery.js';
import { globalIPv6Addresses } from './local-addresses.js';
import type { MapperTimings } from './mapper-timings.js';
import { AnnounceListener } from './announce-listener.js';

export interface MapperTarget {
  /** Private mode with mapping switched on. */
  enabled: boolean;
  port: number;
  /** The server accepts IPv6 clients, so a pinhole is worth asking for. */
  ipv6: boolean;
}

export interface PortMappingSnapshot {
  ipv4: MappingSnapshot;
  ipv6: MappingSnapshot;
}

export class PortMapper {
  readonly v4: MappingFlow;
  readonly v6: MappingFlow;
  private readonly announcements: AnnounceListener;
  private target: MapperTarget = { enabled: false, port: 0, ipv6: false };
  private addressTimer: NodeJS.Timeout | null = null;

  constructor(private readonly timings: MapperTimings, private readonly log: (line: string) => void) {
    this.announcements = new AnnounceListener((from) => this.v4.routerAnnounced(from), log);
    this.v4 = new MappingFlow({ family: 4, timings, log, discover: () => discoverIPv4(timings.searchMs) });
    this.v6 = new MappingFlow({
      family: 6,
      timings,
      log,
      discover: async () => {
        const own = (await globalIPv6Addresses())[0];
        if (!own) return { session: null, tried: ['the box has no global IPv6 address'] };
        return discoverIPv6(own.address, own.iface, timings.searchMs);
      },
    });
  }

  /** Applies a new target; resolves once mappings no longer wanted are deleted. */
  async set(t: MapperTarget): Promise<void> {
    this.target = t;
    if (t.enabled) this.announcements.start();
    else this.announcements.stop();
    if (this.addressTimer) clearInterval(this.addressTimer);
    this.addressTimer = null;
    if (t.enabled && t.ipv6) {
      this.addressTimer = setInterval(() => void this.followAddress(), this.timings.checkMs);
      this.addressTimer.unref();
    }
    await Promise.all([this.v4.setPort(t.enabled ? t.port : null), this.v6.setPort(t.enabled && t.ipv6 ? t.port : null)]);
  }

  /** A new IPv6 prefix (the provider renumbered) gives the box a new address: the pinhole must follow it. */
  private async followAddress(): Promise<void> {
    const pinhole = this.v6.snapshot();
    if (pinhole.state !== 'mapped') return;
    const own = (await globalIPv6Addresses())[0]?.address ?? '';
    if (own === pinhole.externalAddress) return;
    this.log(`port mapping: the box's IPv6 address changed (${pinhole.externalAddress} → ${own || 'none'}); moving the pinhole`);
    const port = this.target.port;
    await this.v6.setPort(null);
    if (this.target.enabled && this.target.ipv6 && this.target.port === port) await this.v6.setPort(port);
  }

  snapshot(): PortMappingSnapshot {
    return { ipv4: this.v4.snapshot(), ipv6: this.v6.snapshot() };
  }

  /** Service stop: deletes every mapping. */
  async stop(): Promise<void> {
    await this.set({ enabled: false, port: 0, ipv6: false });
  }
}

// UPnP IGD v1/v2 as a MappingSession: AddPortMapping on the WAN connection service for IPv4, or
// AddPinhole on WANIPv6FirewallControl for an IPv6 address. Renewing is the same AddPortMapping
// again (or UpdatePinhole); GetSpecificPortMappingEntry tells whether the router still has it.
import { fetchDescription, soapCall, UpnpError, type IgdServices } from './upnp-soap.js';
import { RefusedError, type MappingResult, type MappingSession } from './mapping-session.js';
import { searchIgd } from './ssdp.js';
import { sourceAddressTowards } from './local-addresses.js';
import { addressBytes } from './pcp.js';

const DESCRIPTION = 'riffbox';
const NO_SUCH_ENTRY = 714;
const ONLY_PERMANENT_LEASES = 725;
const CONFLICT = 718;
/** WANIPv6FirewallControl's NoSuchEntry. */
const NO_SUCH_PINHOLE = 704;
/** IGD:2 caps leases at a week (WANIPConnection:2 §2.3.16). */
const MAX_LEASE_S = 604800;

export class UpnpSession implements MappingSession {
  readonly protocol = 'upnp' as const;
  readonly label: string;
  readonly gateway: string;
  private mapped: { internalPort: number; externalPort: number; internalClient: string } | null = null;
  private pinhole: { id: string; lifetimeS: number } | null = null;

  private readonly family: 4 | 6;

  /** `pinholeFor`: the box's global IPv6 address, for a pinhole instead of an IPv4 port mapping. */
  private constructor(readonly location: string, private readonly services: IgdServices, private readonly pinholeFor?: string) {
    this.family = pinholeFor ? 6 : 4;
    this.gateway = new URL(location).hostname.replace(/^\[|\]$/g, '');
    this.label = `UPnP IGD v${services.version}`;
  }

  /**
   * Searches the LAN and describes the first IGD that has what is needed; null when none does. For a
   * pinhole (`pinholeFor` on `iface`) the search and the control run over IPv6 from that address:
   * an IGD lets a client open a pinhole only for the address it calls from.
   */
  static async discover(timeoutMs: number, preferGateway: string | null, pinholeFor?: string, iface?: string): Promise<UpnpSession | null> {
    const over = pinholeFor && iface ? { from: pinholeFor, iface, allowHost: (h: string) => samePrefix64(h, pinholeFor) } : undefined;
    const answers = await searchIgd(timeoutMs, preferGateway, 150, over);
    for (const a of answers) {
      try {
        const d = await fetchDescription(a.location);
        if (pinholeFor ? d.ipv6Firewall : d.wan) return new UpnpSession(a.location, d, pinholeFor);
      } catch {
        // An unreadable description: try the next answer.
      }
    }
    return null;
  }

  /** The router's external IPv4 address ('' when it has none it can give). */
  async externalAddress(): Promise<string> {
    const wan = this.services.wan!;
    const r = await soapCall(wan.controlUrl, wan.type, 'GetExternalIPAddress', []);
    return r.get('NewExternalIPAddress') ?? '';
  }

  async map(internalPort: number, externalPort: number, lifetimeS: number): Promise<MappingResult> {
    return this.family === 6 ? this.mapPinhole(internalPort, lifetimeS) : this.mapPort(internalPort, externalPort, lifetimeS);
  }

  private async mapPort(internalPort: number, externalPort: number, lifetimeS: number): Promise<MappingResult> {
    const wan = this.services.wan!;
    const internalClient = await sourceAddressTowards(this.gateway);
    const add = (lease: number): Promise<Map<string, string>> =>
      soapCall(wan.controlUrl, wan.type, 'AddPortMapping', [
        ['NewRemoteHost', ''], ['NewExternalPort', externalPort], ['NewProtocol', 'UDP'], ['NewInternalPort', internalPort],
        ['NewInternalClient', internalClient], ['NewEnabled', 1], ['NewPortMappingDescription', DESCRIPTION], ['NewLeaseDuration', lease],
      ]);
    let lease = Math.min(lifetimeS, MAX_LEASE_S);
    try {
      await add(lease);
    } catch (e) {
      if (!(e instanceof UpnpError)) throw e;
      if (e.code === ONLY_PERMANENT_LEASES) {
        lease = 0;
        await add(0);
      } else if (e.code === CONFLICT) {
        throw new RefusedError(this.label, `UDP port ${externalPort} is already forwarded to another device`);
      } else if (e.code !== 0) {
        // An IGD answers an empty ExternalIPAddress when it has none (WANIPConnection:2 §2.3.13).
        const external = await this.externalAddress().catch(() => null);
        throw new RefusedError(this.label, e.message, external ?? '', external === '');
      } else throw e;
    }
    this.mapped = { internalPort, externalPort, internalClient };
    return { externalAddress: await this.externalAddress().catch(() => ''), externalPort, lifetimeS: lease };
  }

  private async mapPinhole(internalPort: number, lifetimeS: number): Promise<MappingResult> {
    const fw = this.services.ipv6Firewall!;
    const internalClient = this.pinholeFor!;
    const lease = Math.max(1, Math.min(lifetimeS, 86400));
    try {
      if (this.pinhole) {
        try {
          await soapCall(fw.controlUrl, fw.type, 'UpdatePinhole', [['UniqueID', this.pinhole.id], ['NewLeaseTime', lease]]);
        } catch (e) {
          // The router forgot it (restart, expiry): make a new one.
          if (!(e instanceof UpnpError && e.code === NO_SUCH_PINHOLE)) throw e;
          this.pinhole = null;
        }
      }
      if (!this.pinhole) {
        const r = await soapCall(fw.controlUrl, fw.type, 'AddPinhole', [
          ['RemoteHost', ''], ['RemotePort', 0], ['InternalClient', internalClient], ['InternalPort', internalPort], ['Protocol', 17], ['LeaseTime', lease],
        ]);
        this.pinhole = { id: r.get('UniqueID') ?? '', lifetimeS: lease };
      }
    } catch (e) {
      if (e instanceof UpnpError && e.code !== 0) throw new RefusedError(this.label, e.message);
      throw e;
    }
    this.mapped = { internalPort, externalPort: internalPort, internalClient };
    return { externalAddress: internalClient, externalPort: internalPort, lifetimeS: lease };
  }

  async unmap(): Promise<void> {
    const m = this.mapped;
    this.mapped = null;
    if (this.family === 6) {
      const p = this.pinhole;
      this.pinhole = null;
      const fw = this.services.ipv6Firewall!;
      if (p) await soapCall(fw.controlUrl, fw.type, 'DeletePinhole', [['UniqueID', p.id]]).catch(ignoreNoSuchEntry);
      return;
    }
    if (!m) return;
    const wan = this.services.wan!;
    await soapCall(wan.controlUrl, wan.type, 'DeletePortMapping', [['NewRemoteHost', ''], ['NewExternalPort', m.externalPort], ['NewProtocol', 'UDP']]).catch(ignoreNoSuchEntry);
  }

  async check(): Promise<'ok' | 'lost'> {
    const m = this.mapped;
    if (!m) return 'lost';
    try {
      if (this.family === 6) {
        const fw = this.services.ipv6Firewall!;
        await soapCall(fw.controlUrl, fw.type, 'GetPinholePackets', [['UniqueID', this.pinhole?.id ?? '']]);
        return 'ok';
      }
      const wan = this.services.wan!;
      const r = await soapCall(wan.controlUrl, wan.type, 'GetSpecificPortMappingEntry', [['NewRemoteHost', ''], ['NewExternalPort', m.externalPort], ['NewProtocol', 'UDP']]);
      return r.get('NewInternalClient') === m.internalClient && Number(r.get('NewInternalPort')) === m.internalPort ? 'ok' : 'lost';
    } catch (e) {
      if (e instanceof UpnpError && (e.code === NO_SUCH_ENTRY || e.code === NO_SUCH_PINHOLE)) return 'lost';
      throw e;
    }
  }
}

/** Whether two IPv6 addresses share their /64 (the box's own link). */
function samePrefix64(a: string, b: string): boolean {
  try {
    return addressBytes(a).subarray(0, 8).equals(addressBytes(b).subarray(0, 8));
  } catch {
    return false;
  }
}

function ignoreNoSuchEntry(e: unknown): void {
  if (e instanceof UpnpError && (e.code === NO_SUCH_ENTRY || e.code === NO_SUCH_PINHOLE)) return;
  throw e;
}

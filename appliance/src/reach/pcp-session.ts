// PCP (RFC 6887) as a MappingSession: MAP for UDP from the box to the router's PCP server, IPv4
// through its NAT or, from an IPv6 address, as a pinhole in its IPv6 firewall. One nonce per session
// (a renewal with the same nonce refreshes the same mapping, §11.2); ANNOUNCE reads the epoch.
import { exchange, type ExchangeOptions } from './gateway-exchange.js';
import { decodePcpResponse, encodeAnnounce, encodeMap, newNonce, pcpResultText, PcpOpcode, type PcpResponse } from './pcp.js';
import { EpochWatch, RefusedError, type MappingResult, type MappingSession } from './mapping-session.js';

const PCP_NETWORK_FAILURE = 7;

export class PcpSession implements MappingSession {
  readonly protocol = 'pcp' as const;
  readonly label = 'PCP';
  private readonly nonce = newNonce();
  private readonly epoch = new EpochWatch();
  private mapped: { internalPort: number; externalPort: number } | null = null;

  private readonly family: 4 | 6;

  /**
   * With `from` an IPv6 address, asks for a pinhole for that address (the gateway must then be the
   * IPv6 router); otherwise for an IPv4 mapping.
   */
  constructor(readonly gateway: string, private readonly from?: string, private readonly retransmitMs?: readonly number[]) {
    this.family = from?.includes(':') ? 6 : 4;
  }

  private opts(): ExchangeOptions {
    return { gateway: this.gateway, what: 'PCP', retransmitMs: this.retransmitMs, bindAddress: this.from };
  }

  /** ANNOUNCE: resolves with the epoch when the gateway speaks PCP, rejects otherwise. */
  async announce(): Promise<number> {
    const { value } = await exchange(this.opts(), (local) => encodeAnnounce(local), (b) => {
      const r = decodePcpResponse(b);
      return r && r.opcode === PcpOpcode.announce ? r : null;
    });
    if (value.result !== 0) throw new RefusedError('PCP', pcpResultText(value.result));
    return value.epoch;
  }

  private async request(internalPort: number, externalPort: number, lifetimeS: number): Promise<PcpResponse> {
    const { value } = await exchange(
      this.opts(),
      (local) => encodeMap({
        nonce: this.nonce, clientAddress: local, internalPort, externalPort, lifetimeS,
        externalAddress: this.family === 6 ? '::' : '0.0.0.0',
      }),
      (b) => {
        const r = decodePcpResponse(b);
        return r && r.opcode === PcpOpcode.map && r.map && r.map.nonce.equals(this.nonce) ? r : null;
      },
    );
    return value;
  }

  async map(internalPort: number, externalPort: number, lifetimeS: number): Promise<MappingResult> {
    const r = await this.request(internalPort, externalPort, lifetimeS);
    if (r.result !== 0) {
      // An all-zero address in a refusal means the router had none to name.
      const ext = r.map && !/^(0\.0\.0\.0|::)$/.test(r.map.externalAddress) ? r.map.externalAddress : '';
      throw new RefusedError('PCP', pcpResultText(r.result), ext, r.result === PCP_NETWORK_FAILURE);
    }
    this.epoch.observe(r.epoch);
    this.mapped = { internalPort, externalPort: r.map!.externalPort };
    return { externalAddress: r.map!.externalAddress, externalPort: r.map!.externalPort, lifetimeS: r.lifetimeS };
  }

  async unmap(): Promise<void> {
    const m = this.mapped;
    if (!m) return;
    this.mapped = null;
    await this.request(m.internalPort, 0, 0);
  }

  async check(): Promise<'ok' | 'lost'> {
    const epoch = await this.announce();
    return this.epoch.observe(epoch) ? 'lost' : 'ok';
  }
}

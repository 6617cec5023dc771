// NAT-PMP (RFC 6886) as a MappingSession: UDP mapping requests and the external-address request,
// whose epoch tells a restarted router (§3.6).
import { exchange, type ExchangeOptions } from './gateway-exchange.js';
import {
  decodeNatPmpResponse, encodeExternalAddressRequest, encodeMapUdpRequest, natPmpResultText, NatPmpOpcode,
  type NatPmpExternalAddress, type NatPmpHeader, type NatPmpMapping,
} from './nat-pmp.js';
import { EpochWatch, RefusedError, type MappingResult, type MappingSession } from './mapping-session.js';

export class NatPmpSession implements MappingSession {
  readonly protocol = 'nat-pmp' as const;
  readonly label = 'NAT-PMP';
  private readonly epoch = new EpochWatch();
  private mapped: { internalPort: number } | null = null;

  constructor(readonly gateway: string, private readonly retransmitMs?: readonly number[]) {}

  private opts(): ExchangeOptions {
    return { gateway: this.gateway, what: 'NAT-PMP', retransmitMs: this.retransmitMs };
  }

  /** The external address and epoch; '' when the router has no usable external address (result 3). */
  async externalAddress(): Promise<{ address: string; epoch: number }> {
    const { value } = await exchange(this.opts(), () => encodeExternalAddressRequest(), (b) => {
      const r = decodeNatPmpResponse(b);
      return r && r.opcode === NatPmpOpcode.externalAddress ? r : null;
    });
    if (value.result === 3) return { address: '', epoch: value.epoch };
    if (value.result !== 0) throw new RefusedError('NAT-PMP', natPmpResultText(value.result));
    return { address: (value as NatPmpExternalAddress).address, epoch: value.epoch };
  }

  private async request(internalPort: number, externalPort: number, lifetimeS: number): Promise<NatPmpHeader> {
    const { value } = await exchange(this.opts(), () => encodeMapUdpRequest(internalPort, externalPort, lifetimeS), (b) => {
      const r = decodeNatPmpResponse(b);
      return r && r.opcode === NatPmpOpcode.mapUdp && (r.result !== 0 || (r as NatPmpMapping).internalPort === internalPort) ? r : null;
    });
    return value;
  }

  async map(internalPort: number, externalPort: number, lifetimeS: number): Promise<MappingResult> {
    const ext = await this.externalAddress();
    this.epoch.observe(ext.epoch);
    const r = await this.request(internalPort, externalPort, lifetimeS);
    if (r.result !== 0) throw new RefusedError('NAT-PMP', natPmpResultText(r.result), ext.address, ext.address === '' || r.result === 3);
    const m = r as NatPmpMapping;
    this.epoch.observe(m.epoch);
    this.mapped = { internalPort };
    return { externalAddress: ext.address, externalPort: m.externalPort, lifetimeS: m.lifetimeS };
  }

  async unmap(): Promise<void> {
    const m = this.mapped;
    if (!m) return;
    this.mapped = null;
    await this.request(m.internalPort, 0, 0);
  }

  async check(): Promise<'ok' | 'lost'> {
    const ext = await this.externalAddress();
    return this.epoch.observe(ext.epoch) ? 'lost' : 'ok';
  }
}

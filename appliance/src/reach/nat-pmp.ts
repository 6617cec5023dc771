// NAT-PMP (RFC 6886) messages: the external-address request and the UDP mapping request, and their
// answers. Only the encodings live here; gateway-exchange.ts sends them, port-mapper.ts decides.
import { isIPv4 } from 'node:net';

export const NAT_PMP_VERSION = 0;
/** The gateway listens here for NAT-PMP and PCP alike (RFC 6886 §3.1, RFC 6887 §19.1). */
export const PMP_PCP_SERVER_PORT = 5351;

export const NatPmpOpcode = Object.freeze({ externalAddress: 0, mapUdp: 1 });

/** RFC 6886 §3.5 result codes. */
export const NAT_PMP_RESULTS: Readonly<Record<number, string>> = Object.freeze({
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized (the router has NAT-PMP switched off or refuses this box)',
  3: 'network failure (the router has no external address yet)',
  4: 'out of resources',
  5: 'unsupported opcode',
});

export function natPmpResultText(code: number): string {
  return NAT_PMP_RESULTS[code] ?? `result ${code}`;
}

export function encodeExternalAddressRequest(): Buffer {
  return Buffer.from([NAT_PMP_VERSION, NatPmpOpcode.externalAddress]);
}

/** Lifetime 0 with external port 0 deletes the mapping (§3.4). */
export function encodeMapUdpRequest(internalPort: number, externalPort: number, lifetimeS: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(NAT_PMP_VERSION, 0);
  b.writeUInt8(NatPmpOpcode.mapUdp, 1);
  b.writeUInt16BE(internalPort, 4);
  b.writeUInt16BE(externalPort, 6);
  b.writeUInt32BE(lifetimeS, 8);
  return b;
}

export interface NatPmpHeader {
  version: number;
  /** The request's opcode (the answer carries it + 128). */
  opcode: number;
  result: number;
  /** Seconds since the gateway's port-mapping table was (re)initialised. */
  epoch: number;
}

export interface NatPmpExternalAddress extends NatPmpHeader {
  address: string;
}

export interface NatPmpMapping extends NatPmpHeader {
  internalPort: number;
  externalPort: number;
  lifetimeS: number;
}

/**
 * Decodes an answer, or returns null for anything that is not one (a gateway may also speak PCP on
 * the same port; a stray datagram is dropped). A version-0 answer to a PCP request (result
 * "unsupported version") decodes with its 8-byte header only.
 */
export function decodeNatPmpResponse(buf: Buffer): NatPmpExternalAddress | NatPmpMapping | NatPmpHeader | null {
  if (buf.length < 4 || buf[0] !== NAT_PMP_VERSION || (buf[1]! & 0x80) === 0) return null;
  const opcode = buf[1]! & 0x7f;
  const result = buf.readUInt16BE(2);
  const epoch = buf.length >= 8 ? buf.readUInt32BE(4) : 0;
  const header: NatPmpHeader = { version: NAT_PMP_VERSION, opcode, result, epoch };
  if (result !== 0) return header;
  if (opcode === NatPmpOpcode.externalAddress) {
    if (buf.length < 12) return null;
    const address = `${buf[8]}.${buf[9]}.${buf[10]}.${buf[11]}`;
    return isIPv4(address) ? { ...header, address } : null;
  }
  if (opcode === NatPmpOpcode.mapUdp) {
    if (buf.length < 16) return null;
    return { ...header, internalPort: buf.readUInt16BE(8), externalPort: buf.readUInt16BE(10), lifetimeS: buf.readUInt32BE(12) };
  }
  return header;
}

// PCP (RFC 6887) messages: ANNOUNCE (a side-effect-free "are you there, what is your epoch") and MAP
// for UDP, IPv4 through a NAT or IPv6 as a firewall pinhole. Addresses travel as 16 bytes, IPv4 as
// IPv4-mapped IPv6 (§5).
import { isIPv4, isIPv6 } from 'node:net';
import { randomBytes } from 'node:crypto';

export const PCP_VERSION = 2;
export const PcpOpcode = Object.freeze({ announce: 0, map: 1 });
const IPPROTO_UDP = 17;
const HEADER_BYTES = 24;
const MAP_BYTES = 36;

/** RFC 6887 §7.4 result codes. */
export const PCP_RESULTS: Readonly<Record<number, string>> = Object.freeze({
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized (the router refuses mappings for this box)',
  3: 'malformed request',
  4: 'unsupported opcode',
  5: 'unsupported option',
  6: 'malformed option',
  7: 'network failure',
  8: 'no resources',
  9: 'unsupported protocol',
  10: 'user exceeded quota',
  11: 'cannot provide that external address or port',
  12: 'address mismatch (a NAT between the box and the router)',
  13: 'excessive remote peers',
});

export function pcpResultText(code: number): string {
  return PCP_RESULTS[code] ?? `result ${code}`;
}

/** 16-byte form of an IPv4 or IPv6 address (IPv4 as ::ffff:a.b.c.d). Scope suffixes are dropped. */
export function addressBytes(address: string): Buffer {
  const bare = address.replace(/%.*$/, '');
  const out = Buffer.alloc(16);
  if (isIPv4(bare)) {
    out[10] = 0xff;
    out[11] = 0xff;
    bare.split('.').forEach((p, i) => (out[12 + i] = Number(p)));
    return out;
  }
  if (!isIPv6(bare)) throw new TypeError(`not an IP address: ${address}`);
  const [head, tail] = bare.split('::') as [string, string | undefined];
  // An embedded dotted quad at the end is two groups.
  const expand = (part: string | undefined): number[] => {
    if (!part) return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (isIPv4(g)) {
        const q = g.split('.').map(Number) as [number, number, number, number];
        groups.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
      } else groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const h = expand(head);
  const t = expand(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The text form of 16 address bytes: dotted quad for IPv4-mapped, compressed IPv6 otherwise. */
export function addressText(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function newNonce(): Buffer {
  return randomBytes(12);
}

function header(opcode: number, lifetimeS: number, clientAddress: string, payloadBytes: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES + payloadBytes);
  b.writeUInt8(PCP_VERSION, 0);
  b.writeUInt8(opcode & 0x7f, 1);
  b.writeUInt32BE(lifetimeS, 4);
  addressBytes(clientAddress).copy(b, 8);
  return b;
}

export function encodeAnnounce(clientAddress: string): Buffer {
  return header(PcpOpcode.announce, 0, clientAddress, 0);
}

export interface PcpMapRequest {
  nonce: Buffer;
  clientAddress: string;
  internalPort: number;
  /** Suggested external port (the router may choose another); 0 on delete. */
  externalPort: number;
  /** 0 deletes the mapping (§15). */
  lifetimeS: number;
  /** Suggested external address: '0.0.0.0' asks for any IPv4, '::' for an IPv6 pinhole. */
  externalAddress: string;
}

export function encodeMap(r: PcpMapRequest): Buffer {
  const b = header(PcpOpcode.map, r.lifetimeS, r.clientAddress, MAP_BYTES);
  r.nonce.copy(b, HEADER_BYTES, 0, 12);
  b.writeUInt8(IPPROTO_UDP, HEADER_BYTES + 12);
  b.writeUInt16BE(r.internalPort, HEADER_BYTES + 16);
  b.writeUInt16BE(r.externalPort, HEADER_BYTES + 18);
  addressBytes(r.externalAddress).copy(b, HEADER_BYTES + 20);
  return b;
}

export interface PcpResponse {
  opcode: number;
  result: number;
  lifetimeS: number;
  epoch: number;
  /** MAP only. */
  map?: { nonce: Buffer; protocol: number; internalPort: number; externalPort: number; externalAddress: string };
}

/** Decodes a PCP answer, or null for anything else (a NAT-PMP answer has version 0: see nat-pmp.ts). */
export function decodePcpResponse(buf: Buffer): PcpResponse | null {
  if (buf.length < HEADER_BYTES || buf.length > 1100 || buf[0] !== PCP_VERSION || (buf[1]! & 0x80) === 0) return null;
  const r: PcpResponse = {
    opcode: buf[1]! & 0x7f,
    result: buf[3]!,
    lifetimeS: buf.readUInt32BE(4),
    epoch: buf.readUInt32BE(8),
  };
  if (r.opcode === PcpOpcode.map && buf.length >= HEADER_BYTES + MAP_BYTES) {
    const p = buf.subarray(HEADER_BYTES);
    r.map = {
      nonce: Buffer.from(p.subarray(0, 12)),
      protocol: p[12]!,
      internalPort: p.readUInt16BE(16),
      externalPort: p.readUInt16BE(18),
      externalAddress: addressText(Buffer.from(p.subarray(20, 36))),
    };
  }
  return r;
}
